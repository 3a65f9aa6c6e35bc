from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpersConfig(AppConfig):
    name = "kobling.helpers"
    verbose_name = _("Helpers (training contacts)")
    default_auto_field = "django.db.models.BigAutoField"
