import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "kobling.support"
    verbose_name = _("Helper support")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.support import audit_people

        audit_people.register()

        from kobling.core.alerts import register_alert_provider
        from kobling.core.scheduler import register
        from kobling.support.alerts import no_supervision
        from kobling.support.services import pools_due

        # An active helper without supervision for longer than the programme allows.
        register_alert_provider(no_supervision)
        # At each programme's set date unused hours return to the pool and are shared out.
        register("support.pools", pools_due, every=dt.timedelta(hours=6))

        # The trainees' course forms (Kirkpatrick levels 1 and 2): importing registers the
        # outbox purpose; the job sends the forms that are due.
        from kobling.support.training_forms import forms_due

        register("support.training_forms", forms_due, every=dt.timedelta(hours=6))
