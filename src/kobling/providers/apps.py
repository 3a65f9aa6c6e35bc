import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    name = "kobling.providers"
    verbose_name = _("Providers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.providers import audit_people

        # Placements and visits name their participant in the access-log review; the staff's
        # and trainers' placements are their caseload.
        audit_people.register()
        from kobling.core.alerts import register_alert_provider
        from kobling.core.scheduler import register
        from kobling.followup.report import register_activity_parts
        from kobling.providers import reminders
        from kobling.providers.alerts import placement_unanswered
        from kobling.providers.selectors import visit_parts
        from kobling.providers.timeline import placement_events
        from kobling.referrals.timeline import register_timeline_source

        # Provider-confirmed visits count in the course's referrer report, beside pairings and
        # group attendance.
        register_activity_parts(visit_parts)
        register_timeline_source("placements", placement_events)
        # A placement the provider has not answered in time.
        register_alert_provider(placement_unanswered)
        # A participant says they were not at a visit the provider reported (the outbox purpose
        # of the visit confirmations registers on import).
        from kobling.providers.confirmations import disputed

        register_alert_provider(disputed)
        # A course that ends takes its placement with it.
        from kobling.providers.services import close_on_course_end
        from kobling.referrals.episodes import register_end_listener

        register_end_listener(close_on_course_end)
        # Trainers' certificates about to expire (the outbox purpose registers on import).
        register(
            "providers.certificates",
            reminders.certificate_reminders_tick,
            every=dt.timedelta(hours=24),
            report_prefix="certificates_",
        )
        # Courses never placed whose person has a benefit group with a rule are placed with the
        # rule's provider (within the person's consent).
        from kobling.providers.rules import placement_rules_tick

        register(
            "providers.placement_rules",
            placement_rules_tick,
            every=dt.timedelta(hours=24),
            report_prefix="rules_",
        )
