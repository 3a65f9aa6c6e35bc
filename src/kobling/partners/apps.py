from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "kobling.partners"
    verbose_name = _("Partners")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.core.alerts import register_alert_provider
        from kobling.partners import notices  # noqa: F401  (registers the outbox purpose)
        from kobling.partners.alerts import agreement_due_provider

        # "A partner agreement ending soon or due for review" among the coordinators' alerts.
        register_alert_provider(agreement_due_provider)
