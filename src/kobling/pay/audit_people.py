"""What the access-log review needs from this app: timesheets are about a helper, expenses
about a helper and, when tied to a pair, its participant."""

from __future__ import annotations

from kobling.core.access_review import register_person_record
from kobling.pay.models import Expense, Timesheet


def register() -> None:
    register_person_record(Timesheet, helper="helper_id")
    register_person_record(Expense, helper="helper_id", participant="pairing__participant_id")
