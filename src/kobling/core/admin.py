from django.contrib import admin

from kobling.core.models import OutboxMessage, SignedLink


class ReadOnlyAdmin(admin.ModelAdmin):
    """The outbox is written by the system; the admin only looks."""

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "recipient", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "purpose")
    search_fields = ("recipient", "subject_key")


@admin.register(SignedLink)
class SignedLinkAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "subject_key", "status", "created_at", "expires_at", "used_at")
    list_filter = ("status", "purpose")
    exclude = ("token_hash", "legacy_token_hash")
