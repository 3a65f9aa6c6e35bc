"""API for the national analyst: the unit register, the scheme status of every unit on a date,
and the mapping-survey campaigns with their response counts. Read-only; everyone else 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.urls import path  # noqa: F401
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.filters import BaseFilterSet
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin
from kobling.national import selectors
from kobling.national.choices import MAPPED_KINDS, UnitKind
from kobling.national.models import SchemeStatus, SurveyCampaign, Unit, valid_on_q
from kobling.national.serializers import (
    CampaignSerializer,
    UnitSerializer,
    UnitStatusSerializer,
)
from kobling.tenancy.choices import ProgrammeKind


class UnitFilterSet(BaseFilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    county = django_filters.CharFilter(field_name="county_code")
    code = django_filters.CharFilter()
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="valid on")

    class Meta:
        model = Unit
        fields = ["kind", "county", "code", "valid_on"]

    def filter_valid_on(self, queryset, name, value):  # noqa: ANN001, ANN201, ARG002
        return queryset.filter(valid_on_q(value))


class UnitViewSet(ScopedReadOnlyViewSet):
    """Unit versions (municipalities, city districts, county sports councils, counties)."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    ordering_fields = ["code", "name", "valid_from"]


def _on_date(request: Request) -> dt.date:
    raw = request.query_params.get("on_date", "")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({"on_date": ["Give a date as YYYY-MM-DD."]}) from None


class StatusViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """The scheme status of every unit valid on a date (default today): from Kobling's own
    data for units that use it, else the latest survey or manual entry, else unknown."""

    queryset = SchemeStatus.objects.all()
    serializer_class = UnitStatusSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("on_date", str, description="YYYY-MM-DD (default today)"),
            OpenApiParameter("programme_kind", str, enum=ProgrammeKind.values),
            OpenApiParameter("unit_kind", str, enum=[str(k) for k in MAPPED_KINDS]),
        ],
        responses=UnitStatusSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kind = request.query_params.get("programme_kind", ProgrammeKind.TRENINGSKONTAKT)
        if kind not in ProgrammeKind.values:
            raise ValidationError({"programme_kind": ["Unknown programme kind."]})
        unit_kind = request.query_params.get("unit_kind", "")
        if unit_kind and unit_kind not in MAPPED_KINDS:
            raise ValidationError({"unit_kind": ["Unknown kind of unit."]})
        rows = selectors.unit_statuses(
            _on_date(request), kind, (unit_kind,) if unit_kind else MAPPED_KINDS
        )
        page = self.paginate_queryset(rows)
        serializer = self.get_serializer(page if page is not None else rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)


class CampaignViewSet(ScopedReadOnlyViewSet):
    """Mapping-survey campaigns with how many units are in each state."""

    queryset = SurveyCampaign.objects.all()
    serializer_class = CampaignSerializer
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):  # noqa: ANN201
        if not getattr(self.request.user, "is_analyst", False):
            return SurveyCampaign.objects.none()
        return selectors.campaign_list()


def register(router) -> None:  # noqa: ANN001
    router.register("national/units", UnitViewSet, basename="national-unit")
    router.register("national/status", StatusViewSet, basename="national-status")
    router.register("national/campaigns", CampaignViewSet, basename="national-campaign")


extra_urls: list = []
