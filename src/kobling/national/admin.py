"""Django admin for the national register: to look at, never to change — units come from
classification imports, statuses and surveys from the services and the survey link."""

from __future__ import annotations

from django.contrib import admin

from kobling.national.models import PhoneCall, SchemeStatus, SurveyCampaign, SurveyTemplate, Unit
from kobling.tenancy.admin_mixins import PersonalRecordAdmin


@admin.register(Unit)
class UnitAdmin(PersonalRecordAdmin):
    list_display = ["code", "name", "kind", "county_code", "valid_from", "valid_to"]
    list_filter = ["kind", "county_code"]
    search_fields = ["code", "name"]


@admin.register(SchemeStatus)
class SchemeStatusAdmin(PersonalRecordAdmin):
    list_display = ["unit", "programme_kind", "state", "source", "as_of"]
    list_filter = ["programme_kind", "state", "source"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(PersonalRecordAdmin):
    list_display = ["code", "name", "audience", "version"]


@admin.register(SurveyCampaign)
class SurveyCampaignAdmin(PersonalRecordAdmin):
    list_display = ["name", "template", "created_at", "dispatched_at"]


@admin.register(PhoneCall)
class PhoneCallAdmin(PersonalRecordAdmin):
    list_display = ["unit", "called_on", "caller", "outcome"]
