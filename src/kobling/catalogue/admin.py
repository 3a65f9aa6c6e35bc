from django.contrib import admin

from kobling.catalogue.models import Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("title", "municipality", "kind", "is_published")
    list_filter = ("kind", "is_published", "municipality")
    search_fields = ("title",)
