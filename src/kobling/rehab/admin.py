from django.contrib import admin

from kobling.rehab.models import Denominator, RehabOffer


@admin.register(RehabOffer)
class RehabOfferAdmin(admin.ModelAdmin):
    list_display = ("name", "municipality", "county_code", "setting", "takes_new_patients")
    list_filter = ("serves_chd", "serves_copd", "serves_pad", "setting", "county_code")


# Courses are health records: read through the scoped, audited API only, never the admin.
@admin.register(Denominator)
class DenominatorAdmin(admin.ModelAdmin):
    list_display = ("municipality", "diagnosis", "year", "quarter", "sex", "age_band", "eligible")
    list_filter = ("diagnosis", "year", "quarter")
