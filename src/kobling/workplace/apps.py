from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkplaceConfig(AppConfig):
    name = "kobling.workplace"
    verbose_name = _("Workplace coaching")
    default_auto_field = "django.db.models.BigAutoField"
