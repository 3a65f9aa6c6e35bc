from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayConfig(AppConfig):
    name = "kobling.pay"
    verbose_name = _("Pay and costs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.pay import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()
