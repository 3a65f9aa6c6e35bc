"""Filters for the grants API."""

from __future__ import annotations

import django_filters

from kobling.grants.choices import ApplicationStatus
from kobling.grants.models import Application


class ApplicationFilterSet(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="round_id", label="Round")
    scheme = django_filters.NumberFilter(field_name="round__scheme_id", label="Scheme")
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)

    class Meta:
        model = Application
        fields = ["round", "scheme", "status"]
