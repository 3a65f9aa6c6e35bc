from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "kobling.quality"
    verbose_name = _("Implementation quality")
    default_auto_field = "django.db.models.BigAutoField"
