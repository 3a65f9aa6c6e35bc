from django.contrib import admin

from kobling.profiles.models import ProfileCategory, ProfileIndicator, StatusSet, UnitStatus


@admin.register(ProfileIndicator)
class ProfileIndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "period", "source")
    list_filter = ("period",)
    search_fields = ("code", "name")


@admin.register(ProfileCategory)
class ProfileCategoryAdmin(admin.ModelAdmin):
    list_display = ("unit_code", "indicator", "category", "imported_at", "source")
    list_filter = ("indicator__period", "category")
    search_fields = ("unit_code", "indicator__code")
    list_select_related = ("indicator",)


class UnitStatusInline(admin.TabularInline):
    model = UnitStatus
    extra = 0


@admin.register(StatusSet)
class StatusSetAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "created_at", "created_by")
    inlines = [UnitStatusInline]
