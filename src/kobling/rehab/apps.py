from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RehabConfig(AppConfig):
    name = "kobling.rehab"
    verbose_name = _("Rehabilitation register")
    default_auto_field = "django.db.models.BigAutoField"
