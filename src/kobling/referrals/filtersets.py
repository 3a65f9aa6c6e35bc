"""FilterSets shared by the referral pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet, visible_municipalities, visible_programmes
from kobling.helpers.models import TargetGroup
from kobling.referrals.choices import Priority, ReferralSource, ReferralStatus
from kobling.referrals.models import Referral

DATE = {"type": "date"}


def _area(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(
        Q(preferred_area__icontains=value)
        | Q(participant__home_area__icontains=value)
        | Q(participant__postcode__startswith=value)
    )


class WaitingListFilterSet(ListFilterSet):
    municipality = django_filters.ModelChoiceFilter(
        queryset=visible_municipalities, label=_("Municipality")
    )
    programme = django_filters.ModelChoiceFilter(queryset=visible_programmes, label=_("Programme"))
    priority = django_filters.TypedChoiceFilter(
        choices=Priority.choices, coerce=int, label=_("Priority")
    )
    target_group = django_filters.ModelChoiceFilter(
        field_name="target_groups",
        to_field_name="code",
        queryset=TargetGroup.objects.filter(is_active=True),
        label=_("Target group"),
    )
    area = django_filters.CharFilter(method="filter_area", label=_("Area"))

    class Meta:
        model = Referral
        fields = ["municipality", "programme", "priority", "target_group", "area"]

    def filter_area(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _area(queryset, name, value)


class ReferralFilterSet(WaitingListFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search by name"))
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=ReferralSource.choices, label=_("Referred by"))
    received_from = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__gte",
        label=_("Received from"),
        widget=forms.DateInput(attrs=DATE),
    )
    received_to = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__lte",
        label=_("Received to"),
        widget=forms.DateInput(attrs=DATE),
    )

    class Meta:
        model = Referral
        fields = [
            "q",
            "municipality",
            "programme",
            "status",
            "priority",
            "source",
            "target_group",
            "area",
            "received_from",
            "received_to",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q()
        for word in value.split():
            q &= Q(participant__first_name__icontains=word) | Q(
                participant__last_name__icontains=word
            )
        return queryset.filter(q)
