from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "kobling.catalogue"
    verbose_name = _("Catalogue of offers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.catalogue.timeline import handover_events
        from kobling.referrals.timeline import register_timeline_source

        register_timeline_source("catalogue", handover_events)
