"""API shapes for matching: runs with their proposals (every factor with its number and its
sentence), the participants left unmatched and why, locks and forbids, and the weights."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.serializers import enum_field, id_field
from kobling.helpers.models import Helper
from kobling.helpers.serializers import ManagedProgrammeField
from kobling.matching.choices import PairRuleKind, ProposalStatus, RunStatus
from kobling.matching.engine.types import FACTORS
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.matching.selectors import Names, explain_unmatched, factor_lines, max_score
from kobling.referrals.models import Referral


def _names(context: dict[str, Any]) -> Names:
    names = context.get("names")
    if names is None:
        names = context["names"] = Names.load()
    return names


class FactorSerializer(serializers.Serializer):
    factor = serializers.CharField(help_text="activity, distance, availability, …")
    label = serializers.CharField()
    value = serializers.FloatField(help_text="How well this factor fits, 0..1")
    weight = serializers.FloatField()
    contribution = serializers.FloatField(
        help_text="value × weight: this factor's part of the score"
    )
    reason = serializers.CharField(help_text="The engine's stable reason code")
    details = serializers.DictField(help_text="The reason's parameters")
    explanation = serializers.CharField(help_text="The contribution in words")


class ProposalSerializer(serializers.ModelSerializer):
    """A proposed pair: the score, each factor's contribution with an explanation in words."""

    participant_name = serializers.CharField(source="referral.participant.full_name")
    helper_name = serializers.CharField(source="helper.full_name")
    run_status = enum_field(RunStatus.choices, source="run.status", read_only=True)
    status = enum_field(ProposalStatus.choices, read_only=True)
    factors = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "run",
            "run_status",
            "municipality",
            "referral",
            "participant_name",
            "helper",
            "helper_name",
            "score",
            "locked",
            "status",
            "factors",
            "explanation",
        ]
        read_only_fields = fields

    def _lines(self, proposal: Proposal) -> list[tuple[dict[str, Any], Any]]:
        names = _names(self.context)
        raw = sorted(
            proposal.factors or [],
            key=lambda f: FACTORS.index(f.get("factor")) if f.get("factor") in FACTORS else 99,
        )
        return list(zip(raw, factor_lines(raw, names), strict=True))

    @extend_schema_field(FactorSerializer(many=True))
    def get_factors(self, proposal: Proposal) -> list[dict[str, Any]]:
        return [
            {
                "factor": line.factor,
                "label": line.label,
                "value": line.value,
                "weight": line.weight,
                "contribution": line.contribution,
                "reason": str(raw.get("reason") or ""),
                "details": raw.get("details") if isinstance(raw.get("details"), dict) else {},
                "explanation": line.text,
            }
            for raw, line in self._lines(proposal)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_explanation(self, proposal: Proposal) -> list[str]:
        return [line.text for _raw, line in self._lines(proposal)]


class UnmatchedSerializer(serializers.Serializer):
    referral = serializers.IntegerField()
    participant_name = serializers.CharField()
    reason = serializers.CharField(help_text="The engine's stable reason code")
    details = serializers.DictField()
    explanation = serializers.CharField()


class MatchingRunSerializer(serializers.ModelSerializer):
    """A run in the list: when, for which programme, with which weights, and how it went."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    created_by = serializers.CharField(
        source="created_by.get_username", default=None, read_only=True, allow_null=True
    )
    status = enum_field(RunStatus.choices, read_only=True)
    weights = serializers.DictField(child=serializers.FloatField(), read_only=True)
    participant_count = serializers.IntegerField(read_only=True)
    proposal_count = serializers.IntegerField(read_only=True)
    confirmed_count = serializers.IntegerField(read_only=True)
    unmatched_count = serializers.SerializerMethodField()
    max_score = serializers.SerializerMethodField()

    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "municipality",
            "programme",
            "programme_name",
            "status",
            "created_at",
            "created_by",
            "weights",
            "min_score",
            "max_score",
            "contact_count",
            "participant_count",
            "proposal_count",
            "confirmed_count",
            "unmatched_count",
            "objective",
            "duration_ms",
        ]
        read_only_fields = fields

    def get_unmatched_count(self, run: MatchingRun) -> int:
        return len(run.unmatched or [])

    def get_max_score(self, run: MatchingRun) -> float:
        return max_score(run.weights or {})


class MatchingRunDetailSerializer(MatchingRunSerializer):
    """A run with every proposal (factors and explanations) and everyone left unmatched."""

    proposals = serializers.SerializerMethodField()
    unmatched = serializers.SerializerMethodField()

    class Meta(MatchingRunSerializer.Meta):
        fields = [*MatchingRunSerializer.Meta.fields, "proposals", "unmatched"]
        read_only_fields = fields

    @extend_schema_field(ProposalSerializer(many=True))
    def get_proposals(self, run: MatchingRun) -> list[dict[str, Any]]:
        rows = self.context.get("proposals")
        if rows is None:
            from kobling.matching.selectors import proposal_list_queryset

            rows = proposal_list_queryset(run.proposals.all()).order_by("-score", "id")
        return ProposalSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(UnmatchedSerializer(many=True))
    def get_unmatched(self, run: MatchingRun) -> list[dict[str, Any]]:
        entries = [u for u in run.unmatched or [] if isinstance(u, dict)]
        ids = [u.get("referral") for u in entries if isinstance(u.get("referral"), int)]
        people = {
            r.pk: r.participant.full_name
            for r in Referral.objects.filter(pk__in=ids, municipality=run.municipality_id)
            .select_related("participant")
            .only("pk", "participant__first_name", "participant__last_name")
        }
        return [
            {
                "referral": u.get("referral"),
                "participant_name": people.get(u.get("referral"), ""),
                "reason": str(u.get("reason") or ""),
                "details": u.get("details") if isinstance(u.get("details"), dict) else {},
                "explanation": explain_unmatched(str(u.get("reason") or ""), u.get("details")),
            }
            for u in entries
        ]


class WeightsOverrideSerializer(serializers.Serializer):
    """Weights for this run only (the municipality's stay as they are)."""

    activity = serializers.FloatField(required=False)
    distance = serializers.FloatField(required=False)
    availability = serializers.FloatField(required=False)
    target_group = serializers.FloatField(required=False)
    preferences = serializers.FloatField(required=False)
    language = serializers.FloatField(required=False)


class MatchingRunCreateSerializer(serializers.Serializer):
    """Start a run over the given waiting referrals of a programme, or all of them."""

    programme = ManagedProgrammeField()
    referrals = serializers.ListField(
        child=id_field(),
        required=False,
        allow_empty=False,
        max_length=5000,
        help_text="Referral ids (waiting participants of the programme); leave out for everyone waiting.",
    )
    weights = WeightsOverrideSerializer(required=False)
    min_score = serializers.FloatField(
        required=False, help_text="The lowest acceptable score for this run"
    )


class ConfirmRequestSerializer(serializers.Serializer):
    intro_meeting_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="The introduction meeting (coordinator, contact and participant), if set now",
    )
    intro_meeting_place = serializers.CharField(
        required=False, allow_blank=True, max_length=160, default=""
    )


class RejectRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    forbid = serializers.BooleanField(
        required=False, default=False, help_text="Also never propose this pair again"
    )


@extend_schema_field(OpenApiTypes.INT)
class ManagedReferralField(serializers.PrimaryKeyRelatedField):
    """A referral the caller manages (anything else is simply "not found")."""

    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Referral.objects.filter(municipality__in=sorted(managed_municipality_ids(user)))


@extend_schema_field(OpenApiTypes.INT)
class ManagedHelperField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Helper.objects.filter(municipality__in=sorted(managed_municipality_ids(user)))


class PairRuleSerializer(serializers.ModelSerializer):
    """A lock (always this pair) or forbid (never this pair), used by every run until removed."""

    referral = ManagedReferralField()
    helper = ManagedHelperField()
    kind = enum_field(PairRuleKind.choices)
    participant_name = serializers.CharField(
        source="referral.participant.full_name", read_only=True
    )
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    created_by = serializers.CharField(
        source="created_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = PairRule
        fields = [
            "id",
            "municipality",
            "referral",
            "participant_name",
            "helper",
            "helper_name",
            "kind",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "municipality", "created_by", "created_at"]
        validators: list = []


class MatchingWeightsSerializer(serializers.ModelSerializer):
    """How much each factor counts in a municipality (0–10 each, not all zero), and the lowest
    acceptable score."""

    activity = serializers.FloatField(required=False)
    distance = serializers.FloatField(required=False)
    availability = serializers.FloatField(required=False)
    target_group = serializers.FloatField(required=False)
    preferences = serializers.FloatField(required=False)
    language = serializers.FloatField(required=False)
    min_score = serializers.FloatField(required=False)
    municipality = serializers.IntegerField(
        source="municipality_id",
        required=False,
        help_text=_("Which municipality; may be left out by someone who manages only one."),
    )

    class Meta:
        model = MatchingWeights
        fields = ["municipality", *FACTORS, "min_score", "updated_at"]
        read_only_fields = ["updated_at"]
