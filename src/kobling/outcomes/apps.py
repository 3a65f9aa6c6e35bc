from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "kobling.outcomes"
    verbose_name = _("Goals and outcomes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.outcomes import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        from django.db.models.signals import post_migrate

        from kobling.core.alerts import register_alert_provider
        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.followup.report import register_report_part
        from kobling.outcomes.alerts import review_due_provider
        from kobling.outcomes.followups import followups_tick
        from kobling.outcomes.selectors import referrer_report_part

        post_migrate.connect(_seed, sender=self)
        # The follow-up questionnaires after ended pairings.
        register("outcomes.followups", followups_tick, every=EVERY_TICK, report_prefix="followups_")
        # "A goal review due" among the coordinators' alerts.
        register_alert_provider(review_due_provider)
        from kobling.outcomes import followups  # noqa: F401 - registers the outbox purpose

        # The goals and the latest review in the referrer report.
        register_report_part(referrer_report_part)
        from kobling.outcomes.timeline import outcome_events
        from kobling.referrals.timeline import register_timeline_source

        # Goals, reviews and follow-ups on a course's timeline (kobling.referrals.timeline).
        register_timeline_source("outcomes", outcome_events)


def _seed(sender, apps=None, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Keep the instruments present after a flush (tests, wiped development databases)."""
    from kobling.outcomes.reference import seed_instruments

    if apps is None:  # flush sends post_migrate without the migration state
        from django.apps import apps
    try:
        seed_instruments(
            apps.get_model("outcomes", "Instrument"), apps.get_model("outcomes", "InstrumentItem")
        )
    except LookupError:  # migrating backwards past the models
        return
