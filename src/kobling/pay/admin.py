"""Django admin for pay: to look at (audited), never to change — timesheets, their lines and
expenses change only through :mod:`kobling.pay.services`."""

from __future__ import annotations

from django.contrib import admin

from kobling.pay.models import Expense, PaySettings, Timesheet
from kobling.tenancy.admin_mixins import PersonalRecordAdmin


@admin.register(Timesheet)
class TimesheetAdmin(PersonalRecordAdmin):
    list_display = ["helper", "month", "status", "paid_minutes", "total_amount", "approved_at"]
    list_filter = ["status", "municipality"]
    search_fields = ["helper__last_name"]


@admin.register(Expense)
class ExpenseAdmin(PersonalRecordAdmin):
    list_display = ["helper", "date", "category", "amount", "status"]
    list_filter = ["status", "category", "municipality"]
    search_fields = ["helper__last_name"]
    exclude = ["receipt"]  # served only by the scoped, audited receipt view


@admin.register(PaySettings)
class PaySettingsAdmin(PersonalRecordAdmin):
    list_display = ["programme", "extra_minutes_per_session", "coordination_cost_per_year"]
