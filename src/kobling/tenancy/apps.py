from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "kobling.tenancy"
    verbose_name = _("Tenancy, roles and audit")
    default_auto_field = "django.db.models.BigAutoField"
