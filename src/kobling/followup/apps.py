from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kobling.followup"
    verbose_name = _("Follow-up")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.followup.timeline import pairing_events
        from kobling.referrals.timeline import register_timeline_source

        # What this app adds to a course's timeline (kobling.referrals.timeline).
        register_timeline_source("followup", pairing_events)
