"""Django admin for matching: runs with their proposals, and the coordinators' rules — to look
at, never to change (runs are made by the service, rules through the pages and the API). The
weights are reference data a superuser may correct."""

from __future__ import annotations

from django.contrib import admin

from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.tenancy.admin_mixins import PersonalRecordAdmin, ReadOnlyInline


@admin.register(MatchingWeights)
class MatchingWeightsAdmin(admin.ModelAdmin):
    list_display = [
        "municipality",
        "activity",
        "distance",
        "availability",
        "target_group",
        "preferences",
        "language",
        "min_score",
    ]


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["referral", "helper", "score", "locked", "status"]
    readonly_fields = fields


@admin.register(MatchingRun)
class MatchingRunAdmin(PersonalRecordAdmin):
    list_display = [
        "created_at",
        "municipality",
        "programme",
        "status",
        "contact_count",
        "objective",
    ]
    list_filter = ["status", "municipality"]
    inlines = [ProposalInline]

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        return super().get_queryset(request).select_related("municipality", "programme")


@admin.register(PairRule)
class PairRuleAdmin(PersonalRecordAdmin):
    list_display = ["referral", "helper", "kind", "municipality", "created_at"]
    list_filter = ["kind", "municipality"]

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        return (
            super()
            .get_queryset(request)
            .select_related(
                "referral__participant", "referral__programme", "helper", "municipality"
            )
        )
