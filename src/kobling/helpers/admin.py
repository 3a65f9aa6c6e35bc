from django.contrib import admin

from kobling.helpers.models import Activity, CheckIn, Helper, HelperStatusChange, TargetGroup


@admin.register(Activity, TargetGroup)
class ReferenceAdmin(admin.ModelAdmin):
    """The managed lists (activities, target groups)."""

    list_display = ("code", "name_nb", "name_en", "is_active", "position")
    list_editable = ("is_active", "position")


class StatusChangeInline(admin.TabularInline):
    model = HelperStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "at", "by", "reason", "paused_until")

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Helper)
class HelperAdmin(admin.ModelAdmin):
    """Status and version are read-only here: lifecycle changes go through the service."""

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
class CheckInAdmin(admin.ModelAdmin):
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
