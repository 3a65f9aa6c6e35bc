"""Filters for the grants API (on the project's base, which bounds numbers)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet
from kobling.grants.choices import ApplicationStatus
from kobling.grants.models import Application


class ApplicationFilterSet(ListFilterSet):
    round = django_filters.NumberFilter(field_name="round_id", label=_("Round"))
    scheme = django_filters.NumberFilter(field_name="round__scheme_id", label=_("Scheme"))
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices, label=_("Status"))

    class Meta:
        model = Application
        fields: list[str] = []
