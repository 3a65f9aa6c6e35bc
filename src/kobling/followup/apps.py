from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kobling.followup"
    verbose_name = _("Follow-up")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox purposes of this app (session confirmations, notices to referrers, the
        # e-mails about a new pair).
        from kobling.followup import confirmations, notices, pairing_mail  # noqa: F401
