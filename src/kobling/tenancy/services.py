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

from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import Membership, Municipality, User


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.KOBLING_BASE_URL.rstrip("/") + reverse(
        "web:password_set", kwargs={"uidb64": uid, "token": token}
    )


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
        user = User.objects.filter(username__iexact=email).first()
        created = user is None
        if created:
            user = User(username=email, email=email, first_name=first_name, last_name=last_name)
            user.set_unusable_password()
            user.full_clean()
            user.save()
        if Membership.objects.filter(user=user, municipality=municipality, role=role).exists():
            raise ValidationError(
                {"role": _("The user already holds this role in this municipality.")}
            )
        membership = Membership.objects.create(user=user, municipality=municipality, role=role)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=membership,
            changes={"user": user.username, "role": role, "new_user": created},
        )
        if created:
            from kobling.tenancy.tasks import send_invitation

            transaction.on_commit(
                lambda: send_invitation.enqueue(user_id=user.pk, municipality_id=municipality.pk)
            )
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
