"""API shapes for grants. Updates send back the ``version`` read (400 without it, 409 when
stale); workflow actions have their own input shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import require_version_on_update, version_field
from kobling.grants.choices import (
    SCORE_MAX,
    SCORE_MIN,
    ApplicationStatus,
    DecisionOutcome,
    RoundKind,
)
from kobling.grants.models import Application, Criterion, GrantDecision, GrantRound, GrantScheme
from kobling.matching.serializers import enum_field
from kobling.partners.choices import PreventionLevel
from kobling.tenancy.models import Municipality


class GrantCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "name", "description", "weight"]


class GrantSchemeSerializer(serializers.ModelSerializer):
    round_kind = enum_field(RoundKind.choices)
    criteria = GrantCriterionSerializer(many=True, read_only=True)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = GrantScheme
        fields = [
            "id",
            "municipality",
            "name",
            "purpose",
            "eligibility",
            "budget",
            "round_kind",
            "agreement_threshold",
            "is_active",
            "criteria",
            "version",
        ]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "municipality" in self.fields:
            self.fields["municipality"].queryset = Municipality.objects.filter(
                pk__in=managed_municipality_ids(request.user)
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs


class GrantRoundSerializer(serializers.ModelSerializer):
    scheme = serializers.PrimaryKeyRelatedField(queryset=GrantScheme.objects.all())
    state = serializers.SerializerMethodField(help_text="upcoming, open or closed — now.")

    class Meta:
        model = GrantRound
        fields = ["id", "scheme", "municipality", "name", "opens_on", "deadline", "budget", "state"]
        read_only_fields = ["municipality"]
        extra_kwargs = {"budget": {"required": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "scheme" in self.fields:
            self.fields["scheme"].queryset = GrantScheme.objects.visible_to(request.user)

    def get_state(self, obj: GrantRound) -> str:
        return obj.state


class GrantBudgetLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=0)


class GrantDecisionSerializer(serializers.ModelSerializer):
    outcome = enum_field(DecisionOutcome.choices)

    class Meta:
        model = GrantDecision
        fields = [
            "id",
            "outcome",
            "amount",
            "conditions",
            "reasons",
            "report_due_on",
            "decided_by",
            "decided_at",
            "supersedes",
        ]


class GrantApplicationSerializer(serializers.ModelSerializer):
    status = enum_field(ApplicationStatus.choices)
    prevention_level = enum_field(PreventionLevel.choices)
    partner_name = serializers.CharField(source="partner.name")
    budget_lines = GrantBudgetLineSerializer(many=True)
    amount_requested = serializers.DecimalField(max_digits=12, decimal_places=0)
    decision = serializers.SerializerMethodField()
    grant_status = serializers.SerializerMethodField(
        help_text="granted, paid, report_due, report_submitted, report_late, report_approved or reclaimed; null when not a grant."
    )
    report_status = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "municipality",
            "round",
            "partner",
            "partner_name",
            "status",
            "title",
            "purpose",
            "target_groups",
            "prevention_level",
            "expected_participants",
            "submitted_at",
            "budget_lines",
            "amount_requested",
            "decision",
            "grant_status",
            "report_due_on",
            "paid_on",
            "reclaimed_on",
            "agreement",
            "report_status",
            "version",
        ]
        read_only_fields = fields

    def _decision(self, obj: Application) -> GrantDecision | None:
        from kobling.grants.selectors import decision_of

        return decision_of(obj)

    def get_decision(self, obj: Application) -> dict[str, Any] | None:
        decision = self._decision(obj)
        return GrantDecisionSerializer(decision).data if decision else None

    def get_grant_status(self, obj: Application) -> str | None:
        from django.utils import timezone

        from kobling.grants.selectors import status_of

        return status_of(obj, timezone.localdate())

    def get_report_status(self, obj: Application) -> str | None:
        from kobling.grants.selectors import report_of

        report = report_of(obj)
        return report.status if report else None


class GrantRankedSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    application = serializers.IntegerField(source="application.pk")
    title = serializers.CharField(source="application.title")
    partner_name = serializers.CharField(source="application.partner.name")
    requested = serializers.DecimalField(max_digits=12, decimal_places=0)
    weighted_score = serializers.FloatField(allow_null=True)
    scorers = serializers.IntegerField()
    running_total = serializers.DecimalField(max_digits=12, decimal_places=0)
    within_budget = serializers.BooleanField()
    conflicts = serializers.IntegerField()


class GrantScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class GrantScoreOutputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    value = serializers.IntegerField()
    comment = serializers.CharField()


class GrantConflictInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class GrantDecisionInputSerializer(serializers.Serializer):
    outcome = enum_field(DecisionOutcome.choices)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=0, required=False, allow_null=True
    )
    reasons = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    report_due_on = serializers.DateField(required=False, allow_null=True)
    version = version_field()


class GrantReviewInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    questions = serializers.CharField(required=False, allow_blank=True, default="")
    version = version_field("The report's version you read (409 if it changed)")
