"""Writes for pay: rolling sessions up into monthly timesheets, approving them in bulk (which
freezes them), adjustments, expenses with receipts (record, change while open, approve, correct)
and the pay settings of a programme. Every write is audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kobling.followup.models import Pairing, Session
from kobling.helpers.models import Helper
from kobling.lib.errors import ConflictError
from kobling.pay import ledger
from kobling.pay.choices import (
    MAX_EXTRA_MINUTES,
    MAX_MANUAL_MINUTES,
    ExpenseCategory,
    ExpenseStatus,
    LineKind,
    TimesheetStatus,
)
from kobling.pay.models import (
    Expense,
    PaySettings,
    Timesheet,
    TimesheetLine,
    locked_expense_message,
    locked_timesheet_message,
)
from kobling.pay.months import current_month, last_day, month_of
from kobling.pay.storage import clean_receipt, clean_receipt_name, sniff_receipt
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import Programme, User

MAX_EXPENSE = Decimal("100000.00")


def _user(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def correction_text(corrected: dt.date | None, *, meeting: bool = False) -> str:
    if meeting:
        if corrected is None:
            return _("Group meeting held after its month was approved")
        return _("Correction of group meeting on %(date)s") % {
            "date": formats.date_format(corrected, "SHORT_DATE_FORMAT")
        }
    if corrected is None:
        return _("Session logged after its month was approved")
    return _("Correction of session on %(date)s") % {
        "date": formats.date_format(corrected, "SHORT_DATE_FORMAT")
    }


# --- roll-up --------------------------------------------------------------------------------


@dataclass
class RollUp:
    sheets: list[Timesheet] = field(default_factory=list)
    lines: list[TimesheetLine] = field(default_factory=list)


def _needed_sheets(helper_ids: list[int], month: dt.date | None) -> set[tuple[int, dt.date]]:
    """(helper, month) pairs that need a sheet and have none: months with held sessions or
    group meetings the helper led (only ``month`` if given), and a place for every expense not
    yet paid."""
    this_month = current_month()
    sessions = Session.objects.held().filter(helper_id__in=helper_ids)
    if month is not None:
        wanted = {
            (h, month)
            for h in sessions.filter(date__gte=month, date__lte=last_day(month))
            .values_list("helper_id", flat=True)
            .distinct()
            .order_by()
        }
        wanted |= {
            (m["payee"], month)
            for m in ledger.meeting_payees(
                helper_ids, lambda q: q.filter(date__gte=month, date__lte=last_day(month))
            )
        }
    else:
        wanted = set(
            sessions.annotate(m=TruncMonth("date"))
            .values_list("helper_id", "m")
            .distinct()
            .order_by()
        )
        wanted |= ledger.meeting_months(helper_ids)
    expenses = list(
        Expense.objects.filter(helper_id__in=helper_ids)
        .exclude(Exists(TimesheetLine.objects.filter(expense=OuterRef("pk"))))
        .values_list("helper_id", "date")
    )
    months = {m for _h, m in wanted} | {month_of(d) for _h, d in expenses}
    sheets: dict[tuple[int, dt.date], str] = {
        (h, m): status
        for h, m, status in Timesheet.objects.filter(
            helper_id__in=helper_ids, month__in=months
        ).values_list("helper_id", "month", "status")
    }
    open_months: dict[int, set[dt.date]] = defaultdict(set)
    for h, m in Timesheet.objects.filter(
        helper_id__in=helper_ids, status=TimesheetStatus.OPEN
    ).values_list("helper_id", "month"):
        open_months[h].add(m)
    for h, m in wanted:
        if (h, m) not in sheets:
            open_months[h].add(m)
    for h, day in expenses:
        expense_month = month_of(day)
        if ledger.expense_target_month(expense_month, sorted(open_months[h])) is not None:
            continue
        target = expense_month if (h, expense_month) not in sheets else this_month
        wanted.add((h, target))
        open_months[h].add(target)
    return {(h, m) for h, m in wanted if (h, m) not in sheets and m <= this_month}


def _lock_helpers(ids: Iterable[int]) -> dict[int, Helper]:
    """One writer per contact's ledger at a time (roll-up and approval alike), locked in id
    order."""
    return {
        h.pk: h for h in Helper.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    }


def _create_sheet(helper: Helper, month: dt.date, by: User | None) -> Timesheet:
    sheet = Timesheet(municipality_id=helper.municipality_id, helper=helper, month=month)
    sheet.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            sheet.save()
    except IntegrityError:
        # Someone else rolled the same month up in between (SQLite takes no row locks).
        return Timesheet.objects.get(helper=helper, month=month)
    audit_log(user=by, action=AuditAction.CREATE, obj=sheet, changes={"month": f"{month:%Y-%m}"})
    return sheet


def _store_pending(helper_ids: list[int], helpers: dict[int, Helper], by: User | None) -> RollUp:
    """Write the pending adjustments as lines on the right open sheets (creating this month's
    sheet when the helper has no open sheet after the corrected month)."""
    done = RollUp()
    pending = ledger.pending_adjustments(helper_ids)
    if not pending:
        return done
    open_sheets: dict[int, list[Timesheet]] = defaultdict(list)
    for sheet in Timesheet.objects.filter(
        helper_id__in={p.helper_id for p in pending}, status=TimesheetStatus.OPEN
    ).order_by("month"):
        open_sheets[sheet.helper_id].append(sheet)
    by_id = {s.pk: s for sheets in open_sheets.values() for s in sheets}
    this_month = current_month()
    for p in sorted(
        pending, key=lambda p: (p.helper_id, p.date, p.session_id or 0, p.meeting_id or 0)
    ):
        target = by_id.get(p.open_sheet_id) if p.open_sheet_id else None
        if target is None:
            target = next((s for s in open_sheets[p.helper_id] if s.month > p.base_month), None)
        if target is None:
            target = Timesheet.objects.filter(helper_id=p.helper_id, month=this_month).first()
            if target is None:
                target = _create_sheet(helpers[p.helper_id], this_month, by)
                done.sheets.append(target)
            elif target.is_approved:  # pragma: no cover - this month cannot be approved yet
                continue
            open_sheets[p.helper_id].append(target)
            open_sheets[p.helper_id].sort(key=lambda s: s.month)
            by_id[target.pk] = target
        line = TimesheetLine.objects.create(
            municipality_id=target.municipality_id,
            helper_id=p.helper_id,
            timesheet=target,
            kind=LineKind.ADJUSTMENT,
            date=p.date,
            minutes=p.minutes,
            extra_minutes=p.extra_minutes,
            session_id=p.session_id,
            origin_id=p.origin_id,
            meeting_id=p.meeting_id,
            corrected_date=p.corrected_date,
            description=correction_text(p.corrected_date, meeting=p.meeting_id is not None)[:300],
            created_by=_user(by),
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=line,
            changes={
                "timesheet": target.pk,
                "session": p.session_id,
                "meeting": p.meeting_id,
                "minutes": p.minutes,
                "extra_minutes": p.extra_minutes,
            },
        )
        done.lines.append(line)
    return done


def timesheet_roll_up(
    *, helper_ids: Iterable[int], by: User | None, month: dt.date | None = None
) -> RollUp:
    """Make sure every helper in ``helper_ids`` has an open timesheet for each month with held
    sessions (just ``month`` when given; never a future month) and for their unpaid expenses,
    and write any pending corrections as adjustment lines. Idempotent: a second call finds
    nothing to do (and then takes no lock)."""
    ids = sorted(set(helper_ids))
    if not ids:
        return RollUp()
    if not _needed_sheets(ids, month) and not ledger.pending_adjustments(ids):
        return RollUp()
    with transaction.atomic():
        helpers = _lock_helpers(ids)
        done = RollUp()
        for helper_id, sheet_month in sorted(_needed_sheets(ids, month)):
            done.sheets.append(_create_sheet(helpers[helper_id], sheet_month, by))
        stored = _store_pending(ids, helpers, by)
        done.sheets += stored.sheets
        done.lines += stored.lines
        return done


# --- approval ----------------------------------------------------------------------------------


@dataclass
class ApprovalResult:
    id: int
    ok: bool
    reason: str = ""


class ApprovalRefused(Exception):
    """Nothing was approved: ``results`` says, per id, why not (or that it would have been
    fine)."""

    def __init__(self, results: list[ApprovalResult]) -> None:
        super().__init__(_("Nothing was approved."))
        self.results = results


def _approval_problem(sheet: Timesheet | None, by: User) -> str:
    if sheet is None:
        return _("No such timesheet.")
    if sheet.helper.user_id is not None and sheet.helper.user_id == by.pk:
        # Four eyes: a coordinator who is also a contact is paid on someone else's approval.
        return _("Your own timesheet is approved by another coordinator or administrator.")
    if sheet.is_approved:
        when = formats.date_format(timezone.localtime(sheet.approved_at), "SHORT_DATE_FORMAT")
        return _("Already approved (%(date)s).") % {"date": when}
    if sheet.month >= current_month():
        return _("The month is not over yet.")
    if sheet.helper.hourly_rate <= 0:
        return _("%(name)s has no hourly rate.") % {"name": sheet.helper.full_name}
    return ""


def timesheets_approve(*, ids: Sequence[int], by: User) -> list[Timesheet]:
    """Approve these timesheets in one go, or none of them: if any cannot be approved (not
    found, already approved, month not over, no hourly rate, the approver's own) :class:`ApprovalRefused` carries
    the reason per id and nothing changes. Approval writes the pending corrections first, then
    stores every line, the helper's current hourly rate and the totals; from then on the sheet
    refuses every change. Audited per sheet."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise ValidationError({"ids": _("Choose at least one timesheet.")})
    with transaction.atomic():
        visible = Timesheet.objects.visible_to(by, "approve").filter(pk__in=wanted)
        # The contacts first, in id order, as roll-up does: one lock order, no deadlock.
        helpers = _lock_helpers(visible.values_list("helper_id", flat=True))
        found = {s.pk: s for s in visible.select_for_update(of=("self",)).select_related("helper")}
        results = [ApprovalResult(i, True) for i in wanted]
        for result in results:
            result.reason = _approval_problem(found.get(result.id), by)
            result.ok = not result.reason
        if not all(r.ok for r in results):
            raise ApprovalRefused(results)
        sheets = sorted(found.values(), key=lambda s: (s.month, s.pk))
        helper_ids = sorted({s.helper_id for s in sheets})
        _store_pending(helper_ids, helpers, by)
        for sheet in sheets:
            sheet.helper = helpers[sheet.helper_id]
        views = ledger.sheet_views(sheets)
        now = timezone.now()
        for sheet in sheets:
            _freeze(sheet, views[sheet.pk], by=by, at=now)
    return sheets


def _freeze(sheet: Timesheet, view: ledger.SheetView, *, by: User, at: dt.datetime) -> None:
    rate = sheet.helper.hourly_rate
    figures = ledger.Figures.from_rows(view.rows, rate)
    new_lines = []
    for row in view.rows:
        if row.stored:
            continue
        common = {
            "municipality_id": sheet.municipality_id,
            "helper_id": sheet.helper_id,
            "timesheet": sheet,
            "date": row.date,
            "created_by": _user(by),
        }
        if row.is_session:
            new_lines.append(
                TimesheetLine(
                    **common,
                    kind=LineKind.SESSION,
                    minutes=row.minutes,
                    extra_minutes=row.extra_minutes,
                    session_id=row.session_id,
                    origin_id=row.origin_id,
                )
            )
        elif row.is_meeting:
            new_lines.append(
                TimesheetLine(
                    **common,
                    kind=LineKind.MEETING,
                    minutes=row.minutes,
                    meeting_id=row.meeting_id,
                )
            )
        elif row.is_expense:
            new_lines.append(
                TimesheetLine(
                    **common,
                    kind=LineKind.EXPENSE,
                    expense_id=row.expense_id,
                    amount=row.amount,
                    description=row.description[:300],
                )
            )
    # Lines first, while the sheet is still open; then the sheet locks.
    TimesheetLine.objects.bulk_create(new_lines)
    sheet.hourly_rate = rate
    sheet.session_minutes = figures.session_minutes
    sheet.extra_minutes = figures.extra_minutes
    sheet.meeting_minutes = figures.meeting_minutes
    sheet.adjustment_minutes = figures.adjustment_minutes
    sheet.paid_minutes = figures.paid_minutes
    sheet.pay_amount = figures.pay_amount
    sheet.expenses_total = figures.expenses_total
    sheet.total_amount = figures.total_amount
    sheet.status = TimesheetStatus.APPROVED
    sheet.approved_by = _user(by)
    sheet.approved_at = at
    sheet.version += 1
    sheet.save()
    audit_log(
        user=by,
        action=AuditAction.UPDATE,
        obj=sheet,
        changes={
            "status": [TimesheetStatus.OPEN, TimesheetStatus.APPROVED],
            "hourly_rate": rate,
            "paid_minutes": figures.paid_minutes,
            "pay_amount": figures.pay_amount,
            "expenses_total": figures.expenses_total,
            "total_amount": figures.total_amount,
            "lines": len(new_lines),
        },
    )


def _lock_open_sheet(timesheet: Timesheet, expected_version: int | None = None) -> Timesheet:
    locked = Timesheet.objects.select_for_update().select_related("helper").get(pk=timesheet.pk)
    if locked.is_approved:
        raise ValidationError(locked_timesheet_message())
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _("Someone else changed this timesheet in the meantime. Reload and try again.")
        )
    return locked


def timesheet_add_adjustment(
    *, timesheet: Timesheet, minutes: int | None, reason: str, by: User
) -> TimesheetLine:
    """A coordinator's own adjustment (± minutes, with the reason) on an open timesheet."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if minutes is None:
        errors["minutes"] = _("Give the minutes (negative to deduct).")
    elif minutes == 0 or abs(minutes) > MAX_MANUAL_MINUTES:
        errors["minutes"] = _("Give between 1 and %(max)s minutes, negative to deduct.") % {
            "max": MAX_MANUAL_MINUTES
        }
    if not reason:
        errors["reason"] = _("Say why.")
    elif len(reason) > 300:
        errors["reason"] = _("At most 300 characters.")
    with transaction.atomic():
        sheet = _lock_open_sheet(timesheet)
        if errors:
            raise ValidationError(errors)
        day = min(timezone.localdate(), last_day(sheet.month))
        line = TimesheetLine.objects.create(
            municipality_id=sheet.municipality_id,
            helper_id=sheet.helper_id,
            timesheet=sheet,
            kind=LineKind.MANUAL,
            date=max(day, sheet.month),
            minutes=minutes,
            description=reason,
            created_by=_user(by),
        )
        sheet.version += 1
        sheet.save(update_fields=["version"])
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=line,
            changes={"timesheet": sheet.pk, "minutes": minutes, "reason": reason},
        )
    return line


def timesheet_update(
    *, timesheet: Timesheet, note: str, by: User, expected_version: int | None = None
) -> Timesheet:
    """Change the note of an open timesheet (refused once approved)."""
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("At most 300 characters.")})
    with transaction.atomic():
        sheet = _lock_open_sheet(timesheet, expected_version)
        before = {"note": sheet.note}
        sheet.note = note
        sheet.version += 1
        sheet.save(update_fields=["note", "version"])
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=sheet, changes=diff(before, {"note": note})
        )
    return sheet


# --- expenses ---------------------------------------------------------------------------------


def _amount(value: Any, errors: dict[str, str], *, correction: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors["amount"] = _("Give the amount.")
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        errors["amount"] = _("Give the amount as a number, e.g. 249.50.")
        return None
    if not amount.is_finite():
        errors["amount"] = _("Give the amount as a number, e.g. 249.50.")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("At most two decimals (øre).")
    elif correction and amount == 0:
        errors["amount"] = _("A correction must change the amount (not 0).")
    elif not correction and amount <= 0:
        errors["amount"] = _("The amount must be more than 0.")
    elif abs(amount) > MAX_EXPENSE:
        errors["amount"] = _("At most %(max)s NOK in one expense.") % {"max": MAX_EXPENSE}
    return amount


def _check_expense_fields(
    *,
    helper: Helper,
    date: dt.date | None,
    category: str,
    description: str,
    pairing: Pairing | None,
    errors: dict[str, str],
) -> None:
    if date is None:
        errors["date"] = _("Give the date of the expense.")
    elif date > timezone.localdate():
        errors["date"] = _("The date cannot be in the future.")
    elif date.year < 2000:
        errors["date"] = _("Give a real date.")
    if category not in ExpenseCategory.values:
        errors["category"] = _("Choose a category.")
    if len(description) > 300:
        errors["description"] = _("At most 300 characters.")
    if pairing is not None and pairing.helper_id != helper.pk:
        errors["pairing"] = _("Choose one of the contact's own pairings.")


def _may_record_for(by: User, helper: Helper) -> bool:
    return by.is_manager_of(helper.municipality_id) or (
        helper.user_id == by.pk and by.has_role(Role.TRAINING_CONTACT, helper.municipality_id)
    )


def _attach_receipt(expense: Expense, receipt: Any) -> None:
    expense.receipt_content_type = sniff_receipt(receipt)
    expense.receipt_name = clean_receipt_name(getattr(receipt, "name", ""))
    kept = clean_receipt(receipt, expense.receipt_content_type)
    expense.receipt_size = kept.size
    expense.receipt = kept


def expense_create(
    *,
    helper: Helper,
    by: User,
    date: dt.date | None,
    category: str,
    amount: Any,
    description: str = "",
    pairing: Pairing | None = None,
    receipt: Any = None,
) -> Expense:
    """Record an expense with its receipt (PDF, JPEG or PNG, at most 10 MB). A contact records
    their own; managers record for any contact of their municipality. It waits for a manager's
    approval. Audited."""
    if not _may_record_for(by, helper):
        raise PermissionDenied(_("You cannot record expenses for this contact."))
    description = (description or "").strip()
    errors: dict[str, str] = {}
    value = _amount(amount, errors)
    _check_expense_fields(
        helper=helper,
        date=date,
        category=category,
        description=description,
        pairing=pairing,
        errors=errors,
    )
    if receipt is None:
        errors["receipt"] = _("Attach the receipt (a photo or a PDF).")
    else:
        try:
            clean_receipt(receipt, sniff_receipt(receipt))
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    expense = Expense(
        municipality_id=helper.municipality_id,
        helper=helper,
        pairing=pairing,
        date=date,
        category=category,
        amount=value,
        description=description,
        created_by=_user(by),
    )
    _attach_receipt(expense, receipt)
    expense.full_clean(exclude=["receipt"])
    with transaction.atomic():
        expense.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=expense,
            changes={
                "helper": helper.pk,
                "pairing": pairing.pk if pairing else None,
                "date": date,
                "category": category,
                "amount": value,
                "receipt": expense.receipt_name,
            },
        )
    return expense


def _lock_open_expense(expense: Expense, expected_version: int | None = None) -> Expense:
    locked = Expense.objects.select_for_update().select_related("helper").get(pk=expense.pk)
    if locked.is_approved:
        raise ValidationError(locked_expense_message())
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _("Someone else changed this expense in the meantime. Reload and try again.")
        )
    return locked


_UNSET: Any = object()


def expense_update(
    *,
    expense: Expense,
    by: User,
    expected_version: int | None = None,
    date: Any = _UNSET,
    category: Any = _UNSET,
    amount: Any = _UNSET,
    description: Any = _UNSET,
    pairing: Any = _UNSET,
    receipt: Any = None,
) -> Expense:
    """Change an expense that is still open (refused once approved). A correction is changed
    only by a manager, and never so that the expense and its corrections add up to less than 0.
    Audited with the diff."""
    with transaction.atomic():
        locked = _lock_open_expense(expense, expected_version)
        if locked.is_correction and not by.is_manager_of(locked.municipality_id):
            raise PermissionDenied(_("Only coordinators and municipal administrators correct."))
        fields = ("date", "category", "amount", "description", "pairing_id", "receipt_name")
        before = {f: getattr(locked, f) for f in fields}
        errors: dict[str, str] = {}
        if date is not _UNSET:
            locked.date = date
        if category is not _UNSET:
            locked.category = category
        if description is not _UNSET:
            locked.description = (description or "").strip()
        if pairing is not _UNSET:
            locked.pairing = pairing
        if amount is not _UNSET:
            locked.amount = _amount(amount, errors, correction=locked.is_correction)
            if locked.is_correction and "amount" not in errors:
                base = Expense.objects.select_for_update().get(pk=locked.corrects_id)
                others = base.corrections.exclude(pk=locked.pk).aggregate(total=Sum("amount"))
                now = base.amount + (others["total"] or Decimal("0"))
                if now + locked.amount < 0:
                    errors["amount"] = _(
                        "The corrections cannot take the expense below 0 (now %(now)s NOK)."
                    ) % {"now": now}
        _check_expense_fields(
            helper=locked.helper,
            date=locked.date,
            category=locked.category,
            description=locked.description,
            pairing=locked.pairing,
            errors=errors,
        )
        if receipt is not None:
            try:
                _attach_receipt(locked, receipt)
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
        if errors:
            raise ValidationError(errors)
        locked.version += 1
        locked.full_clean(exclude=["receipt"])
        locked.save()
        after = {f: getattr(locked, f) for f in fields}
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=diff(before, after))
    return locked


def expense_approve(*, expense: Expense, by: User, expected_version: int | None = None) -> Expense:
    """A manager approves an expense; it is paid on the contact's next approved timesheet and
    can no longer be changed. ``expected_version`` is the version the manager looked at: if the
    contact changed the expense since, nothing is approved (409)."""
    with transaction.atomic():
        locked = Expense.objects.select_for_update().get(pk=expense.pk)
        if not by.is_manager_of(locked.municipality_id):
            raise PermissionDenied(_("Only coordinators and municipal administrators approve."))
        if locked.helper.user_id is not None and locked.helper.user_id == by.pk:
            raise PermissionDenied(
                _("Your own expense is approved by another coordinator or administrator.")
            )
        if locked.is_approved:
            raise ValidationError(_("This expense is already approved."))
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError(
                _("Someone else changed this expense in the meantime. Reload and try again.")
            )
        locked.status = ExpenseStatus.APPROVED
        locked.approved_by = _user(by)
        locked.approved_at = timezone.now()
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [ExpenseStatus.OPEN, ExpenseStatus.APPROVED]},
        )
    return locked


def expense_correct(*, original: Expense, amount: Any, description: str, by: User) -> Expense:
    """Correct an approved expense with a new entry (negative to take back, positive to add)
    that refers to it. The expense and its corrections can never add up to less than 0."""
    description = (description or "").strip()
    errors: dict[str, str] = {}
    value = _amount(amount, errors, correction=True)
    if not description:
        errors["description"] = _("Say what the correction is for.")
    elif len(description) > 300:
        errors["description"] = _("At most 300 characters.")
    with transaction.atomic():
        base = Expense.objects.select_for_update().get(pk=original.corrects_id or original.pk)
        if not by.is_manager_of(base.municipality_id):
            raise PermissionDenied(_("Only coordinators and municipal administrators correct."))
        if not base.is_approved:
            raise ValidationError(
                _("This expense is still open: change it instead of correcting it.")
            )
        if value is not None and not errors:
            corrected = base.corrections.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if base.amount + corrected + value < 0:
                errors["amount"] = _(
                    "The corrections cannot take the expense below 0 (now %(now)s NOK)."
                ) % {"now": base.amount + corrected}
        if errors:
            raise ValidationError(errors)
        correction = Expense(
            municipality_id=base.municipality_id,
            helper_id=base.helper_id,
            pairing_id=base.pairing_id,
            date=timezone.localdate(),
            category=base.category,
            amount=value,
            description=description,
            corrects=base,
            created_by=_user(by),
        )
        correction.full_clean(exclude=["receipt"])
        correction.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=correction,
            changes={"corrects": base.pk, "amount": value, "description": description},
        )
    return correction


# --- settings ---------------------------------------------------------------------------------


def pay_settings_for(programme: Programme) -> PaySettings:
    """The programme's settings, or unsaved defaults (0 extra minutes, no coordination cost)."""
    found = PaySettings.objects.filter(programme=programme).first()
    return found or PaySettings(municipality_id=programme.municipality_id, programme=programme)


def pay_settings_update(
    *,
    programme: Programme,
    by: User,
    extra_minutes_per_session: int | None,
    coordination_cost_per_year: Any,
    expected_version: int | None = None,
) -> PaySettings:
    """Set a programme's paid preparation/travel minutes per held session and its yearly
    coordination cost. Applies to sessions not yet paid; approved timesheets keep theirs."""
    errors: dict[str, str] = {}
    if extra_minutes_per_session is None or not (
        0 <= extra_minutes_per_session <= MAX_EXTRA_MINUTES
    ):
        errors["extra_minutes_per_session"] = _("Give between 0 and %(max)s minutes.") % {
            "max": MAX_EXTRA_MINUTES
        }
    try:
        cost = Decimal(str(coordination_cost_per_year or "0").replace(",", "."))
        if not cost.is_finite() or cost < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["coordination_cost_per_year"] = _("Give an amount of 0 or more.")
        cost = Decimal("0")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        settings = PaySettings.objects.select_for_update().filter(
            programme=programme
        ).first() or PaySettings(municipality_id=programme.municipality_id, programme=programme)
        if expected_version is not None and settings.pk and settings.version != expected_version:
            raise ConflictError(
                _("Someone else changed these settings in the meantime. Reload and try again.")
            )
        before = {
            "extra_minutes_per_session": settings.extra_minutes_per_session,
            "coordination_cost_per_year": settings.coordination_cost_per_year,
        }
        created = settings.pk is None
        settings.extra_minutes_per_session = extra_minutes_per_session
        settings.coordination_cost_per_year = cost.quantize(Decimal("0.01"))
        settings.updated_by = _user(by)
        if not created:
            settings.version += 1
        settings.full_clean()
        settings.save()
        after = {
            "extra_minutes_per_session": settings.extra_minutes_per_session,
            "coordination_cost_per_year": settings.coordination_cost_per_year,
        }
        audit_log(
            user=by,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=settings,
            changes=after if created else diff(before, after),
        )
    return settings
