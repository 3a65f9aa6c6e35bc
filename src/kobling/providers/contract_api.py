"""The API of concession contracts and reimbursement claims; registered through
:func:`kobling.providers.api.register`.

``concession-contracts`` (read; ``{id}/follow-up/``: every requirement per period) and
``reimbursement-claims`` (read with lines; ``build``, ``{id}/submit/`` for the provider's
staff; ``{id}/decide-line/``, ``{id}/approve/``, ``{id}/approve-all/`` and ``payment-file``
for the municipality's managers)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.versions import version_field
from kobling.core.viewsets import ScopedViewSetMixin
from kobling.providers import contract_export, contract_selectors
from kobling.providers import contract_services as contracts
from kobling.providers.filtersets import ClaimFilterSet
from kobling.providers.models import (
    ClaimLine,
    ConcessionTerms,
    ContractRequirement,
    ReimbursementClaim,
)

# --- serializers ------------------------------------------------------------------------------


class RequirementSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = ContractRequirement
        fields = ["id", "kind", "measure", "target", "period_months", "text"]


class ConcessionContractSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    starts_on = serializers.DateField(source="agreement.starts_on", read_only=True)
    ends_on = serializers.DateField(source="agreement.ends_on", read_only=True, allow_null=True)
    status = serializers.CharField(source="agreement.status", read_only=True)
    requirements = RequirementSerializer(many=True, read_only=True)

    class Meta:
        model = ConcessionTerms
        fields = [
            "id",
            "agreement",
            "provider",
            "provider_name",
            "starts_on",
            "ends_on",
            "status",
            "price_model",
            "price",
            "period_months",
            "capacity",
            "cap_per_person",
            "sessions_per_week",
            "requirements",
            "version",
        ]


class PeriodResultSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    partial = serializers.BooleanField(help_text="The period is not over yet")
    value = serializers.DecimalField(
        source="judged.value", max_digits=5, decimal_places=1, allow_null=True
    )
    numerator = serializers.IntegerField(source="judged.numerator", allow_null=True)
    denominator = serializers.IntegerField(source="judged.denominator", allow_null=True)
    target = serializers.DecimalField(source="judged.target", max_digits=4, decimal_places=1)
    result = serializers.ChoiceField(
        source="judged.result", choices=["met", "not_met", "no_data", "too_few"]
    )


class RequirementFollowUpSerializer(serializers.Serializer):
    requirement = RequirementSerializer()
    periods = PeriodResultSerializer(many=True)


class ClaimLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimLine
        fields = [
            "id",
            "kind",
            "placement",
            "episode",
            "visit",
            "adjusts",
            "day",
            "quantity",
            "unit_price",
            "amount",
            "note",
            "decision",
            "reason",
            "decided_at",
        ]


class ClaimSerializer(serializers.ModelSerializer):
    lines = ClaimLineSerializer(many=True, read_only=True)
    approved_amount = serializers.SerializerMethodField()
    pending_amount = serializers.SerializerMethodField()
    pending_lines = serializers.SerializerMethodField()

    class Meta:
        model = ReimbursementClaim
        fields = [
            "id",
            "terms",
            "provider",
            "month",
            "status",
            "built_at",
            "submitted_at",
            "approved_at",
            "version",
            "approved_amount",
            "pending_amount",
            "pending_lines",
            "lines",
        ]

    def _totals(self, claim: ReimbursementClaim) -> contract_selectors.ClaimTotals:
        return contract_selectors.claim_totals(list(claim.lines.all()))

    def get_approved_amount(self, claim: ReimbursementClaim) -> str:
        return str(self._totals(claim).approved_amount)

    def get_pending_amount(self, claim: ReimbursementClaim) -> str:
        return str(self._totals(claim).pending_amount)

    def get_pending_lines(self, claim: ReimbursementClaim) -> int:
        return self._totals(claim).pending


class ClaimBuildSerializer(serializers.Serializer):
    contract = serializers.IntegerField(help_text="The concession contract (its terms' id)")
    month = serializers.DateField(help_text="Any day of the month claimed")


class ClaimBuiltSerializer(serializers.Serializer):
    claim = ClaimSerializer()
    skipped = serializers.ListField(
        child=serializers.DictField(), help_text='Visits left out: {"visit", "reason"}'
    )


class ClaimVersionSerializer(serializers.Serializer):
    version = version_field()


class LineDecisionSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    version = version_field("The claim's version you read (409 if it changed)")


class ApproveAllSerializer(serializers.Serializer):
    version = version_field("The claim's version you read (409 if it changed)")
    expected_lines = serializers.IntegerField(help_text="Undecided lines you saw")
    expected_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Their sum you saw (409 if it changed)"
    )


# --- viewsets ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Concession contracts with providers (terms and requirements)"),
    retrieve=extend_schema(summary="A concession contract"),
)
class ConcessionContractViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Concession contracts with activity providers: price model, price, capacity and requirements,
    and the follow-up of each requirement per period. Coordinators and municipal admins see their
    municipality's; a provider's staff see their own provider's, the follow-up with small cells
    hidden. Read-only."""

    queryset = ConcessionTerms.objects.all()
    serializer_class = ConcessionContractSerializer

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("agreement", "provider").prefetch_related("requirements")

    @extend_schema(
        summary="Every requirement with its measured value, target and result per period",
        responses={200: RequirementFollowUpSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="follow-up",
        pagination_class=None,
        filter_backends=[],
    )
    def follow_up(self, request: Request, pk: str | None = None) -> Response:
        terms = self.get_object()
        # Inside the municipality exact figures; the provider's staff get the small-cell rule.
        outside = not request.user.is_manager_of(terms.municipality_id)
        rows = contract_selectors.contract_follow_up(terms, outside=outside)
        return Response(RequirementFollowUpSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Reimbursement claims (the provider's own; the municipality's)"),
    retrieve=extend_schema(summary="A claim with its lines"),
)
class ClaimViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Monthly reimbursement claims under a concession contract, with their lines. A provider's
    staff see their own provider's claims, build and submit them (the municipality's coordinators
    and admins may build one too); those managers see their municipality's, decide each line,
    approve the claim (it then freezes) and take the payment file — but not a claim they
    submitted themselves (a manager who is also the provider's staff: 403, another manager
    decides). Reads are audited; submitting, deciding and approving need the claim's ``version``
    (409 if stale)."""

    queryset = ReimbursementClaim.objects.all()
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilterSet
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("lines")

    @extend_schema(
        summary="Build (or rebuild while being prepared) the claim for a month",
        request=ClaimBuildSerializer,
        responses={200: ClaimBuiltSerializer},
    )
    @action(detail=False, methods=["post"], scope_action="view")
    def build(self, request: Request) -> Response:
        data = ClaimBuildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = get_object_or_404(
            ConcessionTerms.objects.visible_to(request.user, "view").select_related("agreement"),
            pk=data.validated_data["contract"],
        )
        claim, skipped = contracts.claim_build(
            by=request.user, terms=terms, month=data.validated_data["month"]
        )
        return Response(
            {
                "claim": ClaimSerializer(claim).data,
                "skipped": [{"visit": s.visit_id, "reason": s.reason} for s in skipped],
            }
        )

    @extend_schema(
        summary="Submit the claim (the provider's staff)",
        request=ClaimVersionSerializer,
        responses={200: ClaimSerializer},
    )
    @action(detail=True, methods=["post"], scope_action="submit")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = ClaimVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = contracts.claim_submit(
            by=request.user, claim=claim, expected_version=data.validated_data["version"]
        )
        return Response(ClaimSerializer(done).data)

    @extend_schema(
        summary="Approve or reject (with a reason) one line",
        request=LineDecisionSerializer,
        responses={200: ClaimSerializer},
    )
    @action(detail=True, methods=["post"], url_path="decide-line", scope_action="approve")
    def decide_line(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = LineDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = get_object_or_404(ClaimLine, pk=data.validated_data["line"], claim=claim)
        contracts.claim_line_decide(
            by=request.user,
            line=line,
            approve=data.validated_data["approve"],
            reason=data.validated_data.get("reason", ""),
            expected_version=data.validated_data["version"],
        )
        claim.refresh_from_db()
        return Response(ClaimSerializer(claim).data)

    @extend_schema(
        summary="Approve the claim once every line is decided (it freezes)",
        request=ClaimVersionSerializer,
        responses={200: ClaimSerializer},
    )
    @action(detail=True, methods=["post"], scope_action="approve")
    def approve(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = ClaimVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = contracts.claim_approve(
            by=request.user, claim=claim, expected_version=data.validated_data["version"]
        )
        return Response(ClaimSerializer(done).data)

    @extend_schema(
        summary="Approve every undecided line and the claim (409 if they changed)",
        request=ApproveAllSerializer,
        responses={200: ClaimSerializer},
    )
    @action(detail=True, methods=["post"], url_path="approve-all", scope_action="approve")
    def approve_all(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = ApproveAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = contracts.claim_approve_all(
            by=request.user,
            claim=claim,
            expected_version=data.validated_data["version"],
            expected_lines=data.validated_data["expected_lines"],
            expected_amount=data.validated_data["expected_amount"],
        )
        return Response(ClaimSerializer(done).data)

    @extend_schema(
        summary="The payment file of a month's approved claims (CSV, docs/providers.md)",
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], url_path="payment-file", scope_action="approve")
    def payment_file(self, request: Request) -> HttpResponse:
        try:
            month = dt.datetime.strptime(request.query_params.get("month", ""), "%Y-%m").date()
        except ValueError:
            raise serializers.ValidationError(
                {"month": [_("Give the month as YYYY-MM.")]}
            ) from None
        if ReimbursementClaim.visibility_q(request.user, "approve") is None:
            raise PermissionDenied
        content, name = contract_export.payment_csv(user=request.user, month=month)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def register(router) -> None:  # noqa: ANN001
    router.register(
        "concession-contracts", ConcessionContractViewSet, basename="concession-contract"
    )
    router.register("reimbursement-claims", ClaimViewSet, basename="reimbursement-claim")
