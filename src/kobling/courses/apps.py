from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "kobling.courses"
    verbose_name = _("Courses and qualifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.courses import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed, sender=self)

        from kobling.courses.services import prior_training_record
        from kobling.helpers.io import register_prior_training

        # Training from before Kobling, in the contact import.
        register_prior_training(prior_training_record)


def _seed(sender, apps=None, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Keep the shared course templates present after a flush."""
    from kobling.courses.reference import seed_shared_templates

    if apps is None:  # flush sends post_migrate without the migration state
        from django.apps import apps
    try:
        seed_shared_templates(
            apps.get_model("courses", "CourseTemplate"), apps.get_model("courses", "CourseModule")
        )
    except LookupError:
        return
