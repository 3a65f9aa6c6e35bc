from django.conf import settings
from django.http import HttpRequest

from kobling.tenancy.choices import MANAGER_ROLES, Role, UnitKind

# The units of the rehabilitation register that are not municipalities (issue 13).
REHAB_UNIT_KINDS = (UnitKind.HEALTH_TRUST, UnitKind.HOSPITAL, UnitKind.REHAB_INSTITUTION)


def tenancy(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"kobling_env": settings.KOBLING_ENV}
    return {
        "kobling_env": settings.KOBLING_ENV,
        "is_manager": bool(user.municipality_ids(*MANAGER_ROLES)),
        "is_municipal_admin": bool(user.municipality_ids(Role.MUNICIPAL_ADMIN)),
        "is_training_contact": bool(user.municipality_ids(Role.TRAINING_CONTACT)),
        "is_referrer": bool(user.municipality_ids(Role.REFERRER)),
        "is_provider_staff": bool(user.provider_ids),
        "is_activity_provider_staff": bool(user.activity_provider_ids),
        "is_analyst": user.is_analyst,
        "is_clinician": bool(user.municipality_ids(Role.CLINICIAN)),
        # A hospital's or institution's coordinators and administrators, and region staff.
        "is_rehab_unit_manager": bool(
            user.unit_kinds(*MANAGER_ROLES) & {str(k) for k in REHAB_UNIT_KINDS}
        ),
        "is_region_staff": user.is_region_staff,
        # Workplace coaching's own roles (issue 14): the IA adviser, the coach, the leader.
        "is_workplace_coaching": bool(
            user.municipality_ids(Role.IA_ADVISER, Role.WORKPLACE_COACH, Role.WORKPLACE_LEADER)
        ),
    }
