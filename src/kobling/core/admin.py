"""The outbox in the Django admin: written by the system, so the admin only looks (and a
look at someone's address is audited, as for any record about a person)."""

from django.contrib import admin

from kobling.core.models import OutboxMessage, SignedLink
from kobling.tenancy.admin_mixins import PersonalRecordAdmin as ReadOnlyAdmin


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
