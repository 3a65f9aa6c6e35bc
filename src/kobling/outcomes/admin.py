"""Django admin: the instruments are reference data (seeded; superusers may look), and goals,
reviews and follow-ups are records about people — to look at (audited), never to change there."""

from __future__ import annotations

from django.contrib import admin

from kobling.outcomes.models import FollowUp, Goal, Instrument, InstrumentItem, Review
from kobling.tenancy.admin_mixins import PersonalRecordAdmin


class InstrumentItemInline(admin.TabularInline):
    model = InstrumentItem
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    """Definitions change only through outcomes/reference.py with a new version, so that every
    score keeps meaning what it meant."""

    list_display = ["code", "version", "kind", "unit", "min_value", "max_value", "is_core"]
    inlines = [InstrumentItemInline]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Goal)
class GoalAdmin(PersonalRecordAdmin):
    list_display = ["pairing", "status", "target_date", "created_at"]
    list_filter = ["status", "municipality"]


@admin.register(Review)
class ReviewAdmin(PersonalRecordAdmin):
    list_display = ["pairing", "kind", "date", "is_void", "recorded_at"]
    list_filter = ["kind", "municipality"]


@admin.register(FollowUp)
class FollowUpAdmin(PersonalRecordAdmin):
    list_display = ["pairing", "months", "due_on", "status", "sent_at", "answered_at"]
    list_filter = ["status", "months", "municipality"]
