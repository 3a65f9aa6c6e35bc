"""Reads for pay: list querysets at a fixed number of queries, the FilterSets shared by the pages
and the API, and who a user may roll up and record expenses for."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet, MonthFilter
from kobling.helpers.models import Helper
from kobling.pay.choices import ExpenseCategory, ExpenseStatus, TimesheetStatus
from kobling.pay.models import Expense, Timesheet
from kobling.tenancy.choices import MANAGER_ROLES, Role


def timesheet_list_queryset(queryset: QuerySet[Timesheet]) -> QuerySet[Timesheet]:
    return queryset.select_related("helper", "municipality", "approved_by")


def expense_list_queryset(queryset: QuerySet[Expense]) -> QuerySet[Expense]:
    return queryset.select_related(
        "helper", "municipality", "pairing__participant", "approved_by", "corrects"
    )


def managed_helper_ids(user) -> list[int]:  # noqa: ANN001
    """Helpers whose pay the user manages (coordinator or admin of their municipality)."""
    ids = user.municipality_ids(*MANAGER_ROLES)
    if not ids:
        return []
    return list(Helper.objects.filter(municipality__in=sorted(ids)).values_list("pk", flat=True))


def own_helpers(user) -> QuerySet[Helper]:  # noqa: ANN001
    """The user's own helper profiles, where they are a training contact."""
    ids = user.municipality_ids(Role.TRAINING_CONTACT)
    if not ids:
        return Helper.objects.none()
    return Helper.objects.filter(user=user, municipality__in=sorted(ids)).select_related(
        "municipality"
    )


def roll_up_scope(user) -> list[int]:  # noqa: ANN001
    """Helpers whose timesheets a read by ``user`` brings up to date."""
    return sorted(
        set(managed_helper_ids(user)) | set(own_helpers(user).values_list("pk", flat=True))
    )


class TimesheetFilterSet(ListFilterSet):
    # Plain numbers: a filter must not confirm that an id exists in another municipality.
    month = MonthFilter(field_name="month", label=_("Month (YYYY-MM)"))
    status = django_filters.ChoiceFilter(choices=TimesheetStatus.choices, label=_("Status"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    programme = django_filters.NumberFilter(field_name="helper__programme_id", label=_("Programme"))

    class Meta:
        model = Timesheet
        fields = ["month", "status", "helper", "municipality", "programme"]


class ExpenseFilterSet(ListFilterSet):
    month = MonthFilter(method="filter_month", label=_("Month (YYYY-MM)"))
    status = django_filters.ChoiceFilter(choices=ExpenseStatus.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(choices=ExpenseCategory.choices, label=_("Category"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing"))
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )

    class Meta:
        model = Expense
        fields = ["month", "status", "category", "helper", "pairing", "municipality"]

    def filter_month(self, queryset: QuerySet[Expense], name: str, value: dt.date | None):  # noqa: ANN201
        if value is None:
            return queryset
        from kobling.pay.months import last_day

        return queryset.filter(date__gte=value, date__lte=last_day(value))
