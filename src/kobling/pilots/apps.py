from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "kobling.pilots"
    verbose_name = _("Pilots")
    default_auto_field = "django.db.models.BigAutoField"
