from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from kobling.tenancy.models import AuditEntry, Membership, Municipality, Programme, Region, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Kobling", {"fields": ("national_role", "staff_region", "preferred_language")}),
    )
    list_display = ("username", "first_name", "last_name", "national_role", "is_active")
    inlines = [MembershipInline]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "region", "checkin_interval_weeks")
    list_filter = ("kind", "region")
    search_fields = ("code", "name")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "municipality",
        "kind",
        "is_active",
        "requires_qualification",
        "requires_police_certificate",
    )
    list_filter = ("kind", "is_active")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log cannot be edited through the app."""

    list_display = (
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "via",
        "municipality",
    )
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_id", "object_repr")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
