"""Helper pay: settings per programme, monthly timesheets with their lines, and expenses with
receipts.

A timesheet is *open* while its month is being worked: its session lines are computed from the
held sessions (see :mod:`kobling.pay.ledger`) and only corrections are stored. Approval freezes
it: every line is stored, the rate and the totals are written, and from then on the database row,
its lines and the approved expenses it settles refuse every change (``save`` and ``delete``
raise). What changes later is paid as a new *adjustment* line on the next open timesheet."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kobling.core.frozen import FrozenOnceFinal
from kobling.followup.models import OnTheCourse, course_field
from kobling.pay.choices import (
    MAX_EXTRA_MINUTES,
    ExpenseCategory,
    ExpenseStatus,
    LineKind,
    TimesheetStatus,
)
from kobling.pay.storage import get_receipt_storage, receipt_upload_to
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities


def _managers_or_own(user, *, own: bool) -> Q | None:  # noqa: ANN001
    """Managers of the municipality; and, when ``own``, the training contact whose record it is
    (in a municipality where they still are a contact)."""
    managers = in_municipalities(user, MANAGER_ROLES)
    if not own:
        return managers
    contact_in = user.municipality_ids(Role.TRAINING_CONTACT)
    mine = Q(helper__user=user, municipality__in=sorted(contact_in)) if contact_in else None
    return any_of(managers, mine)


def _is_own(user, obj) -> bool:  # noqa: ANN001
    return obj.helper.user_id == user.pk and user.has_role(
        Role.TRAINING_CONTACT, obj.municipality_id
    )


def month_label(month) -> str:  # noqa: ANN001
    return f"{month:%Y-%m}"


class PaySettings(models.Model):
    """How a programme pays its helpers beyond the minutes of each session: paid preparation and
    travel minutes per held session, and (optional) the programme's yearly coordination cost for
    the cost figures. Mileage is not computed; travel costs are claimed as expenses."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    extra_minutes_per_session = models.PositiveSmallIntegerField(
        _("paid preparation and travel (minutes per held session)"),
        default=0,
        validators=[MaxValueValidator(MAX_EXTRA_MINUTES)],
    )
    coordination_cost_per_year = models.DecimalField(
        _("coordination cost per year (NOK)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Optional: the coordinator's time for this programme, for the cost figures."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pay settings")
        verbose_name_plural = _("pay settings")
        ordering = ["municipality", "programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "programme"],
                name="pay_settings_one_per_programme",
                violation_error_message=_("This programme already has pay settings."),
            ),
            models.CheckConstraint(
                condition=Q(extra_minutes_per_session__lte=MAX_EXTRA_MINUTES),
                name="pay_settings_extra_minutes_bounded",
                violation_error_message=_("At most 240 extra minutes per session."),
            ),
            models.CheckConstraint(
                condition=Q(coordination_cost_per_year__gte=0),
                name="pay_settings_coordination_not_negative",
                violation_error_message=_("The coordination cost cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}"

    def clean(self) -> None:
        if (
            self.programme_id
            and self.municipality_id
            and self.programme.municipality_id != self.municipality_id
        ):
            raise ValidationError(
                {"programme": _("The programme belongs to another municipality.")}
            )

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class Timesheet(FrozenOnceFinal, models.Model):
    """One helper's pay for one month (``month`` is the first day of the month)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="timesheets",
        verbose_name=_("contact"),
    )
    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TimesheetStatus.choices,
        default=TimesheetStatus.OPEN,
        db_index=True,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    # Written once, on approval (empty while open: an open sheet's figures are computed).
    hourly_rate = models.DecimalField(
        _("hourly rate (NOK)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    session_minutes = models.IntegerField(_("session minutes"), null=True, blank=True)
    extra_minutes = models.IntegerField(_("preparation and travel minutes"), null=True, blank=True)
    meeting_minutes = models.IntegerField(_("group meeting minutes"), null=True, blank=True)
    adjustment_minutes = models.IntegerField(_("adjustment minutes"), null=True, blank=True)
    paid_minutes = models.IntegerField(_("paid minutes"), null=True, blank=True)
    pay_amount = models.DecimalField(
        _("pay (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    expenses_total = models.DecimalField(
        _("expenses (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total_amount = models.DecimalField(
        _("total (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("timesheet")
        verbose_name_plural = _("timesheets")
        ordering = ["-month", "helper__last_name", "helper__first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["helper", "month"],
                name="timesheet_one_per_helper_month",
                violation_error_message=_("The contact already has a timesheet for this month."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="timesheet_month_is_first_day",
                violation_error_message=_("A timesheet's month is given by its first day."),
            ),
            models.CheckConstraint(
                condition=Q(status=TimesheetStatus.OPEN)
                | Q(
                    approved_at__isnull=False,
                    hourly_rate__isnull=False,
                    paid_minutes__isnull=False,
                    total_amount__isnull=False,
                ),
                name="timesheet_approved_has_totals",
                violation_error_message=_("An approved timesheet needs its rate and totals."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "month"], name="timesheet_municipality_month"),
        ]

    def __str__(self) -> str:
        return f"{self.helper} {month_label(self.month)}"

    @property
    def is_approved(self) -> bool:
        return self.status == TimesheetStatus.APPROVED

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    FINAL = TimesheetStatus.APPROVED  # approved rows are frozen (FrozenOnceFinal)

    def locked_message(self) -> str:
        return locked_timesheet_message()

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return _managers_or_own(user, own=action == "view")

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        return action == "view" and _is_own(user, self)


def locked_timesheet_message() -> str:
    return gettext(
        "This timesheet is approved and can no longer be changed. A correction is paid as an "
        "adjustment on the contact's next open timesheet."
    )


def locked_expense_message() -> str:
    return gettext(
        "This expense is approved and can no longer be changed. Record a correction instead."
    )


class Expense(FrozenOnceFinal, OnTheCourse):
    """Money a helper laid out (equipment, a gym fee, transport …), with the receipt. Approved
    expenses are never changed: a correction is a new expense (negative or positive) that
    ``corrects`` the original."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="expenses",
        verbose_name=_("contact"),
    )
    episode = course_field("+", null=True)
    pairing = models.ForeignKey(
        "followup.Pairing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pairing"),
    )
    date = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=20, choices=ExpenseCategory.choices)
    amount = models.DecimalField(_("amount (NOK)"), max_digits=10, decimal_places=2)
    description = models.CharField(_("description"), max_length=300, blank=True)
    receipt = models.FileField(
        _("receipt"),
        upload_to=receipt_upload_to,
        storage=get_receipt_storage,
        max_length=200,
        blank=True,
    )
    receipt_name = models.CharField(_("receipt file name"), max_length=120, blank=True)
    receipt_content_type = models.CharField(_("receipt type"), max_length=40, blank=True)
    receipt_size = models.PositiveIntegerField(_("receipt size (bytes)"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExpenseStatus.choices,
        default=ExpenseStatus.OPEN,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=True, amount__gt=0)
                | (Q(corrects__isnull=False) & ~Q(amount=0)),
                name="expense_amount_positive",
                violation_error_message=_("The amount must be more than 0."),
            ),
            models.CheckConstraint(
                condition=Q(status=ExpenseStatus.OPEN) | Q(approved_at__isnull=False),
                name="expense_approved_has_time",
                violation_error_message=_("An approved expense needs the time of approval."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "date"], name="expense_municipality_date"),
            models.Index(fields=["helper", "status"], name="expense_helper_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount} ({self.date:%d.%m.%Y})"

    @property
    def is_approved(self) -> bool:
        return self.status == ExpenseStatus.APPROVED

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None

    FINAL = ExpenseStatus.APPROVED  # approved rows are frozen (FrozenOnceFinal)

    def locked_message(self) -> str:
        return locked_expense_message()

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        # view, add (a contact records their own) and change (their own, while open); approving
        # and correcting are for managers.
        return _managers_or_own(user, own=action in {"view", "add", "change"})

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        # A correction is the managers' entry (they record and approve it): the contact reads
        # it but may not change it before it is approved.
        if action == "change" and self.is_correction:
            return False
        return action in {"view", "change"} and _is_own(user, self)


class TimesheetLine(models.Model):
    """One thing a timesheet pays. On an open sheet only adjustments are stored (the session and
    expense lines are computed); approval stores every line.

    ``origin`` is the first entry of the session's chain of corrections: it is how the ledger
    knows a session was already paid when a correction supersedes it. A group meeting has no
    chain (the meeting row itself changes): its lines carry ``meeting``, and what was paid for
    the meeting to one leader is the sum of that leader's lines for it."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("contact"),
    )
    timesheet = models.ForeignKey(
        Timesheet, on_delete=models.PROTECT, related_name="lines", verbose_name=_("timesheet")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    date = models.DateField(_("date"))
    minutes = models.IntegerField(_("minutes"), default=0)
    extra_minutes = models.IntegerField(_("preparation and travel minutes"), default=0)
    session = models.ForeignKey(
        "followup.Session",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("session"),
    )
    origin = models.ForeignKey(
        "followup.Session",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first entry of the session"),
    )
    # A group meeting the helper led (kind "meeting"), or whose pay an adjustment corrects.
    meeting = models.ForeignKey(
        "groups.Meeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("group meeting"),
    )
    corrected_date = models.DateField(_("date of the corrected session"), null=True, blank=True)
    expense = models.ForeignKey(
        Expense,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("expense"),
    )
    amount = models.DecimalField(
        _("amount (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("timesheet line")
        verbose_name_plural = _("timesheet lines")
        ordering = ["timesheet", "date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["expense"],
                condition=Q(expense__isnull=False),
                name="timesheet_line_expense_paid_once",
                violation_error_message=_("This expense is already paid on a timesheet."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=LineKind.EXPENSE)
                | Q(expense__isnull=False, amount__isnull=False),
                name="timesheet_line_expense_has_amount",
                violation_error_message=_("An expense line needs the expense and its amount."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=LineKind.SESSION) | Q(session__isnull=False, minutes__gt=0),
                name="timesheet_line_session_has_minutes",
                violation_error_message=_("A session line needs the session and its minutes."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=LineKind.MEETING) | Q(meeting__isnull=False, minutes__gt=0),
                name="timesheet_line_meeting_has_minutes",
                violation_error_message=_(
                    "A group meeting line needs the meeting and its minutes."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["origin"], name="timesheet_line_origin"),
            models.Index(fields=["helper", "kind"], name="timesheet_line_helper_kind"),
            models.Index(fields=["meeting", "helper"], name="timesheet_line_meeting_helper"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d.%m.%Y}"

    def _sheet_locked(self) -> bool:
        if self.timesheet_id is None:
            return False
        status = (
            Timesheet.objects.filter(pk=self.timesheet_id).values_list("status", flat=True).first()
        )
        return status == TimesheetStatus.APPROVED

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self._sheet_locked():
            raise ValidationError(locked_timesheet_message())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if self._sheet_locked():
            raise ValidationError(locked_timesheet_message())
        return super().delete(*args, **kwargs)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return _managers_or_own(user, own=action == "view")


# The database's side of the freeze: approved timesheets, their lines and approved expenses
# refuse UPDATE and DELETE by any path (installed by migration; kobling.lib.row_guards).
ROW_GUARDS = (
    Timesheet.row_guard(),
    Timesheet.part_row_guard(TimesheetLine, "timesheet_id"),
    Expense.row_guard(),
)
