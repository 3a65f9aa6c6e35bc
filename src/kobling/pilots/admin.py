from django.contrib import admin

from kobling.pilots.models import Pilot


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):
    list_display = ("name", "period_start", "period_end")
    filter_horizontal = ("municipalities", "programmes", "owners")
