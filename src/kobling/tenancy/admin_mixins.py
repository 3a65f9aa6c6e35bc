"""Django admin for records about people: look, never touch, and every look is audited.

Day-to-day work goes through the pages and the API, which use the services (rules, history,
audit). The admin is for superusers looking after reference data and helping with support."""

from __future__ import annotations

from django.contrib import admin

from kobling.tenancy.audit import audit_context, audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction


class PersonalRecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def changelist_view(self, request, extra_context=None):  # noqa: ANN001, ANN201
        """A list page shows people too: the rows on the page are logged as one list read, as
        the product's own lists do (audit_list_read)."""
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and request.method == "GET":
            with audit_context(
                via=f"GET django-admin:{self.opts.label_lower}:list",
                ip_address=request.META.get("REMOTE_ADDR"),
            ):
                audit_list_read(user=request.user, objects=list(changelist.result_list))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):  # noqa: ANN001, ANN201
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            with audit_context(
                via=f"GET django-admin:{self.opts.label_lower}",
                ip_address=request.META.get("REMOTE_ADDR"),
            ):
                audit_log(user=request.user, action=AuditAction.VIEW, obj=obj)
        return response


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
