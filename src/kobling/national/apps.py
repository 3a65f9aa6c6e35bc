from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NationalConfig(AppConfig):
    name = "kobling.national"
    verbose_name = _("National")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.national.surveys import surveys_tick

        post_migrate.connect(_seed, sender=self)
        from kobling.national import surveys  # noqa: F401 - registers the outbox purpose

        # Mapping-survey e-mails and reminders.
        register("national.surveys", surveys_tick, every=EVERY_TICK, report_prefix="national_")


def _seed(sender, apps=None, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Keep the seeded survey question sets present after a flush (tests, wiped databases)."""
    from kobling.national.seed import seed_templates

    if apps is None:  # flush sends post_migrate without the migration state
        from django.apps import apps
    try:
        seed_templates(
            apps.get_model("national", "SurveyTemplate"),
            apps.get_model("national", "SurveyQuestion"),
        )
    except LookupError:  # migrating backwards past the models
        return
