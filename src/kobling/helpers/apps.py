from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpersConfig(AppConfig):
    name = "kobling.helpers"
    verbose_name = _("Helpers (training contacts)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.helpers import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        from django.db.models.signals import post_migrate

        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.helpers.checkins import checkins_tick

        post_migrate.connect(_seed, sender=self)
        from kobling.helpers import checkins  # noqa: F401 - registers the outbox purpose

        # Check-ins due, reminders, lapses and ended pauses.
        register("helpers.checkins", checkins_tick, every=EVERY_TICK)


def _seed(sender, apps=None, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Keep the managed lists present after a flush (tests, wiped development databases)."""
    from kobling.helpers.reference import seed_reference_lists

    if apps is None:  # flush sends post_migrate without the migration state
        from django.apps import apps
    try:
        seed_reference_lists(
            apps.get_model("helpers", "Activity"), apps.get_model("helpers", "TargetGroup")
        )
    except LookupError:  # migrating backwards past the models
        return
