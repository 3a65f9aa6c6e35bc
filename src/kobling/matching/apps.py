from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kobling.matching"
    verbose_name = _("Matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.matching import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        from kobling.matching.timeline import proposal_events
        from kobling.referrals.timeline import register_timeline_source

        # What this app adds to a course's timeline (kobling.referrals.timeline).
        register_timeline_source("matching", proposal_events)
