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
        from kobling.followup.report import register_activity_parts, register_course_fields
        from kobling.groups.alerts import absent_in_a_row, below_minimum
        from kobling.groups.completion import completion_fields, timeline_completion
        from kobling.groups.selectors import attendance_parts
        from kobling.referrals.timeline import register_timeline_source

        # A course's group attendance counts in its referrer report, beside its pairings; the
        # report and the course's timeline say whether it is completed under the programme's
        # rule.
        register_activity_parts(attendance_parts)
        register_course_fields(completion_fields)
        register_timeline_source("completion", timeline_completion)
        # Absent three times in a row; a group below its minimum size.
        register_alert_provider(absent_in_a_row)
        register_alert_provider(below_minimum)
        # A participant says they were not at a meeting they are recorded at.
        from kobling.groups.confirmations import disputed

        register_alert_provider(disputed)

        # A course that ends leaves its groups that day.
        from kobling.groups.completion import completed_of
        from kobling.groups.services import leave_on_course_end
        from kobling.referrals.episodes import register_completion_source, register_end_listener

        register_end_listener(leave_on_course_end)
        # The course list's "completed" column and filter.
        register_completion_source(completed_of)

        # The outbox purposes of the participant's card link and the attendance confirmations
        # (registered on import of groups.confirmations, above).
        from kobling.groups import card  # noqa: F401
