"""API shapes for timesheets and expenses. An open timesheet's figures are estimates computed from
the sessions logged so far (``is_estimate: true``); an approved one's are frozen. Participants
appear by their initials only; no health details."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from kobling.core.serializers import enum_field, id_field
from kobling.core.versions import version_field
from kobling.pay.choices import ExpenseCategory, ExpenseStatus, LineKind, TimesheetStatus
from kobling.pay.ledger import Row, SheetView
from kobling.pay.models import Expense, Timesheet

MONEY = {"max_digits": 12, "decimal_places": 2}


class TimesheetLineSerializer(serializers.Serializer):
    kind = enum_field(LineKind.choices, read_only=True)
    date = serializers.DateField()
    minutes = serializers.IntegerField(help_text="Session minutes (signed for adjustments)")
    extra_minutes = serializers.IntegerField(help_text="Paid preparation/travel minutes")
    amount = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Expense lines: the amount (NOK)"
    )
    description = serializers.CharField()
    participant = serializers.CharField(help_text="The participant's initials")
    session = serializers.IntegerField(source="session_id", allow_null=True)
    meeting = serializers.IntegerField(
        source="meeting_id",
        allow_null=True,
        help_text="Group meeting lines (and their corrections): the meeting",
    )
    group = serializers.CharField(
        help_text="Group meeting lines (and their corrections): the group's title"
    )
    expense = serializers.IntegerField(source="expense_id", allow_null=True)
    corrected_date = serializers.DateField(
        allow_null=True, help_text="Adjustments: the date of the session that was corrected"
    )
    category = serializers.CharField(help_text="Expense lines: the category")


class TimesheetSerializer(serializers.Serializer):
    """A timesheet with its totals. While ``status`` is ``open`` the figures are estimates at the
    contact's current rate; approval freezes them (``hourly_rate`` is then the rate used)."""

    id = serializers.IntegerField()
    municipality = serializers.IntegerField(source="municipality_id")
    helper = serializers.IntegerField(source="helper_id")
    helper_name = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    status = enum_field(TimesheetStatus.choices, read_only=True)
    is_estimate = serializers.BooleanField()
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2)
    sessions_held = serializers.IntegerField()
    session_minutes = serializers.IntegerField()
    extra_minutes = serializers.IntegerField()
    meetings_held = serializers.IntegerField(help_text="Group meetings led")
    meeting_minutes = serializers.IntegerField(help_text="Minutes of the group meetings led")
    adjustment_minutes = serializers.IntegerField()
    paid_minutes = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=8, decimal_places=2)
    pay_amount = serializers.DecimalField(**MONEY)
    expenses_total = serializers.DecimalField(**MONEY)
    total_amount = serializers.DecimalField(**MONEY)
    note = serializers.CharField()
    approved_by = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class TimesheetDetailSerializer(TimesheetSerializer):
    lines = TimesheetLineSerializer(many=True)
    awaiting_expenses = TimesheetLineSerializer(
        many=True, help_text="Expenses recorded but not yet approved (not in the totals)"
    )


def timesheet_data(sheet: Timesheet, view: SheetView, *, detail: bool = False) -> dict[str, Any]:
    figures = view.figures
    data: dict[str, Any] = {
        "id": sheet.pk,
        "municipality_id": sheet.municipality_id,
        "helper_id": sheet.helper_id,
        "helper_name": sheet.helper.full_name,
        "month": f"{sheet.month:%Y-%m}",
        "status": sheet.status,
        "is_estimate": view.is_estimate,
        "hourly_rate": figures.rate,
        "sessions_held": figures.sessions_held,
        "session_minutes": figures.session_minutes,
        "extra_minutes": figures.extra_minutes,
        "meetings_held": figures.meetings_held,
        "meeting_minutes": figures.meeting_minutes,
        "adjustment_minutes": figures.adjustment_minutes,
        "paid_minutes": figures.paid_minutes,
        "hours": figures.hours,
        "pay_amount": figures.pay_amount,
        "expenses_total": figures.expenses_total,
        "total_amount": figures.total_amount,
        "note": sheet.note,
        "approved_by": sheet.approved_by.get_username() if sheet.approved_by else None,
        "approved_at": sheet.approved_at,
        "version": sheet.version,
    }
    if detail:
        data["lines"] = [_line(r) for r in view.rows]
        data["awaiting_expenses"] = [_line(r) for r in view.awaiting]
    return data


def _line(row: Row) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "date": row.date,
        "minutes": row.minutes,
        "extra_minutes": row.extra_minutes,
        "amount": row.amount,
        "description": row.description,
        "participant": row.participant,
        "session_id": row.session_id,
        "meeting_id": row.meeting_id,
        "group": row.group,
        "expense_id": row.expense_id,
        "corrected_date": row.corrected_date,
        "category": row.category,
    }


class TimesheetUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=300)
    version = version_field()


class AdjustmentRequestSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="Minutes to add (negative to deduct)"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AdjustmentResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    timesheet = serializers.IntegerField()
    minutes = serializers.IntegerField()
    description = serializers.CharField()


class ApproveRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=id_field(),
        allow_empty=True,
        max_length=1000,
        help_text="The timesheets to approve: all of them, or none",
    )


class ApprovalResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why this one cannot be approved (empty if it can)")


class ApproveResponseSerializer(serializers.Serializer):
    approved = serializers.IntegerField(help_text="How many were approved (0 when refused)")
    detail = serializers.CharField(required=False)
    results = ApprovalResultSerializer(many=True)


class ExpenseSerializer(serializers.ModelSerializer):
    """An expense. The receipt is fetched from ``receipt_url`` (scoped and audited), never from
    a public address."""

    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    category = enum_field(ExpenseCategory.choices, read_only=True)
    status = enum_field(ExpenseStatus.choices, read_only=True)
    has_receipt = serializers.SerializerMethodField()
    receipt_url = serializers.SerializerMethodField()
    approved_by = serializers.CharField(
        source="approved_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Expense
        fields = [
            "id",
            "municipality",
            "helper",
            "helper_name",
            "pairing",
            "episode",
            "date",
            "category",
            "amount",
            "description",
            "status",
            "corrects",
            "has_receipt",
            "receipt_url",
            "receipt_name",
            "receipt_content_type",
            "receipt_size",
            "created_at",
            "approved_by",
            "approved_at",
            "version",
        ]
        read_only_fields = fields

    def get_has_receipt(self, obj: Expense) -> bool:
        return bool(obj.receipt.name)

    def get_receipt_url(self, obj: Expense) -> str | None:
        if not obj.receipt.name:
            return None
        return reverse("expense-receipt", args=[obj.pk])


class ExpenseCreateSerializer(serializers.Serializer):
    helper = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The contact (a training contact may leave it out: their own)",
    )
    pairing = serializers.IntegerField(required=False, allow_null=True)
    date = serializers.DateField(required=False, allow_null=True)
    category = serializers.ChoiceField(choices=ExpenseCategory.choices)
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, help_text="NOK, > 0"
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    receipt = serializers.FileField(
        required=False, allow_null=True, help_text="PDF, JPEG or PNG, at most 10 MB (required)"
    )


class ExpenseUpdateSerializer(serializers.Serializer):
    pairing = serializers.IntegerField(required=False, allow_null=True)
    date = serializers.DateField(required=False)
    category = serializers.ChoiceField(choices=ExpenseCategory.choices, required=False)
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True)
    receipt = serializers.FileField(required=False, allow_null=True)
    version = version_field()


class ExpenseApproveSerializer(serializers.Serializer):
    version = version_field()


class ExpenseCorrectSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Negative to take back, positive to add",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
