import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "kobling.grants"
    verbose_name = _("Grants and voluntary organisations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.core.scheduler import register
        from kobling.grants import notices

        # Report reminders (due soon, then late), once a day; the e-mails' outbox purposes are
        # registered by importing the module.
        register(
            "grants.report_reminders", notices.report_reminders_tick, every=dt.timedelta(hours=24)
        )
