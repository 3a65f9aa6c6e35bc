"""The rehabilitation register's REST API: offers, rehabilitation courses (the unit's staff,
every read audited), denominators with their CSV import, and the participation report
(``GET /api/v1/rehab/participation/``, aggregates under the small-cell rule)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin
from kobling.rehab import extracts, selectors, services
from kobling.rehab.choices import AgeBand, DiagnosisGroup, Sex
from kobling.rehab.models import Denominator, RehabCourse, RehabOffer
from kobling.rehab.registers import REGISTERS, QualityRegister
from kobling.rehab.serializers import (
    AggregateExtractRowSerializer,
    DenominatorImportReportSerializer,
    DenominatorImportSerializer,
    DenominatorSerializer,
    ParticipationRowSerializer,
    QualityRegisterSerializer,
    RehabCourseSerializer,
    RehabOfferSerializer,
    RehabOfferUpdateSerializer,
)
from kobling.rehab.views import extract_response


class RehabOfferViewSet(
    ScopedCreateViewSet,
):
    """Rehabilitation offers (no personal data: every signed-in user reads them); the unit's
    coordinators and administrators create and change their own."""

    queryset = RehabOffer.objects.all()
    serializer_class = RehabOfferSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("municipality").order_by("county_code", "name", "pk")

    def perform_create(self, serializer: RehabOfferSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        serializer.instance = services.offer_save(
            by=self.request.user, municipality=municipality, data=attrs
        )

    @extend_schema(
        request=RehabOfferUpdateSerializer,
        responses=RehabOfferSerializer,
        summary="Change an offer (its version required)",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        offer = self.get_object()
        if not offer.permits(request.user, "change"):
            raise PermissionDenied
        data = RehabOfferUpdateSerializer(offer, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "version" not in values:
            raise ValidationError({"version": [_("Give the version you read.")]})
        version = values.pop("version")
        saved = services.offer_save(
            by=request.user,
            municipality=offer.municipality,
            data=values,
            offer=offer,
            expected_version=version,
        )
        return Response(RehabOfferSerializer(saved).data)


class RehabCourseViewSet(
    ScopedCreateViewSet,
):
    """Rehabilitation courses: the unit's clinicians, coordinators and administrators only;
    everyone else 403, another unit's course 404. Reads are audited."""

    queryset = RehabCourse.objects.all()
    serializer_class = RehabCourseSerializer
    audit_reads = True
    filterset_fields = ["diagnosis"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("municipality", "episode").order_by("-index_date", "-pk")

    def perform_create(self, serializer: RehabCourseSerializer) -> None:
        attrs = dict(serializer.validated_data)
        episode = attrs.pop("episode")
        if episode.municipality_id not in self.request.user.municipality_ids():
            raise ValidationError({"episode": [_("Choose one of your unit's courses.")]})
        serializer.instance = services.rehab_course_register(
            by=self.request.user, episode=episode, data=attrs
        )


class DenominatorViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The eligible population (aggregate counts): the analyst and the unit's staff read them;
    the analyst and the unit's managers import them (``POST …/import/``, all or nothing)."""

    queryset = Denominator.objects.all()
    serializer_class = DenominatorSerializer
    filterset_fields = ["diagnosis", "year", "quarter"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("municipality")

    @extend_schema(
        request={"multipart/form-data": DenominatorImportSerializer},
        responses={201: DenominatorImportReportSerializer, 400: DenominatorImportReportSerializer},
        summary="Import eligible counts from CSV (all or nothing, with a report per row)",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_csv(self, request: Request) -> Response:
        if Denominator.visibility_q(request.user, "change") is None:
            raise PermissionDenied
        form = DenominatorImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = services.denominators_import(
            by=request.user,
            data=form.validated_data["file"].read(),
            source=form.validated_data.get("source", ""),
        )
        code = status.HTTP_201_CREATED if report.ok else status.HTTP_400_BAD_REQUEST
        return Response(report.as_json(), status=code)


class SeesParticipation(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.may_see_participation(request.user)


class ParticipationViewSet(viewsets.ViewSet):
    """Participation (started / eligible) and completion (completed / started) rates. The
    national analyst sees every unit; a unit's staff see their own units unsuppressed, and the
    regions and the nation; region staff the units of their health region, suppressed; counts
    under 5 outside the unit are ``"<5"``."""

    permission_classes = [permissions.IsAuthenticated, SeesParticipation]

    @extend_schema(
        parameters=[
            OpenApiParameter("diagnosis", str, enum=DiagnosisGroup.values),
            OpenApiParameter("period", str, description="A quarter (2025Q1) or a year (2025)"),
            OpenApiParameter("grain", str, enum=["quarter", "year"]),
            OpenApiParameter("level", str, enum=["unit", "region", "national"]),
            OpenApiParameter("sex", str, enum=Sex.values),
            OpenApiParameter("age_band", str, enum=AgeBand.values),
        ],
        responses=ParticipationRowSerializer(many=True),
        summary="Participation and completion rates, small cells suppressed outside the unit",
    )
    def list(self, request: Request) -> Response:
        filters, errors = selectors.parse_filters(request.query_params)
        if errors:
            raise ValidationError({k: [v] for k, v in errors.items()})
        return Response(selectors.participation(user=request.user, filters=filters))


def _register(slug: str) -> QualityRegister:
    found = REGISTERS.get(slug)
    if found is None:
        raise NotFound(_("No such quality register."))
    return found


class QualityRegisterExtractViewSet(viewsets.ViewSet):
    """The quality-register extracts (docs/rehab.md): ``GET …/extracts/`` the registers;
    ``GET …/extracts/{register}/`` the unit's CSV keyed by national identity number (the unit's
    coordinators and administrators; courses with consent only; audited); ``GET
    …/extracts/{register}/aggregate/`` counts per unit, diagnosis and quarter, small cells
    suppressed (the analyst; a unit's staff their own units)."""

    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "register"
    lookup_value_regex = "[a-z]+"

    @extend_schema(responses=QualityRegisterSerializer(many=True), summary="The quality registers")
    def list(self, request: Request) -> Response:
        if not (
            extracts.may_download_aggregates(request.user)
            or extracts.may_download_persons(request.user)
        ):
            raise PermissionDenied
        return Response([{"slug": r.slug, "name": str(r.name)} for r in REGISTERS.values()])

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="The unit's extract for a register (CSV keyed by national identity number)",
    )
    def retrieve(self, request: Request, register: str | None = None) -> HttpResponse:
        chosen = _register(register or "")
        if not extracts.may_download_persons(request.user):
            raise PermissionDenied
        found = extracts.person_extract(user=request.user, register=chosen)
        return extract_response(found)

    @extend_schema(
        responses=AggregateExtractRowSerializer(many=True),
        summary="A register's aggregate extract (counts, small cells suppressed)",
    )
    @action(detail=True, methods=["get"])
    def aggregate(self, request: Request, register: str | None = None) -> Response:
        chosen = _register(register or "")
        if not extracts.may_download_aggregates(request.user):
            raise PermissionDenied
        return Response(extracts.aggregate_extract(user=request.user, register=chosen))


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("rehab/offers", RehabOfferViewSet, basename="rehab-offer")
    router.register("rehab/courses", RehabCourseViewSet, basename="rehab-course")
    router.register("rehab/denominators", DenominatorViewSet, basename="rehab-denominator")
    router.register("rehab/participation", ParticipationViewSet, basename="rehab-participation")
    router.register(
        "rehab/extracts", QualityRegisterExtractViewSet, basename="rehab-register-extract"
    )


extra_urls: list = []
