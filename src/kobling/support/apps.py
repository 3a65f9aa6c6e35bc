from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "kobling.support"
    verbose_name = _("Helper support")
    default_auto_field = "django.db.models.BigAutoField"
