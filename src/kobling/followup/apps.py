from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kobling.followup"
    verbose_name = _("Follow-up")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.followup import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        # The outbox purposes of this app (session confirmations, notices to referrers, the
        # e-mails about a new pair).
        from kobling.core.alerts import register_alert_provider
        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.followup import confirmations, notices, pairing_mail  # noqa: F401
        from kobling.followup.alerts import BUILT_IN_PROVIDERS
        from kobling.followup.notices import referrer_notices_tick

        for provider in BUILT_IN_PROVIDERS:
            register_alert_provider(provider)
        # The notices to referrers (started, ended, …).
        register("followup.referrer_notices", referrer_notices_tick, every=EVERY_TICK)
        from kobling.followup.timeline import pairing_events
        from kobling.referrals.timeline import register_timeline_source

        # What this app adds to a course's timeline (kobling.referrals.timeline).
        register_timeline_source("followup", pairing_events)
