"""API for the participant's course (forløp): ``/episodes/`` (list and one course) and
``/episodes/{id}/report`` (the referrer report of the whole course). A pairing names its course
as ``episode``; ``/pairings/{id}/…`` stays the treningskontakt view of a course."""

from __future__ import annotations

from typing import Any

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.api.base import ScopedViewSetMixin
from kobling.followup import access
from kobling.followup.report import build_episode_report
from kobling.followup.serializers import (
    EpisodeReportSerializer,
    EpisodeSerializer,
    EpisodeViewSerializer,
    ReferrerEpisodeSerializer,
)
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Delivery

_EPISODE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The course's id")


def _episode_view(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="EpisodeView",
        serializers=[EpisodeSerializer, ReferrerEpisodeSerializer],
        resource_type_field_name=None,
        many=many,
    )


class EpisodeFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EpisodeStatus.choices)
    delivery = django_filters.ChoiceFilter(choices=Delivery.choices)
    programme = django_filters.NumberFilter(field_name="programme_id")
    participant = django_filters.NumberFilter(field_name="participant_id")
    referral = django_filters.NumberFilter(field_name="referral_id")

    class Meta:
        model = Episode
        fields = ["status", "delivery", "programme", "participant", "referral"]


class EpisodeViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Courses (forløp). Coordinators and municipal admins see their municipality's courses in
    full; a referrer sees where the courses of people they referred stand, within the person's
    consent to share. Reads are audited (a course is a record about a person)."""

    queryset = Episode.objects.all()
    serializer_class = EpisodeViewSerializer
    filterset_class = EpisodeFilterSet
    ordering_fields = ["opened_on", "started_on", "ended_on", "status"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("programme", "participant").prefetch_related("pairings")

    @extend_schema(responses=_episode_view(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=_episode_view())
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class EpisodeReportView(viewsets.GenericViewSet):
    """``GET /episodes/{id}/report``: the referrer report of the whole course — period,
    sessions held, minutes, attendance, goals, the latest review, the ending and hand-over —
    summed over every pairing of the course. Same rules as a pairing's report: outside the
    municipality 404; the referrer who made the referral only within the person's consent
    (otherwise 403 with the reason); another referrer or a contact 403. Audited."""

    queryset = Episode.objects.none()
    serializer_class = EpisodeReportSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[_EPISODE_ID],
        responses=EpisodeReportSerializer,
        summary="The referrer's report on a whole course",
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        episode = access.episode_for_report(request.user, pk)
        report = build_episode_report(episode)
        audit_log(
            user=request.user, action=AuditAction.VIEW, obj=episode, changes={"report": "referrer"}
        )
        return Response(EpisodeReportSerializer(report.as_dict()).data)


def register(router) -> None:  # noqa: ANN001
    router.register("episodes", EpisodeViewSet, basename="episode")


extra_urls = [
    path(
        "episodes/<int:pk>/report",
        EpisodeReportView.as_view({"get": "retrieve"}),
        name="episode-report",
    ),
    path(
        "episodes/<int:pk>/report/",
        EpisodeReportView.as_view({"get": "retrieve"}, schema=None),
        name="episode-report-slash",
    ),
]
