from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "kobling.fhir"
    verbose_name = _("FHIR R4")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.demo.loader import register_demo_part
        from kobling.fhir.demo import load_fhir_demo

        register_demo_part(load_fhir_demo)
