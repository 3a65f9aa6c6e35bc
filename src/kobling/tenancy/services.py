"""Writes for tenancy: granting and revoking roles (with an invitation for new users)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from kobling.lib.errors import ConflictError
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import PROGRAMME_DEFAULTS, AuditAction, Role
from kobling.tenancy.models import Membership, Municipality, Programme, User
from kobling.tenancy.signals import invitation_needed


def revoke_tokens(user: User) -> None:
    """Sign the user out of every API client (roles, password or two-factor changed)."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.KOBLING_BASE_URL.rstrip("/") + reverse(
        "web:password_set", kwargs={"uidb64": uid, "token": token}
    )


def user_for_email(*, email: str, first_name: str = "", last_name: str = "") -> tuple[User, bool]:
    """The user signing in with ``email``, made (without a password, to be invited) when there
    is none: (user, created). Refused with the reason for an address that is not one."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    user = User.objects.filter(username__iexact=email).first()
    if user is not None:
        return user, False
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user, True


def membership_grant(
    *,
    by: User,
    municipality: Municipality,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Give ``email`` a role in ``municipality``. A new address gets a user account and an
    invitation e-mail with a link to choose a password."""
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user, created = user_for_email(email=email, first_name=first_name, last_name=last_name)
        if Membership.objects.filter(user=user, municipality=municipality, role=role).exists():
            raise ValidationError(
                {"role": _("The user already holds this role in this municipality.")}
            )
        membership = Membership.objects.create(user=user, municipality=municipality, role=role)
        # A token issued under the old roles (e.g. without two-factor) must not carry new ones.
        revoke_tokens(user)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=membership,
            changes={"user": user.username, "role": role, "new_user": created},
        )
        # New users, and invited users who never chose a password (a lost or expired link),
        # get an invitation.
        if created or not user.has_usable_password():
            invitation_needed.send(sender=Membership, membership=membership)
    return membership


def membership_revoke(*, by: User, membership: Membership) -> None:
    if membership.user_id == by.pk and membership.role == Role.MUNICIPAL_ADMIN:
        raise ValidationError(_("You cannot remove your own administrator role."))
    with transaction.atomic():
        audit_log(
            user=by,
            action=AuditAction.DELETE,
            obj=membership,
            changes={"user": membership.user.username, "role": membership.role},
        )
        membership.delete()
        revoke_tokens(membership.user)


MUNICIPALITY_SETTINGS = (
    "contact_email",
    "checkin_interval_weeks",
    "checkin_reminder_days",
    "checkin_lapse_days",
)
PROGRAMME_FIELDS = (
    "kind",
    "name",
    "is_active",
    "requires_police_certificate",
    "requires_qualification",
    "delivery",
    "period_weeks",
    "renewals_max",
    "renewal_weeks",
    "uses_conversations",
    "review_interval_weeks",
    "attendance_late_days",
    "attendance_confirmation_by_participant",
    "completion_min_attendance_pct",
    "completion_needs_end_conversation",
    "started_on",
)


def _apply(instance, data: dict, allowed: tuple[str, ...]) -> dict:  # noqa: ANN001
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    before = {k: getattr(instance, k) for k in allowed}
    for key, value in data.items():
        setattr(instance, key, value)
    return before


def municipality_update(*, by: User, municipality: Municipality, data: dict) -> Municipality:
    """Municipal settings an admin may change (check-in rhythm, contact address)."""
    with transaction.atomic():
        municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
        before = _apply(municipality, data, MUNICIPALITY_SETTINGS)
        municipality.full_clean()
        if municipality.checkin_interval_weeks < 1:
            raise ValidationError(
                {"checkin_interval_weeks": _("The check-in interval must be at least one week.")}
            )
        municipality.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=municipality,
            municipality_id=municipality.pk,
            changes=diff(before, {k: getattr(municipality, k) for k in MUNICIPALITY_SETTINGS}),
        )
    return municipality


def programme_create(*, by: User, municipality: Municipality, data: dict) -> Programme:
    programme = Programme(municipality=municipality)
    # A new programme starts with its kind's delivery and period (PROGRAMME_DEFAULTS); what
    # the admin gives wins.
    defaults = PROGRAMME_DEFAULTS.get(str(data.get("kind", "")), {})
    _apply(programme, {**defaults, **data}, PROGRAMME_FIELDS)
    programme.full_clean()
    with transaction.atomic():
        programme.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=programme)
    return programme


def programme_update(
    *, by: User, programme: Programme, data: dict, expected_version: int | None = None
) -> Programme:
    """Change a programme's settings. With ``expected_version`` (the version the form or the API
    client read), an edit made meanwhile by someone else refuses this one (409), so concurrent
    edits never silently overwrite each other."""
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if expected_version is not None and programme.version != expected_version:
            raise ConflictError(
                _(
                    "The programme's settings were changed by someone else while you were "
                    "looking at them. Reload to see the latest version; nothing was saved."
                )
            )
        before = _apply(programme, data, PROGRAMME_FIELDS)
        programme.full_clean()
        programme.version += 1
        programme.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=programme,
            changes=diff(before, {k: getattr(programme, k) for k in PROGRAMME_FIELDS}),
        )
    return programme
