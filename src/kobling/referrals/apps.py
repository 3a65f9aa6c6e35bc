from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "kobling.referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.referrals import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        from kobling.referrals import notices  # noqa: F401 - registers the outbox purpose
        from kobling.referrals.timeline import course_events, register_timeline_source

        # What this app adds to a course's timeline (kobling.referrals.timeline).
        register_timeline_source("referrals", course_events)
