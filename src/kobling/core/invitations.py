"""The invitation to choose a password, through the outbox (purpose ``invitation``): sent once
per granted membership, retried on failure, listed with every other e-mail on the outbox page.

Tenancy grants the membership and says an invitation is needed (``tenancy.signals``); the link
is made at the moment of sending (Django's password-reset token: single use, it stops working
once a password is chosen, and expires after ``PASSWORD_RESET_TIMEOUT``), so no token is
stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.tenancy.models import Membership
from kobling.tenancy.services import invitation_link

PURPOSE = "invitation"


def invitation_queue(*, membership: Membership) -> OutboxMessage:
    """Put the invitation for ``membership`` in the outbox (sent once the transaction commits)."""
    user = membership.user
    return outbox.message_queue(
        purpose=PURPOSE,
        subject=outbox.subject_key("membership", membership.pk),
        recipient=user.email,
        municipality_id=membership.municipality_id,
        language=user.preferred_language or "nb",
        template="emails/invitation.txt",
    )


def on_invitation_needed(sender: Any, membership: Membership, **kwargs: Any) -> None:
    invitation_queue(membership=membership)


def _membership_of(message: OutboxMessage) -> tuple[Any, Any] | None:
    membership = (
        Membership.objects.select_related("user", "municipality")
        .filter(pk=message.subject_id)
        .first()
    )
    return (membership.user, membership.municipality) if membership else None


def invitation_message(*, user: Any, municipality: Any) -> EmailMultiAlternatives:
    """The invitation e-mail: the municipality gives access; the link to choose a password."""
    with translation.override(user.preferred_language or "nb"):
        context = {"user": user, "municipality": municipality, "link": invitation_link(user)}
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[user.email])


def invitation_purpose_register(
    *, name: str, label: Any, invited: Callable[[OutboxMessage], tuple[Any, Any] | None]
) -> None:
    """An outbox purpose for invitations to choose a password, one per kind of access given
    (a membership here; e.g. a provider's staff in providers). ``invited(message)`` gives the
    (user, municipality) the message is about, or ``None`` when the access was taken back.
    Not sent when it was, or the person chose a password meanwhile."""

    def settle(message: OutboxMessage, now: dt.datetime) -> str | None:
        found = invited(message)
        if found is None or found[0].has_usable_password():
            return "cancelled"
        return None

    def render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
        user, municipality = invited(message)  # type: ignore[misc]
        return invitation_message(user=user, municipality=municipality)

    outbox.purpose_register(
        outbox.Purpose(
            name=name,
            label=label,
            render=render,
            settle=settle,
            delivery=outbox.Delivery.AT_LEAST_ONCE,
        )
    )


invitation_purpose_register(
    name=PURPOSE, label=gettext_lazy("Invitation to choose a password"), invited=_membership_of
)


# --- "Forgot your password?" -----------------------------------------------------------------

RESET_PURPOSE = "password-reset"
# One reset e-mail per user in this window, however often the form is sent.
RESET_EVERY = dt.timedelta(minutes=5)


def password_reset_queue(*, user: Any, now: dt.datetime | None = None) -> OutboxMessage | None:
    """Put a "choose a new password" e-mail for ``user`` in the outbox (sent once the
    transaction commits). The link is made when it is sent (Django's reset token, as for the
    invitation). A second request within :data:`RESET_EVERY` queues nothing (``None``)."""
    from django.utils import timezone

    now = now or timezone.now()
    subject = outbox.subject_key("user", user.pk)
    earlier = OutboxMessage.objects.filter(purpose=RESET_PURPOSE, subject_key=subject)
    if earlier.filter(created_at__gt=now - RESET_EVERY).exists():
        return None
    return outbox.message_queue(
        purpose=RESET_PURPOSE,
        subject=subject,
        sequence=earlier.count(),
        recipient=user.email,
        language=user.preferred_language or "nb",
        template="emails/password_reset.txt",
        now=now,
    )


def _reset_render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=message.subject_id)
    with translation.override(user.preferred_language or "nb"):
        context = {"user": user, "link": invitation_link(user)}
        subject = render_to_string("emails/password_reset_subject.txt", context).strip()
        body = render_to_string("emails/password_reset.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[message.recipient])


def _reset_settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """Not sent to a user who was deactivated, or whose address changed, meanwhile."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=message.subject_id, is_active=True).first()
    if user is None or (user.email or "").lower() != message.recipient.lower():
        return "cancelled"
    return None


outbox.purpose_register(
    outbox.Purpose(
        name=RESET_PURPOSE,
        label=gettext_lazy("New password"),
        render=_reset_render,
        settle=_reset_settle,
        # A lost reset e-mail leaves someone locked out; a second copy carries a link that
        # works as well (a fresh reset token).
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)
