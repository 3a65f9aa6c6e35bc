"""Filters shared by the claims list page and the claims API (on the project's base)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet, MonthFilter
from kobling.providers.choices import ClaimStatus
from kobling.providers.models import ActivityProvider, ReimbursementClaim


def _providers(request: Any) -> Any:
    # Only the providers the user may see: a choice never confirms another municipality's id.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ActivityProvider.objects.none()
    return ActivityProvider.objects.visible_to(user).order_by("name", "pk")


class ClaimFilterSet(ListFilterSet):
    month = MonthFilter(field_name="month", label=_("Month (YYYY-MM)"))
    provider = django_filters.ModelChoiceFilter(queryset=_providers, label=_("Activity provider"))
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices, label=_("Status"))

    class Meta:
        model = ReimbursementClaim
        fields = ["month", "provider", "status"]
