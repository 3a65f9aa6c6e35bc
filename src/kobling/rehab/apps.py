from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RehabConfig(AppConfig):
    name = "kobling.rehab"
    verbose_name = _("Rehabilitation register")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.rehab import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
