from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kobling.followup"
    verbose_name = _("Follow-up")
    default_auto_field = "django.db.models.BigAutoField"
