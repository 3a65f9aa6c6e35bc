"""Moved down to :mod:`kobling.core.months` (reimbursement claims read months too); kept for
pay's imports."""

from kobling.core.months import (  # noqa: F401
    current_month,
    last_day,
    month_of,
    next_month,
    parse_month,
    previous_month,
)
