"""The grants API for case officers (the municipality's admins and coordinators): schemes,
rounds with their ranked list, sent applications with scoring, conflict declarations, decisions
and report review. Everyone else 403; another municipality's records 404. Organisations use
their pages (signed in by e-mail link), not the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import require_manager
from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin, ScopedWritableViewSet
from kobling.grants import selectors, services
from kobling.grants.choices import ApplicationStatus
from kobling.grants.filtersets import ApplicationFilterSet
from kobling.grants.models import Application, Criterion, GrantRound, GrantScheme
from kobling.grants.serializers import (
    GrantApplicationSerializer,
    GrantConflictInputSerializer,
    GrantDecisionInputSerializer,
    GrantRankedSerializer,
    GrantReviewInputSerializer,
    GrantRoundSerializer,
    GrantSchemeSerializer,
    GrantScoreInputSerializer,
    GrantScoreOutputSerializer,
)

extra_urls: list = []


@extend_schema_view(
    list=extend_schema(summary="Grant schemes, with their criteria"),
    create=extend_schema(summary="Create a grant scheme"),
    update=extend_schema(summary="Change a grant scheme (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of a grant scheme's fields"),
)
class GrantSchemeViewSet(ScopedWritableViewSet):
    """The municipality's grant schemes, each with its weighted criteria. Only the municipality's
    coordinators and municipal admins see, create and change them; a change needs the ``version``
    you read (409 if stale)."""

    queryset = GrantScheme.objects.all()
    serializer_class = GrantSchemeSerializer
    ordering_fields = ["name"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("criteria")

    def perform_create(self, serializer: GrantSchemeSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        attrs.pop("version", None)
        serializer.instance = services.scheme_create(
            by=self.request.user, municipality=municipality, data=attrs
        )

    def perform_update(self, serializer: GrantSchemeSerializer) -> None:
        attrs: dict[str, Any] = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        serializer.instance = services.scheme_update(
            scheme=serializer.instance, by=self.request.user, data=attrs, expected_version=version
        )


@extend_schema_view(
    list=extend_schema(summary="Grant rounds"),
    retrieve=extend_schema(summary="A grant round"),
    create=extend_schema(summary="Open a round of a scheme (budget: the scheme's when left out)"),
)
class GrantRoundViewSet(
    ScopedCreateViewSet,
):
    """Rounds of a grant scheme, which take applications until their deadline, with each round's
    ranked list. Only the municipality's coordinators and municipal admins see and open them; a
    round is not changed through the API."""

    queryset = GrantRound.objects.all()
    serializer_class = GrantRoundSerializer
    ordering_fields = ["opens_on"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("scheme")

    def perform_create(self, serializer: GrantRoundSerializer) -> None:
        attrs = dict(serializer.validated_data)
        scheme = attrs.pop("scheme")
        serializer.instance = services.round_create(scheme=scheme, by=self.request.user, data=attrs)

    @extend_schema(
        responses=GrantRankedSerializer(many=True),
        summary="The round's sent applications ranked by weighted score, with the running total against the budget",
    )
    @action(
        detail=True, methods=["get"], url_path="ranking", pagination_class=None, filter_backends=[]
    )
    def ranking(self, request: Request, pk: str | None = None) -> Response:
        grant_round = self.get_object()
        return Response(GrantRankedSerializer(selectors.round_ranking(grant_round), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Sent grant applications (drafts stay the organisation's)"),
    retrieve=extend_schema(
        summary="A sent grant application, with its decision in force and the grant's status"
    ),
)
class GrantApplicationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Grant applications once the organisation has sent them (drafts stay the organisation's). Only
    the municipality's coordinators and municipal admins see them, score them, declare conflicts of
    interest, decide and review reports; reads are audited. A decision is never edited (a correction
    is a new decision), and deciding and reviewing need the ``version`` you read (409 if stale)."""

    queryset = Application.objects.all()
    serializer_class = GrantApplicationSerializer
    filterset_class = ApplicationFilterSet
    ordering_fields = ["submitted_at"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return selectors.application_queryset(queryset.exclude(status=ApplicationStatus.DRAFT))

    def _fresh(self, application: Application) -> Response:
        fresh = selectors.application_queryset(Application.objects.filter(pk=application.pk)).get()
        return Response(GrantApplicationSerializer(fresh).data)

    @extend_schema(
        request=GrantScoreInputSerializer,
        responses=GrantScoreOutputSerializer,
        summary="Score one criterion (0–5); refused (403) for an officer who declared a conflict of interest",
    )
    @action(detail=True, methods=["post"], url_path="score")
    def score(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        require_manager(request.user, application.municipality_id)
        data = GrantScoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = Criterion.objects.filter(
            pk=data.validated_data["criterion"], scheme_id=application.round.scheme_id
        ).first()
        if criterion is None:
            raise ValidationError(
                {"criterion": ["Choose a criterion of the application's scheme."]}
            )
        try:
            score = services.score_record(
                application=application,
                officer=request.user,
                criterion=criterion,
                value=data.validated_data["value"],
                comment=data.validated_data["comment"],
            )
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc) or None) from exc
        return Response(GrantScoreOutputSerializer(score).data)

    @extend_schema(
        request=GrantConflictInputSerializer,
        responses={201: None},
        summary="Declare a conflict of interest: you can no longer score the application",
    )
    @action(detail=True, methods=["post"], url_path="conflict")
    def conflict(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        require_manager(request.user, application.municipality_id)
        data = GrantConflictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.conflict_declare(
            application=application, officer=request.user, reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(
        request=GrantDecisionInputSerializer,
        responses=GrantApplicationSerializer,
        summary="Decide (or correct the decision in force with a new one); the applicant is told with the letter",
    )
    @action(detail=True, methods=["post"], url_path="decide")
    def decide(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        require_manager(request.user, application.municipality_id)
        data = GrantDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.decision_make(
            application=application,
            by=request.user,
            outcome=values["outcome"],
            amount=values.get("amount"),
            reasons=values["reasons"],
            conditions=values["conditions"],
            report_due_on=values.get("report_due_on"),
            expected_version=values["version"],
        )
        return self._fresh(application)

    @extend_schema(
        request=GrantReviewInputSerializer,
        responses=GrantApplicationSerializer,
        summary="Approve the submitted report, or send follow-up questions",
    )
    @action(detail=True, methods=["post"], url_path="review-report")
    def review_report(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        require_manager(request.user, application.municipality_id)
        report = selectors.report_of(application)
        if report is None:
            raise ValidationError({"non_field_errors": ["No report has been sent."]})
        data = GrantReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.report_review(
            report=report,
            by=request.user,
            approve=values["approve"],
            questions=values["questions"],
            expected_version=values["version"],
        )
        return self._fresh(application)


def register(router) -> None:  # noqa: ANN001
    router.register("grant-schemes", GrantSchemeViewSet, basename="grant-scheme")
    router.register("grant-rounds", GrantRoundViewSet, basename="grant-round")
    router.register("grant-applications", GrantApplicationViewSet, basename="grant-application")
