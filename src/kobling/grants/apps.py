from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "kobling.grants"
    verbose_name = _("Grants and voluntary organisations")
    default_auto_field = "django.db.models.BigAutoField"
