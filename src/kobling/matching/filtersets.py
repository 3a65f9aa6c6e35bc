"""FilterSets for matching lists (API and pages alike). Ids are plain numbers: a filter must not
confirm that a record exists in another municipality."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet
from kobling.matching.choices import PairRuleKind, ProposalStatus, RunStatus
from kobling.matching.models import MatchingRun, PairRule, Proposal


class MatchingRunFilterSet(ListFilterSet):
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label=_("Status"))

    class Meta:
        model = MatchingRun
        fields = ["municipality", "programme", "status"]


class ProposalFilterSet(ListFilterSet):
    run = django_filters.NumberFilter(field_name="run_id", label=_("Run"))
    referral = django_filters.NumberFilter(field_name="referral_id", label=_("Referral"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    status = django_filters.ChoiceFilter(choices=ProposalStatus.choices, label=_("Status"))

    class Meta:
        model = Proposal
        fields = ["run", "referral", "helper", "status"]


class PairRuleFilterSet(ListFilterSet):
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    referral = django_filters.NumberFilter(field_name="referral_id", label=_("Referral"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    kind = django_filters.ChoiceFilter(choices=PairRuleKind.choices, label=_("Kind"))

    class Meta:
        model = PairRule
        fields = ["municipality", "referral", "helper", "kind"]
