"""The public catalogue's API: read-only, no sign-in, paginated, the same cached rows as the
public pages (``selectors.search``). Registered by kobling.api.urls."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.catalogue import selectors
from kobling.catalogue.choices import JoinBy, OfferKind
from kobling.catalogue.serializers import PublicOfferSerializer
from kobling.partners.choices import PreventionLevel

extra_urls: list = []

FILTER_PARAMETERS = [
    OpenApiParameter("municipality", str, description="Municipality code, e.g. 4601"),
    OpenApiParameter("target_group", str, description="Target group code, e.g. mental_health"),
    OpenApiParameter("prevention_level", str, enum=PreventionLevel.values),
    OpenApiParameter("kind", str, enum=OfferKind.values),
    OpenApiParameter("join_by", str, enum=JoinBy.values),
    OpenApiParameter("q", str, description="Free text: title, description, place, organisation"),
]


@extend_schema_view(
    list=extend_schema(
        summary="Search the public catalogue of offers",
        parameters=FILTER_PARAMETERS,
        auth=[],
    ),
    retrieve=extend_schema(summary="One published offer", auth=[]),
)
class PublicOfferViewSet(viewsets.GenericViewSet):
    """Published offers of every municipality. No sign-in; nothing about a person."""

    permission_classes = [permissions.AllowAny]
    serializer_class = PublicOfferSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = selectors.search(request.query_params)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        row = selectors.public_offer(int(pk)) if pk and pk.isdigit() and len(pk) < 18 else None
        if row is None:
            raise NotFound
        return Response(self.get_serializer(row).data)


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("catalogue", PublicOfferViewSet, basename="catalogue-offer")
