from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "kobling.fhir"
    verbose_name = _("FHIR R4")
    default_auto_field = "django.db.models.BigAutoField"
