"""Months as first-of-month dates, and reading ``YYYY-MM`` (pay, reimbursement claims, any
monthly list)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def current_month() -> dt.date:
    return month_of(timezone.localdate())


def parse_month(value: str | None, *, field: str = "month", allow_future: bool = False) -> dt.date:
    """``YYYY-MM`` → the first day of that month. A clear error (on ``field``) for anything else,
    and for a month after the current one unless ``allow_future``."""
    match = _MONTH.match((value or "").strip())
    if not match:
        raise ValidationError({field: _("Give the month as YYYY-MM, e.g. 2025-03.")})
    year, number = int(match.group(1)), int(match.group(2))
    if not (1 <= number <= 12 and 2000 <= year <= 2100):
        raise ValidationError({field: _("Give the month as YYYY-MM, e.g. 2025-03.")})
    month = dt.date(year, number, 1)
    if not allow_future and month > current_month():
        raise ValidationError(
            {field: _("The month %(month)s is in the future.") % {"month": value}}
        )
    return month
