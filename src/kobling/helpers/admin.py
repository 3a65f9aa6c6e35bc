from django.contrib import admin

from kobling.helpers.models import Activity, CheckIn, Helper, HelperStatusChange, TargetGroup
from kobling.tenancy.admin_mixins import PersonalRecordAdmin, ReadOnlyInline


@admin.register(Activity, TargetGroup)
class ReferenceAdmin(admin.ModelAdmin):
    """The managed lists (activities, target groups)."""

    list_display = ("code", "name_nb", "name_en", "is_active", "position")
    list_editable = ("is_active", "position")


class StatusChangeInline(ReadOnlyInline):
    model = HelperStatusChange
    readonly_fields = ("from_status", "to_status", "at", "by", "reason", "paused_until")


@admin.register(Helper)
class HelperAdmin(PersonalRecordAdmin):
    """Read-only and audited: changes go through the register's pages and API (the services)."""

    list_display = ("full_name", "municipality", "programme", "status", "is_unconfirmed")
    list_filter = ("status", "municipality", "kind")
    search_fields = ("first_name", "last_name", "email")
    readonly_fields = (
        "status",
        "status_since",
        "paused_until",
        "left_reason",
        "version",
        "availability_confirmed_at",
        "is_unconfirmed",
    )
    inlines = [StatusChangeInline]


@admin.register(CheckIn)
class CheckInAdmin(PersonalRecordAdmin):
    list_display = (
        "helper",
        "status",
        "created_at",
        "sent_at",
        "reminder_sent_at",
        "answered_at",
        "answer",
    )
    list_filter = ("status", "answer")
    readonly_fields = [f.name for f in CheckIn._meta.fields]
