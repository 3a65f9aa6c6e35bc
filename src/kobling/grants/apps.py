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
        from kobling.grants.portal import resolve_organisation
        from kobling.partners.organisations import register_organisation_resolver

        # The organisation's sign-in is the grants' contact person's; partners' organisation
        # pages (bookings, meetings, the contact in the municipality) use the same one.
        register_organisation_resolver(resolve_organisation)

        # Report reminders (due soon, then late), once a day; the e-mails' outbox purposes are
        # registered by importing the module.
        register(
            "grants.report_reminders", notices.report_reminders_tick, every=dt.timedelta(hours=24)
        )
