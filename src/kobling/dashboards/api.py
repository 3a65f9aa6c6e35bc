"""``GET /api/v1/dashboards/reaim/?programme=&year=``: the RE-AIM and cost report of a programme
and year, with small cells suppressed exactly as on the page (one builder,
:func:`kobling.dashboards.selectors.build_report`). Coordinators and admins of the programme's
municipality only: others 403, another municipality's programme 404."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.dashboards.access import programme_for
from kobling.dashboards.models import DashboardFact
from kobling.dashboards.selectors import build_report


class DashboardTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text='Cells: a number (as a string for decimals), "<5" when suppressed, or null.',
    )
    note = serializers.CharField()


class DashboardSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    tables = DashboardTableSerializer(many=True)


class SuppressionSerializer(serializers.Serializer):
    threshold = serializers.IntegerField()
    shown_as = serializers.CharField()


class ReaimReportSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    programme_name = serializers.CharField()
    year = serializers.IntegerField()
    as_of = serializers.DateTimeField(allow_null=True)
    years_running = serializers.IntegerField(allow_null=True)
    suppression = SuppressionSerializer()
    sections = DashboardSectionSerializer(many=True)


class ManagesAMunicipality(permissions.BasePermission):
    """Coordinators and admins (of some municipality); everyone else 403 up front. Which
    programme they may read is decided by :func:`programme_for` (another municipality's: 404)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return DashboardFact.visibility_q(request.user, "view") is not None


class DashboardViewSet(viewsets.ViewSet):
    """The evaluation dashboards' figures (aggregates only). A plain ViewSet: no list or detail
    routes over the raw (unsuppressed) fact rows, only the report actions."""

    permission_classes = [permissions.IsAuthenticated, ManagesAMunicipality]
    serializer_class = ReaimReportSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("programme", OpenApiTypes.INT, required=True),
            OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (this year)"),
        ],
        responses=ReaimReportSerializer,
        summary="RE-AIM and cost figures of a programme for a year, small cells suppressed",
        description=(
            "The same tables as the dashboard page, built from the aggregates. A cell describing "
            'fewer than 5 persons is "<5" (with complementary suppression; see '
            "docs/dashboards.md). Coordinators and admins of the programme's municipality only."
        ),
    )
    @action(detail=False, methods=["get"], url_path="reaim")
    def reaim(self, request: Request) -> Response:
        raw = request.query_params.get("programme", "")
        if not raw.isdigit():
            raise ValidationError({"programme": [_("Give a programme.")]})
        raw_year = request.query_params.get("year") or str(timezone.localdate().year)
        if not raw_year.isdigit() or not 2000 <= int(raw_year) <= 2100:
            raise ValidationError({"year": [_("Give a year between 2000 and 2100.")]})
        report = build_report(programme_for(request.user, raw), int(raw_year))
        return Response(report.as_dict())


def register(router) -> None:  # noqa: ANN001
    router.register("dashboards", DashboardViewSet, basename="dashboard")


extra_urls: list = []
