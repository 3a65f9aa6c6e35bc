from __future__ import annotations

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import managed_municipality_ids, require_manager
from kobling.core.filters import BaseFilterSet
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedWritableViewSet
from kobling.helpers import services
from kobling.helpers.filtersets import HelperFilterSet
from kobling.helpers.io import EXPORT_FORMATS, helpers_export, helpers_import
from kobling.helpers.models import Activity, CheckIn, Helper, HelperStatusChange, TargetGroup
from kobling.helpers.selectors import helper_list_queryset, helper_overview
from kobling.helpers.serializers import (
    ActivitySerializer,
    CheckInSerializer,
    HelperSelfSerializer,
    HelperSerializer,
    HelperStatusChangeSerializer,
    HelperStatusSerializer,
    ImportRequestSerializer,
    OverviewSerializer,
    TargetGroupSerializer,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


class ActivityViewSet(viewsets.ReadOnlyModelViewSet):
    """The managed list of activities (reference data, the same for everyone)."""

    queryset = Activity.objects.filter(is_active=True)
    serializer_class = ActivitySerializer
    permission_classes = [IsAuthenticated]


class TargetGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """The managed list of target groups a helper can be competent with (mental health, substance
    use, …): reference data, the same for everyone signed in. Only active entries are listed."""

    queryset = TargetGroup.objects.filter(is_active=True)
    serializer_class = TargetGroupSerializer
    permission_classes = [IsAuthenticated]


class HelperViewSet(
    ScopedWritableViewSet,
):
    """The helper register. Coordinators and municipal admins see and change their
    municipality's helpers; a training contact sees only their own profile."""

    queryset = Helper.objects.all()
    serializer_class = HelperSerializer
    filterset_class = HelperFilterSet
    ordering_fields = ["last_name", "status", "status_since", "created_at"]
    audit_reads = True

    # Register-wide actions are for the people who manage the register.
    manager_actions = frozenset({"overview", "export", "import_file"})

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return helper_list_queryset(queryset)

    def get_serializer_class(self):  # noqa: ANN201
        # Someone who does not manage the register (a training contact reading their own profile)
        # gets the profile without the coordinator's internal notes.
        user = self.request.user
        if (
            user.is_authenticated
            and not managed_municipality_ids(user)
            and self.action in {"list", "retrieve"}
        ):
            return HelperSelfSerializer
        return HelperSerializer

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if self.action in self.manager_actions:
            require_manager(
                request.user, message="Only coordinators and municipal administrators can do this."
            )

    def perform_create(self, serializer: HelperSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality, programme = attrs.pop("municipality"), attrs.pop("programme")
        attrs.pop("version", None)
        parts = HelperSerializer.split(attrs)
        if programme.municipality_id != municipality.pk:
            raise ValidationError({"programme": ["The programme belongs to another municipality."]})
        serializer.instance = services.helper_create(
            by=self.request.user, municipality=municipality, programme=programme, **parts
        )

    def perform_update(self, serializer: HelperSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        attrs.pop("programme", None)
        version = attrs.pop("version")
        serializer.instance = services.helper_update(
            helper=serializer.instance,
            by=self.request.user,
            expected_version=version,
            **HelperSerializer.split(attrs),
        )

    @extend_schema(
        request=HelperStatusSerializer,
        responses=HelperSerializer,
        summary="Change a helper's lifecycle status",
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        helper = self.get_object()
        data = HelperStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        helper = services.helper_change_status(
            helper=helper,
            by=request.user,
            to_status=data.validated_data["to_status"],
            reason=data.validated_data.get("reason", ""),
            paused_until=data.validated_data.get("paused_until"),
            left_reason=data.validated_data.get("left_reason", ""),
            expected_version=data.validated_data.get("version"),
        )
        return Response(
            self.get_serializer(
                helper_list_queryset(Helper.objects.filter(pk=helper.pk)).get()
            ).data
        )

    @extend_schema(
        responses=HelperStatusChangeSerializer(many=True), summary="A helper's status history"
    )
    @action(
        detail=True, methods=["get"], url_path="history", pagination_class=None, filter_backends=[]
    )
    def history(self, request: Request, pk: str | None = None) -> Response:
        helper = self.get_object()
        audit_log(
            user=request.user, action=AuditAction.VIEW, obj=helper, changes={"part": "history"}
        )
        changes = HelperStatusChange.objects.filter(helper=helper).select_related("by")
        return Response(HelperStatusChangeSerializer(changes, many=True).data)

    @extend_schema(responses=OverviewSerializer, summary="Coordinator overview of the register")
    @action(detail=False, methods=["get"], url_path="overview")
    def overview(self, request: Request) -> Response:
        data = helper_overview(self.filter_queryset(self.get_queryset()).order_by())
        return Response(
            OverviewSerializer(
                {
                    **data.__dict__,
                    "by_activity": [
                        {"code": c, "name": n, "count": k} for c, n, k in data.by_activity
                    ],
                    "by_area": [{"area": a, "count": k} for a, k in data.by_area],
                }
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", str, enum=list(EXPORT_FORMATS), description="csv (default) or xlsx"
            )
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        summary="Export the (filtered) register as CSV or XLSX",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> HttpResponse:
        fmt = request.query_params.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            raise ValidationError({"format": [f"Choose one of: {', '.join(EXPORT_FORMATS)}."]})
        queryset = self.filter_queryset(self.get_queryset())
        content, content_type, filename = helpers_export(queryset, fmt)
        audit_log(
            user=request.user,
            action=AuditAction.EXPORT,
            object_type="helpers.helper",
            object_repr=f"{filename}",
            changes={"rows": queryset.count(), "filters": dict(request.query_params)},
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        summary="Import helpers from CSV or XLSX (all or nothing)",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: Request) -> Response:
        data = ImportRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        report = helpers_import(
            by=request.user,
            programme=data.validated_data["programme"],
            filename=upload.name,
            content=upload.read(),
            dry_run=data.validated_data["dry_run"],
        )
        return Response(
            report.to_dict(),
            status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST,
        )


class CheckInFilterSet(BaseFilterSet):
    # Plain numbers: a filter must not confirm that an id exists in another municipality.
    municipality = django_filters.NumberFilter(field_name="municipality_id")
    helper = django_filters.NumberFilter(field_name="helper_id")

    class Meta:
        model = CheckIn
        fields = ["municipality", "helper", "status", "answer"]


class CheckInViewSet(ScopedReadOnlyViewSet):
    """Check-ins sent to helpers and their answers."""

    queryset = CheckIn.objects.all()
    serializer_class = CheckInSerializer
    audit_reads = True
    filterset_class = CheckInFilterSet

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("helper")


def register(router) -> None:  # noqa: ANN001
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("target-groups", TargetGroupViewSet, basename="target-group")
    router.register("helpers", HelperViewSet, basename="helper")
    router.register("checkins", CheckInViewSet, basename="checkin")


extra_urls: list = []
