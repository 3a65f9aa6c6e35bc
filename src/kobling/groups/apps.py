from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "kobling.groups"
    verbose_name = _("Group offers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.groups import audit_people

        # Whom this app's audited records are about, for the access-log review.
        audit_people.register()

        from kobling.core.alerts import register_alert_provider
        from kobling.followup.report import register_activity_parts
        from kobling.groups.alerts import absent_in_a_row, below_minimum
        from kobling.groups.selectors import attendance_parts

        # A course's group attendance counts in its referrer report, beside its pairings.
        register_activity_parts(attendance_parts)
        # Absent three times in a row; a group below its minimum size.
        register_alert_provider(absent_in_a_row)
        register_alert_provider(below_minimum)

        # The outbox purpose of the participant's card link.
        from kobling.groups import card  # noqa: F401
