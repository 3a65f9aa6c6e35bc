"""Django admin for partners: to look at, never to change — writes go through
:mod:`kobling.partners.services` (validation, version, audit)."""

from __future__ import annotations

from django.contrib import admin

from kobling.partners.models import Agreement, Partner
from kobling.tenancy.admin_mixins import PersonalRecordAdmin, ReadOnlyInline


class AgreementInline(ReadOnlyInline):
    model = Agreement
    fields = ["kind", "starts_on", "ends_on", "review_on"]
    readonly_fields = fields


@admin.register(Partner)
class PartnerAdmin(PersonalRecordAdmin):
    list_display = ["name", "municipality", "kind", "is_active"]
    list_filter = ["kind", "municipality"]
    search_fields = ["name", "organisation_number"]
    inlines = [AgreementInline]
