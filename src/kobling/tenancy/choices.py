from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    DISTRICT = "district", _("City district")
    # Specialist health services and institutions (issue 13): tenants like a municipality, with
    # their own staff; a hospital may be part of a health trust.
    HEALTH_TRUST = "health_trust", _("Health trust")
    HOSPITAL = "hospital", _("Hospital")
    REHAB_INSTITUTION = "rehab_institution", _("Rehabilitation institution")


class Role(models.TextChoices):
    """Roles a user holds *in one municipality*. Course-provider staff and the national analyst
    are not tied to one municipality (see ProviderStaff and User.national_role)."""

    MUNICIPAL_ADMIN = "municipal_admin", _("Municipal administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    REFERRER = "referrer", _("Referrer")
    TRAINING_CONTACT = "training_contact", _("Training contact")
    # Rehabilitation staff at a hospital or institution (issue 13).
    CLINICIAN = "clinician", _("Clinician")
    # Workplace health coaching (issue 14): the IA adviser who links a coach to a leader's request,
    # the trained coach, and the leader whose workplace is the client.
    IA_ADVISER = "ia_adviser", _("IA adviser")
    WORKPLACE_COACH = "workplace_coach", _("Workplace coach")
    WORKPLACE_LEADER = "workplace_leader", _("Workplace leader")


class NationalRole(models.TextChoices):
    NONE = "", _("None")
    ANALYST = "analyst", _("National analyst")


class ProgrammeKind(models.TextChoices):
    TRENINGSKONTAKT = "treningskontakt", _("Training contact (treningskontakt)")
    FRISKLIVSRESEPT = "frisklivsresept", _("Healthy-life prescription (frisklivsresept)")
    AKTIV_PA_DAGTID = "aktiv_pa_dagtid", _("Active in daytime (Aktiv på dagtid)")
    ACTIVITY_ON_PRESCRIPTION = "activity_on_prescription", _("Activity on prescription")
    WORKPLACE_COACHING = "workplace_coaching", _("Workplace coaching")
    REHABILITATION = "rehabilitation", _("Rehabilitation (Trening som medisin)")


class Delivery(models.TextChoices):
    """How a programme delivers a participant's course (forløp)."""

    ONE_TO_ONE = "one_to_one", _("One to one, with a helper")
    GROUP = "group", _("In groups")
    PROVIDER = "provider", _("By an outside provider")


# What a new programme of each kind starts with (the municipality may change it): the
# frisklivsresept's 12-week period that opens and closes with a health conversation and can be
# renewed once (DOMAIN §2); Aktiv på dagtid in groups; activity on prescription at a provider.
PROGRAMME_DEFAULTS: dict[str, dict[str, object]] = {
    "treningskontakt": {"delivery": "one_to_one"},
    "frisklivsresept": {
        "delivery": "group",
        "period_weeks": 12,
        "renewals_max": 1,
        "renewal_weeks": 12,
        "uses_conversations": True,
        # Completed: the end conversation held and 3 of 4 offered meetings attended (issue 11).
        "completion_min_attendance_pct": 75,
        "completion_needs_end_conversation": True,
    },
    "aktiv_pa_dagtid": {"delivery": "group"},
    "activity_on_prescription": {"delivery": "provider", "period_weeks": 12},
    "workplace_coaching": {"delivery": "one_to_one"},
    "rehabilitation": {"delivery": "group", "period_weeks": 12},
}


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")


# Roles that manage a municipality's records (registers, courses, settings).
MANAGER_ROLES = (Role.MUNICIPAL_ADMIN, Role.COORDINATOR)
