from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kobling.core"
    label = "core"
    verbose_name = _("Core: outbox, scheduler and access")
    default_auto_field = "django.db.models.BigAutoField"
