from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "kobling.outcomes"
    verbose_name = _("Goals and outcomes")
    default_auto_field = "django.db.models.BigAutoField"
