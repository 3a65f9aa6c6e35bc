"""API for matching: runs (start one over waiting participants and read its proposals with every
factor explained), proposals (confirm into a pairing, or reject), the coordinator's locks and
forbids, and the municipality's weights. Only coordinators and municipal admins; every queryset
starts from ``visible_to`` and every write goes through :mod:`kobling.matching.services`."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import managed_municipality_ids
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin
from kobling.matching import services
from kobling.matching.engine.types import FACTORS
from kobling.matching.filtersets import (
    MatchingRunFilterSet,
    PairRuleFilterSet,
    ProposalFilterSet,
)
from kobling.matching.models import MatchingRun, PairRule, Proposal
from kobling.matching.selectors import (
    Names,
    pair_rule_list_queryset,
    proposal_list_queryset,
    run_list_queryset,
)
from kobling.matching.serializers import (
    MatchingRunCreateSerializer,
    MatchingRunDetailSerializer,
    MatchingRunSerializer,
    MatchingWeightsSerializer,
    PairRuleSerializer,
    ProposalSerializer,
    RejectRequestSerializer,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality


class MatchingRunViewSet(
    ScopedReadOnlyViewSet,
):
    """Matching runs. POST starts a run over the given waiting referrals of a programme (or all
    of them) and answers with its proposals — score, each factor's contribution and the reason
    in words — and the participants left unmatched with the reason. Starting a run supersedes the
    programme's earlier open run."""

    queryset = MatchingRun.objects.all()
    serializer_class = MatchingRunSerializer
    filterset_class = MatchingRunFilterSet
    ordering_fields = ["created_at", "objective"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return run_list_queryset(queryset)

    def get_serializer_class(self):  # noqa: ANN201
        return MatchingRunDetailSerializer if self.action == "retrieve" else MatchingRunSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "names": Names.load()}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        run = self.get_object()
        # The run names the participants and contacts it considered: who saw whom.
        audit_log(user=request.user, action=AuditAction.VIEW, obj=run)
        return Response(
            MatchingRunDetailSerializer(run, context=self.get_serializer_context()).data
        )

    @extend_schema(
        request=MatchingRunCreateSerializer,
        responses={201: MatchingRunDetailSerializer},
        summary="Start a matching run over given (or all) waiting participants",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = MatchingRunCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        run = services.matching_run_create(
            by=request.user,
            programme=data.validated_data["programme"],
            referrals=data.validated_data.get("referrals"),
            weights_override=data.validated_data.get("weights") or None,
            min_score=data.validated_data.get("min_score"),
        )
        fresh = run_list_queryset(MatchingRun.objects.filter(pk=run.pk)).get()
        return Response(
            MatchingRunDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class ProposalViewSet(ScopedReadOnlyViewSet):
    """Proposed pairs. Confirm one to create the pairing (409 when its run was superseded, it was
    already handled, or the contact has no free place left), or reject it."""

    queryset = Proposal.objects.all()
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilterSet
    ordering_fields = ["score"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return proposal_list_queryset(queryset)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "names": Names.load()}

    @extend_schema(
        request=RejectRequestSerializer,
        responses=ProposalSerializer,
        summary="Reject a proposal (optionally never propose this pair again)",
    )
    @action(detail=True, methods=["post"], url_path="reject")
    def reject(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        data = RejectRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_reject(
            proposal=proposal,
            by=request.user,
            reason=data.validated_data["reason"],
            forbid=data.validated_data["forbid"],
        )
        fresh = proposal_list_queryset(Proposal.objects.filter(pk=proposal.pk)).get()
        return Response(ProposalSerializer(fresh, context=self.get_serializer_context()).data)


class PairRuleViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The coordinator's locks (always this pair) and forbids (never this pair). Every run uses
    them until they are removed."""

    queryset = PairRule.objects.all()
    serializer_class = PairRuleSerializer
    filterset_class = PairRuleFilterSet
    ordering_fields = ["created_at"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return pair_rule_list_queryset(queryset)

    def perform_create(self, serializer: PairRuleSerializer) -> None:
        rule = services.pair_rule_create(
            by=self.request.user,
            referral=serializer.validated_data["referral"],
            helper=serializer.validated_data["helper"],
            kind=serializer.validated_data["kind"],
        )
        serializer.instance = pair_rule_list_queryset(PairRule.objects.filter(pk=rule.pk)).get()

    def perform_destroy(self, instance: PairRule) -> None:
        services.pair_rule_delete(rule=instance, by=self.request.user)


class IsManager(permissions.BasePermission):
    message = "Only coordinators and municipal administrators can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and managed_municipality_ids(user))


def _municipality(request: Request, raw: Any) -> Municipality:
    managed = sorted(managed_municipality_ids(request.user))
    if raw in (None, ""):
        if len(managed) == 1:
            return Municipality.objects.get(pk=managed[0])
        raise ValidationError({"municipality": [_("Choose the municipality.")]})
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({"municipality": [_("Give the municipality's id.")]}) from None
    if wanted not in managed:
        # The same answer whether it exists elsewhere or not at all.
        raise ValidationError({"municipality": [_("Choose one of the municipalities you manage.")]})
    return Municipality.objects.get(pk=wanted)


class MatchingWeightsView(generics.GenericAPIView):
    """How much each matching factor counts in a municipality (created with the defaults on first
    use). Give the municipality as ``?municipality=`` (GET) or in the body (PUT); someone who
    manages one municipality may leave it out. Weights are 0–10, never negative, not all zero."""

    permission_classes = [permissions.IsAuthenticated, IsManager]
    serializer_class = MatchingWeightsSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[OpenApiParameter("municipality", int, required=False)],
        responses=MatchingWeightsSerializer,
        summary="The municipality's matching weights",
    )
    def get(self, request: Request) -> Response:
        municipality = _municipality(request, request.query_params.get("municipality"))
        weights = services.matching_weights_for(municipality=municipality)
        return Response(MatchingWeightsSerializer(weights).data)

    @extend_schema(
        request=MatchingWeightsSerializer,
        responses=MatchingWeightsSerializer,
        summary="Change the municipality's matching weights (any of them)",
    )
    def put(self, request: Request) -> Response:
        data = MatchingWeightsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        municipality = _municipality(request, request.data.get("municipality"))
        values = {
            name: data.validated_data[name]
            for name in (*FACTORS, "min_score")
            if name in data.validated_data
        }
        weights = services.matching_weights_update(
            municipality=municipality, by=request.user, data=values
        )
        return Response(MatchingWeightsSerializer(weights).data)


def register(router) -> None:  # noqa: ANN001
    router.register("matching/runs", MatchingRunViewSet, basename="matching-run")
    router.register("matching/proposals", ProposalViewSet, basename="matching-proposal")
    router.register("matching/rules", PairRuleViewSet, basename="matching-rule")


def _alias(name: str):  # noqa: ANN202
    # The action without the trailing slash, as the issue writes it; out of the schema, which
    # documents the canonical path once.
    return ProposalViewSet.as_view(
        {"post": name}, schema=None, detail=True, basename="matching-proposal"
    )


# (Confirming a proposal into a pairing is followup's: kobling.followup.api.ProposalConfirmView.)
extra_urls = [
    path("matching/weights/", MatchingWeightsView.as_view(), name="matching-weights"),
    path("matching/proposals/<int:pk>/reject", _alias("reject"), name="proposal-reject-noslash"),
]
