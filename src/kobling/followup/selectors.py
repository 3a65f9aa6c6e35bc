"""Reads about pairings: lists at a fixed number of queries, and the one FilterSet shared by the
pairing page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kobling.followup.choices import OPEN_PAIRING_STATUSES, PairingStatus
from kobling.followup.models import Pairing


def pairing_list_queryset(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """Everything a pairing row shows, in one query."""
    return queryset.select_related(
        "municipality", "programme", "participant", "helper", "referral", "confirmed_by"
    )


def open_pairings(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    return queryset.filter(status__in=[s.value for s in OPEN_PAIRING_STATUSES])


class PairingFilterSet(django_filters.FilterSet):
    # Plain numbers: a filter must not confirm that an id exists in another municipality.
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    referral = django_filters.NumberFilter(field_name="referral_id", label=_("Referral"))
    status = django_filters.MultipleChoiceFilter(choices=PairingStatus.choices, label=_("Status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))

    class Meta:
        model = Pairing
        fields = ["municipality", "programme", "helper", "referral", "status", "open"]

    def filter_open(self, queryset: QuerySet[Pairing], name: str, value: bool | None):  # noqa: ANN201
        if value is None:
            return queryset
        statuses = [s.value for s in OPEN_PAIRING_STATUSES]
        return (
            queryset.filter(status__in=statuses) if value else queryset.exclude(status__in=statuses)
        )
