"""API for implementation quality (registered in kobling.api.urls):

- ``GET /api/v1/quality/assessments/`` (filters ``programme``, ``year``, ``status``) and
  ``/api/v1/quality/assessments/{id}/``: self-assessments with their answers and scores;
  ``POST`` (start a draft), ``PATCH`` (change a draft, with ``version``: 409 when stale),
  ``POST …/{id}/submit``, ``POST …/{id}/correct``, ``DELETE`` (a draft) — the same services as
  the pages;
- ``GET /api/v1/quality/key-persons/?programme=<id>``: the programme's key-person risk.

Managers (municipal admin, coordinator) only: other roles 403, another municipality's
assessment 404 (its programme in a POST: 400)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VERSION_REQUIRED, version_field
from kobling.core.viewsets import ScopedReadOnlyViewSet
from kobling.dashboards.access import programme_for
from kobling.quality import services
from kobling.quality.keypersons import key_person_risk
from kobling.quality.models import AssessmentAnswer, AssessmentStatus, SelfAssessment
from kobling.quality.selectors import scores_of
from kobling.tenancy.models import Programme


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentAnswer
        fields = ["item_code", "score", "comment"]


class DomainScoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    points = serializers.IntegerField()
    max_points = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    answered = serializers.IntegerField()
    items = serializers.IntegerField()
    not_in_place = serializers.IntegerField()


class ScoresSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    max_points = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    answered = serializers.IntegerField()
    items = serializers.IntegerField()
    not_in_place = serializers.IntegerField()
    complete = serializers.BooleanField()
    domains = DomainScoreSerializer(many=True)


class SelfAssessmentSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    scores = serializers.SerializerMethodField()
    is_standing = serializers.SerializerMethodField()

    class Meta:
        model = SelfAssessment
        fields = [
            "id",
            "municipality",
            "programme",
            "programme_name",
            "year",
            "checklist_version",
            "status",
            "note",
            "supersedes",
            "correction_reason",
            "is_standing",
            "created_at",
            "submitted_at",
            "version",
            "scores",
            "answers",
        ]
        read_only_fields = fields

    @extend_schema_field(ScoresSerializer)
    def get_scores(self, obj: SelfAssessment) -> dict[str, Any]:
        s = scores_of(obj)
        return ScoresSerializer(self._scores(s)).data

    @staticmethod
    def _scores(s: Any) -> dict[str, Any]:
        return {
            "points": s.points,
            "max_points": s.max_points,
            "percent": s.percent,
            "answered": s.answered,
            "items": s.items,
            "not_in_place": s.not_in_place,
            "complete": s.complete,
            "domains": [
                {
                    "code": d.code,
                    "number": d.number,
                    "title": d.title,
                    "points": d.points,
                    "max_points": d.max_points,
                    "percent": d.percent,
                    "answered": d.answered,
                    "items": d.items,
                    "not_in_place": d.not_in_place,
                }
                for d in s.domains
            ],
        }

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_standing(self, obj: SelfAssessment) -> bool:
        """The assessment that counts for its programme and year: submitted and not replaced by
        a submitted correction, or an original still in draft."""
        if getattr(obj, "replaced", False):
            return False
        return obj.status == AssessmentStatus.SUBMITTED or obj.supersedes_id is None


class ResponsibilitySerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["coordination", "course_leadership", "matching", "pay_approval"]
    )
    label = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["ok", "risk", "gap"],
        help_text='"risk": one person only; "gap": nobody; "ok": two or more.',
    )
    people = serializers.ListField(child=serializers.CharField(), help_text="Staff names.")
    explanation = serializers.CharField()


class KeyPersonRiskSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    programme_name = serializers.CharField()
    as_of = serializers.DateField()
    responsibilities = ResponsibilitySerializer(many=True)


class AnswerInputSerializer(serializers.Serializer):
    item_code = serializers.CharField(max_length=60)
    score = serializers.IntegerField(
        allow_null=True, help_text="0–3, or null to clear the answer (drafts only)."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AssessmentCreateSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    year = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    answers = AnswerInputSerializer(many=True, required=False)


class AssessmentUpdateSerializer(serializers.Serializer):
    version = version_field()
    note = serializers.CharField(required=False, allow_blank=True)
    answers = AnswerInputSerializer(many=True, required=False)


class VersionSerializer(serializers.Serializer):
    version = version_field()


class CorrectSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _answers(rows: list[dict[str, Any]] | None) -> dict[str, tuple[Any, str]]:
    return {r["item_code"]: (r["score"], r.get("comment", "")) for r in rows or []}


@extend_schema_view(
    list=extend_schema(
        summary="Self-assessments of implementation quality, with scores",
        parameters=[
            OpenApiParameter("programme", OpenApiTypes.INT),
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["draft", "submitted"]),
        ],
    ),
    retrieve=extend_schema(summary="One self-assessment with its answers and scores"),
)
class SelfAssessmentViewSet(
    ScopedReadOnlyViewSet,
):
    """Self-assessments of the programmes of the municipalities you manage: read them with
    their scores; start, change (drafts, with ``version``), submit, correct and delete drafts."""

    queryset = SelfAssessment.objects.all()
    serializer_class = SelfAssessmentSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _respond(self, assessment: SelfAssessment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.optimize(SelfAssessment.objects.filter(pk=assessment.pk)).get()
        return Response(SelfAssessmentSerializer(fresh).data, status=code)

    @extend_schema(
        request=AssessmentCreateSerializer,
        responses={201: SelfAssessmentSerializer},
        summary="Start a draft self-assessment of a programme for a year",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = AssessmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        programme = (
            Programme.objects.filter(
                pk=values["programme"],
                municipality__in=sorted(managed_municipality_ids(request.user)),
            )
            .select_related("municipality")
            .first()
        )
        if programme is None:
            raise ValidationError({"programme": [_("No such programme.")]})
        assessment = services.assessment_create(
            programme=programme,
            year=values["year"],
            by=request.user,
            note=values.get("note", ""),
            answers=_answers(values.get("answers")),
        )
        return self._respond(assessment, status.HTTP_201_CREATED)

    @extend_schema(
        request=AssessmentUpdateSerializer,
        responses=SelfAssessmentSerializer,
        summary="Change a draft (400 once submitted, 409 if it changed since your version)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.get_object()
        data = AssessmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        extra = {"note": values["note"]} if "note" in values else {}
        updated = services.assessment_update(
            assessment=assessment,
            by=request.user,
            expected_version=values["version"],
            answers=_answers(values.get("answers")),
            **extra,
        )
        return self._respond(updated)

    @extend_schema(
        request=VersionSerializer,
        responses=SelfAssessmentSerializer,
        summary="Submit a draft (every item answered); it can then never change",
    )
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        data = VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.assessment_submit(
                assessment=assessment,
                by=request.user,
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=CorrectSerializer,
        responses={201: SelfAssessmentSerializer},
        summary="Start a correction of a submitted assessment (a new draft superseding it)",
    )
    @action(detail=True, methods=["post"], url_path="correct")
    def correct(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        data = CorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.assessment_correct(
            assessment=assessment, by=request.user, reason=data.validated_data["reason"]
        )
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("version", OpenApiTypes.INT, required=True)],
        responses={204: None},
        summary="Delete a draft (400 once submitted)",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.get_object()
        raw = request.query_params.get("version", "")
        if not raw.isdigit():
            raise ValidationError({"version": [VERSION_REQUIRED]})
        services.assessment_discard(
            assessment=assessment, by=request.user, expected_version=int(raw)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def optimize(self, queryset: Any) -> Any:
        replaced = SelfAssessment.objects.filter(
            supersedes=OuterRef("pk"), status=AssessmentStatus.SUBMITTED
        )
        queryset = (
            queryset.select_related("programme")
            .prefetch_related(Prefetch("answers", queryset=AssessmentAnswer.objects.order_by("id")))
            .annotate(replaced=Exists(replaced))
            .order_by("programme_id", "-year", "-id")
        )
        params = self.request.query_params
        errors = {}
        for name in ("programme", "year"):
            raw = params.get(name)
            if raw:
                if not raw.isdigit():
                    errors[name] = [_("Give a number.")]
                else:
                    queryset = queryset.filter(**{name: int(raw)})
        status = params.get("status")
        if status:
            if status not in AssessmentStatus.values:
                errors["status"] = [_("Give draft or submitted.")]
            queryset = queryset.filter(status=status)
        if errors:
            raise ValidationError(errors)
        return queryset


class ManagesAMunicipality(permissions.BasePermission):
    """Coordinators and admins (of some municipality); everyone else 403 up front."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return SelfAssessment.visibility_q(request.user, "view") is not None


class KeyPersonViewSet(viewsets.ViewSet):
    """Key-person risk of a programme, computed from the data (no stored rows)."""

    permission_classes = [permissions.IsAuthenticated, ManagesAMunicipality]
    serializer_class = KeyPersonRiskSerializer

    @extend_schema(
        parameters=[OpenApiParameter("programme", OpenApiTypes.INT, required=True)],
        responses=KeyPersonRiskSerializer,
        summary="Which responsibilities of a programme rest on one person or on nobody",
        description=(
            "Coordination, course leadership, matching and pay approval, with the staff who "
            "did them (last 12 months; course leaders over 3 years). Managers of the "
            "programme's municipality only; another municipality's programme is 404."
        ),
    )
    @action(detail=False, methods=["get"], url_path="key-persons")
    def key_persons(self, request: Request) -> Response:
        raw = request.query_params.get("programme", "")
        if not raw.isdigit():
            raise ValidationError({"programme": [_("Give a programme.")]})
        programme = programme_for(request.user, raw)
        today = timezone.localdate()
        responsibilities = key_person_risk([programme], today=today)[programme.pk]
        return Response(
            {
                "programme": programme.pk,
                "programme_name": programme.name,
                "as_of": today,
                "responsibilities": [r.as_dict() for r in responsibilities],
            }
        )


def register(router) -> None:  # noqa: ANN001
    router.register("quality/assessments", SelfAssessmentViewSet, basename="quality-assessment")
    # A plain ViewSet with one action, as the dashboards' report: /api/v1/quality/key-persons/.
    router.register("quality", KeyPersonViewSet, basename="quality")


extra_urls: list = []
