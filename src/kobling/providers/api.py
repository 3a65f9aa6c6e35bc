"""The app's REST API; registered by kobling.api.urls.

For the municipality and the provider's staff (signed in as people):
``activity-providers``, ``provider-sites``, ``trainers`` (with their certificates),
``placements`` (place a course; the provider answers; the coordinator withdraws) and
``provider-visits`` (read).

For the provider's own system (a provider key, :mod:`kobling.providers.auth`):
``/api/v1/provider/placements/`` (its accepted placements), ``/api/v1/provider/visits/`` (one
check-in, idempotent by the provider's visit id) and ``/api/v1/provider/visits/import`` (a CSV
file, all or nothing)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.access import require_manager
from kobling.core.viewsets import (
    ScopedCreateViewSet,
    ScopedReadOnlyViewSet,
    ScopedViewSetMixin,
    ScopedWritableViewSet,
)
from kobling.providers import contract_api, services
from kobling.providers.auth import IsProviderClient, ProviderTokenAuthentication
from kobling.providers.choices import PlacementStatus, VisitSource
from kobling.providers.models import (
    ActivityProvider,
    Placement,
    ProviderSite,
    ProviderVisit,
    Trainer,
    course_not_ended_q,
)
from kobling.providers.selectors import placements_for_list, providers_with_counts
from kobling.providers.serializers import (
    ActivityProviderSerializer,
    CertificateSerializer,
    ImportReportSerializer,
    PlacementAnswerSerializer,
    PlacementCreateSerializer,
    PlacementSerializer,
    PlacementWithdrawSerializer,
    ProviderSiteSerializer,
    ProviderVisitSerializer,
    TrainerSerializer,
    VisitImportSerializer,
    VisitInSerializer,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


@extend_schema_view(
    list=extend_schema(summary="Activity providers (gyms …)"),
    create=extend_schema(summary="Register a provider (organisation number checked)"),
    update=extend_schema(summary="Change a provider (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of a provider's fields"),
)
class ActivityProviderViewSet(ScopedWritableViewSet):
    """The municipality's providers; a provider's staff see their own."""

    queryset = ActivityProvider.objects.all()
    serializer_class = ActivityProviderSerializer

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return providers_with_counts(queryset)

    def perform_create(self, serializer: ActivityProviderSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        require_manager(self.request.user, municipality.pk)
        attrs.pop("version", None)
        serializer.instance = services.provider_create(
            by=self.request.user, municipality=municipality, data=attrs
        )

    def perform_update(self, serializer: ActivityProviderSerializer) -> None:
        attrs: dict[str, Any] = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        serializer.instance = services.provider_update(
            provider=serializer.instance, by=self.request.user, data=attrs, expected_version=version
        )


@extend_schema_view(
    list=extend_schema(summary="Providers' sites"),
    create=extend_schema(summary="Add a site to a provider"),
    update=extend_schema(summary="Change a site (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of a site's fields"),
)
class ProviderSiteViewSet(ScopedWritableViewSet):
    """Activity providers' sites: address, opening hours, accessibility. The municipality's
    coordinators and municipal admins see, add and change them (send the ``version`` you read; 409
    if stale); a provider's staff see their own provider's sites."""

    queryset = ProviderSite.objects.all()
    serializer_class = ProviderSiteSerializer

    def perform_create(self, serializer: ProviderSiteSerializer) -> None:
        attrs = dict(serializer.validated_data)
        provider = attrs.pop("provider")
        attrs.pop("version", None)
        serializer.instance = services.site_create(
            by=self.request.user, provider=provider, data=attrs
        )

    def perform_update(self, serializer: ProviderSiteSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("provider", None)
        version = attrs.pop("version")
        serializer.instance = services.site_update(
            site=serializer.instance, by=self.request.user, data=attrs, expected_version=version
        )


@extend_schema_view(
    list=extend_schema(summary="Trainers with their certificates"),
    create=extend_schema(summary="Add a trainer to a provider"),
)
class TrainerViewSet(
    ScopedCreateViewSet,
):
    """Activity providers' trainers with their certificates. The municipality's coordinators and
    municipal admins see their providers' trainers and a provider's staff their own; either may add
    a trainer and register a certificate. Trainers are not changed through the API."""

    queryset = Trainer.objects.all()
    serializer_class = TrainerSerializer

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("certificates")

    def perform_create(self, serializer: TrainerSerializer) -> None:
        attrs = dict(serializer.validated_data)
        provider = attrs.pop("provider")
        serializer.instance = services.trainer_create(
            by=self.request.user, provider=provider, data=attrs
        )

    @extend_schema(
        summary="Register a trainer's certificate",
        request=CertificateSerializer,
        responses={201: CertificateSerializer},
    )
    @action(detail=True, methods=["post"], url_path="certificates", scope_action="change")
    def certificates(self, request: Request, pk: str | None = None) -> Response:
        trainer = self.get_object()
        data = CertificateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.certificate_add(by=request.user, trainer=trainer, **data.validated_data)
        return Response(CertificateSerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Courses placed with providers (what the provider may see)"),
    retrieve=extend_schema(summary="A placement"),
)
class PlacementViewSet(
    ScopedReadOnlyViewSet,
):
    """Courses placed with activity providers, showing the person's name and contact, the
    recommended activity and the period. Coordinators and municipal admins see their
    municipality's, place courses and withdraw them; a provider's staff see their provider's
    pending and accepted ones while the person's consent to share is in force and the course has
    not ended, and accept or decline them. Reads are audited; answering and withdrawing need the
    ``version`` (409 if stale)."""

    queryset = Placement.objects.all()
    serializer_class = PlacementSerializer
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return placements_for_list(queryset)

    @extend_schema(
        summary="Place a course with a provider (coordinators)",
        request=PlacementCreateSerializer,
        responses={201: PlacementSerializer},
    )
    def create(self, request: Request) -> Response:
        if Placement.visibility_q(request.user, "change") is None:
            raise PermissionDenied
        data = PlacementCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        made = services.placement_create(by=request.user, **data.validated_data)
        return Response(PlacementSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The provider accepts or declines (with a reason)",
        request=PlacementAnswerSerializer,
        responses={200: PlacementSerializer},
    )
    @action(detail=True, methods=["post"], scope_action="answer")
    def answer(self, request: Request, pk: str | None = None) -> Response:
        placement = self.get_object()
        data = PlacementAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trainer = data.validated_data.get("trainer")
        done = services.placement_answer(
            placement=placement,
            by=request.user,
            accept=data.validated_data["accept"],
            reason=data.validated_data.get("reason", ""),
            trainer=trainer,
            expected_version=data.validated_data["version"],
        )
        return Response(PlacementSerializer(done).data)

    @extend_schema(
        summary="Withdraw a placement (coordinators)",
        request=PlacementWithdrawSerializer,
        responses={200: PlacementSerializer},
    )
    @action(detail=True, methods=["post"], scope_action="change")
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        placement = self.get_object()
        data = PlacementWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.placement_withdraw(
            placement=placement,
            by=request.user,
            reason=data.validated_data.get("reason", ""),
            expected_version=data.validated_data["version"],
        )
        return Response(PlacementSerializer(done).data)


@extend_schema_view(list=extend_schema(summary="Visits at providers (activity records)"))
class ProviderVisitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Visits at activity providers, the activity records of placed courses (read-only here; a
    correction is a new entry that supersedes the old). Coordinators and municipal admins see their
    municipality's; a provider's staff see their own provider's while the person's consent to share
    is in force and the course has not ended. Reads are audited."""

    queryset = ProviderVisit.objects.all()
    serializer_class = ProviderVisitSerializer
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("superseded_by").order_by("visited_on", "pk")


# --- the provider's own system ------------------------------------------------------------------


class _ProviderAPI(APIView):
    authentication_classes = [ProviderTokenAuthentication]
    permission_classes = [IsProviderClient]


class ProviderPlacementsView(_ProviderAPI):
    @extend_schema(
        summary="Your accepted placements (provider key)",
        responses={200: PlacementSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        provider = request.auth.provider
        rows = list(
            placements_for_list(
                Placement.objects.filter(
                    course_not_ended_q(), provider=provider, status=PlacementStatus.ACCEPTED
                )
            )
        )
        return Response(PlacementSerializer(rows, many=True).data)


CHECKIN_EXAMPLE = OpenApiExample(
    "A check-in",
    value={"visit_id": "A-1001", "placement": 17, "date": "2026-03-02", "minutes": 60},
    request_only=True,
)


class ProviderVisitsView(_ProviderAPI):
    @extend_schema(
        summary="Report one visit (provider key; idempotent by visit_id)",
        description=(
            "201 when recorded, 200 when this visit_id was recorded before (nothing changes), "
            "400 with the reason when refused (outside the period, not accepted, in the "
            "future), 404 when the placement is not with your provider."
        ),
        request=VisitInSerializer,
        responses={200: ProviderVisitSerializer, 201: ProviderVisitSerializer},
        examples=[CHECKIN_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = VisitInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = request.auth.provider
        placement = get_object_or_404(
            Placement.objects.filter(provider=provider), pk=data.validated_data["placement"]
        )
        result = services.visit_record(
            placement=placement,
            visited_on=data.validated_data["date"],
            minutes=data.validated_data["minutes"],
            source=VisitSource.API,
            external_id=data.validated_data["visit_id"],
        )
        return Response(
            ProviderVisitSerializer(result.visit).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ProviderVisitImportView(_ProviderAPI):
    @extend_schema(
        summary="Report visits as a CSV file (provider key; all or nothing)",
        description=(
            "The whole file is checked first; 400 lists every bad row with its reason and "
            "nothing is saved. Visit ids already recorded are counted in `already`."
        ),
        request=VisitImportSerializer,
        responses={200: ImportReportSerializer, 400: ImportReportSerializer},
    )
    def post(self, request: Request) -> Response:
        data = VisitImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = request.auth.provider
        report = services.visits_import(
            provider=provider, content=data.validated_data["csv"], by=None, source=VisitSource.API
        )
        audit_log(
            user=None,
            action=AuditAction.CREATE,
            municipality_id=provider.municipality_id,
            object_type="providers.providertoken",
            object_id=str(request.auth.pk),
            object_repr=str(request.user),
            changes={"rows": report.rows, "created": report.created, "refused": len(report.errors)},
        )
        body = {
            "rows": report.rows,
            "created": report.created,
            "already": report.already,
            "errors": [{"row": r, "reason": reason} for r, reason in report.errors],
        }
        return Response(
            body, status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST
        )


extra_urls: list = [
    path("provider/placements/", ProviderPlacementsView.as_view(), name="provider-api-placements"),
    path("provider/visits/", ProviderVisitsView.as_view(), name="provider-api-visits"),
    path("provider/visits/import", ProviderVisitImportView.as_view(), name="provider-api-import"),
]


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("activity-providers", ActivityProviderViewSet, basename="activity-provider")
    router.register("provider-sites", ProviderSiteViewSet, basename="provider-site")
    router.register("trainers", TrainerViewSet, basename="trainer")
    router.register("placements", PlacementViewSet, basename="placement")
    router.register("provider-visits", ProviderVisitViewSet, basename="provider-visit")
    # Concession contracts and reimbursement claims (their own module).
    contract_api.register(router)
