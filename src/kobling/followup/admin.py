"""Django admin for pairings: to look at (audited), never to change — the states, the places and
the referral move together only through :mod:`kobling.followup.services`."""

from __future__ import annotations

from django.contrib import admin

from kobling.followup.models import Pairing
from kobling.tenancy.admin_mixins import PersonalRecordAdmin


@admin.register(Pairing)
class PairingAdmin(PersonalRecordAdmin):
    list_display = [
        "participant",
        "helper",
        "status",
        "slot",
        "confirmed_at",
        "started_on",
        "ended_on",
    ]
    list_filter = ["status", "municipality", "end_reason"]
    search_fields = ["participant__last_name", "helper__last_name"]

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        return super().get_queryset(request).select_related("participant", "helper", "municipality")
