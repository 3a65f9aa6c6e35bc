"""Django admin for course providers (with their staff), templates (with modules), runs,
enrolments (with attendance) and qualifications. The admin is for superusers looking after
reference data; day-to-day work goes through the pages and the API, which use the services."""

from __future__ import annotations

from django.contrib import admin

from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    ModuleAttendance,
    ProviderStaff,
    Qualification,
)
from kobling.tenancy.admin_mixins import PersonalRecordAdmin, ReadOnlyInline


class ProviderStaffInline(admin.TabularInline):
    model = ProviderStaff
    extra = 0
    raw_id_fields = ["user"]


@admin.register(CourseProvider)
class CourseProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "home_municipality", "email"]
    list_filter = ["kind"]
    search_fields = ["name", "email"]
    inlines = [ProviderStaffInline]


class CourseModuleInline(admin.TabularInline):
    model = CourseModule
    extra = 0
    fields = ["position", "title", "hours"]


@admin.register(CourseTemplate)
class CourseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "provider", "level", "qualifies", "is_active", "hours"]
    list_filter = ["level", "qualifies", "is_active", "programme_kind"]
    search_fields = ["name", "code"]
    inlines = [CourseModuleInline]

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        return super().get_queryset(request).select_related("provider").prefetch_related("modules")

    @admin.display(description="hours")
    def hours(self, obj: CourseTemplate) -> str:
        return f"{obj.total_hours}"


@admin.register(CourseRun)
class CourseRunAdmin(admin.ModelAdmin):
    list_display = ["template", "provider", "municipality", "starts_on", "ends_on", "status"]
    list_filter = ["status", "municipality", "provider"]
    search_fields = ["template__name", "place", "leader_name"]
    date_hierarchy = "starts_on"
    list_select_related = ["template", "provider", "municipality"]
    raw_id_fields = ["programme"]


class ModuleAttendanceInline(ReadOnlyInline):
    model = ModuleAttendance
    fields = ["module", "attended", "recorded_at"]
    readonly_fields = ["recorded_at"]


@admin.register(Enrolment)
class EnrolmentAdmin(PersonalRecordAdmin):
    list_display = ["helper", "run", "status", "assessment_result", "completed_on"]
    list_filter = ["status", "assessment_result", "municipality"]
    search_fields = ["helper__first_name", "helper__last_name", "run__template__name"]
    list_select_related = ["helper", "run__template"]
    raw_id_fields = ["helper", "run"]
    inlines = [ModuleAttendanceInline]


@admin.register(Qualification)
class QualificationAdmin(PersonalRecordAdmin):
    list_display = ["helper", "template", "programme", "qualified_on", "valid_until"]
    list_filter = ["municipality", "programme"]
    search_fields = ["helper__first_name", "helper__last_name", "template__name"]
    list_select_related = ["helper", "template", "programme"]
    raw_id_fields = ["helper", "enrolment"]
