"""The participant confirms sessions through a link e-mailed to them, so that paid hours can be
trusted without the participant signing in (the other way is in person, on the contact's phone).

1. :func:`confirmation_link_create` lists the pairing's held, unconfirmed sessions that stand
   and queues the e-mail (after commit) to the participant — or, for a minor, the guardian.
2. The outbox (:mod:`kobling.core.outbox`, purpose ``session-confirmation``) e-mails it
   exactly once, retrying a failure with back-off.
3. The link (the outbox's signed single-use link) opens a page listing the sessions — dates, minutes, activity; no
   health details — and a POST confirms the ticked ones (:func:`confirmation_use`). The link
   works once and expires after :data:`LINK_VALID_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.core.send_limits import SendLimit
from kobling.followup.choices import ConfirmedVia
from kobling.followup.models import Pairing, Session, SessionConfirmationLink
from kobling.followup.sessions import session_confirm
from kobling.tenancy.audit import audit_context, audit_log, current_context
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import User

logger = logging.getLogger(__name__)

LINK_VALID_DAYS = 14
# At most this many links per pairing, and per recipient address in the municipality, within
# the window: a mistaken double click or a script must not flood a participant's inbox.
LIMIT = SendLimit(count=3, window=dt.timedelta(hours=24))
VIA_LINK = "session confirmation link"
PURPOSE = "session-confirmation"
# The salt of the links signed before the outbox existed (0004 moves them over).
LEGACY_SIGNER_SALT = "kobling.followup.session-confirmation"


LinkState = outbox.AnswerState


class LinkClosedError(outbox.AnswerClosedError):
    """The confirmation link was used or has expired."""


def unconfirmed_sessions(pairing: Pairing):  # noqa: ANN201
    """Held sessions of the pair that stand and are not confirmed yet, oldest first."""
    return (
        Session.objects.held()
        .filter(pairing=pairing, confirmed_at__isnull=True)
        .order_by("date", "start_time", "id")
    )


def recipient_for(pairing: Pairing) -> str:
    """The participant's e-mail; for a minor the guardian's (the participant's own when no
    guardian e-mail is known)."""
    participant = pairing.participant
    if participant.is_minor and participant.guardian_email:
        return participant.guardian_email
    return participant.email


def _subject(link: SessionConfirmationLink) -> str:
    return outbox.subject_key(PURPOSE, link.pk)


def link_from_token(token: str) -> SessionConfirmationLink | None:
    """The confirmation request a token points to, or ``None`` when the token is unknown."""
    resolved = outbox.link_resolve(token, PURPOSE)
    if resolved.link is None:
        return None
    return (
        SessionConfirmationLink.objects.select_related(
            "pairing__helper", "pairing__participant", "municipality"
        )
        .filter(pk=resolved.subject_id)
        .first()
    )


def link_url(token: str) -> str:
    base = settings.KOBLING_BASE_URL.rstrip("/")
    return base + reverse("web:session_confirmation", args=[token])


def link_state(link: SessionConfirmationLink, *, now: dt.datetime | None = None) -> LinkState:
    now = now or timezone.now()
    signed = outbox.link_live(purpose=PURPOSE, subject=_subject(link))
    if link.used_at is not None:
        return LinkState.USED
    if now >= link.expires_at or signed is None:
        return LinkState.EXPIRED
    return LinkState.OPEN


def sessions_to_confirm(link: SessionConfirmationLink) -> list[Session]:
    """The link's sessions that can still be confirmed (standing, held, not yet confirmed):
    a session corrected since the e-mail drops out — its facts changed."""
    return list(
        Session.objects.held()
        .filter(pk__in=link.sessions.values("pk"), confirmed_at__isnull=True)
        .select_related("activity")
        .order_by("date", "start_time", "id")
    )


def confirmation_link_create(*, pairing: Pairing, by: User | None) -> SessionConfirmationLink:
    """Make a link for the pair's unconfirmed held sessions and queue its e-mail. Refused when
    there is nothing to confirm or no e-mail address to send to. Audited."""
    with transaction.atomic():
        locked = (
            Pairing.objects.select_for_update(of=("self",))
            .select_related("participant")
            .get(pk=pairing.pk)
        )
        recipient = recipient_for(locked)
        if not recipient:
            raise ValidationError(
                {
                    "recipient": _(
                        "The participant has no e-mail address. Let them confirm in person."
                    )
                }
            )
        pending = list(unconfirmed_sessions(locked))
        if not pending:
            raise ValidationError({"sessions": _("There are no unconfirmed sessions to confirm.")})
        now = timezone.now()
        _refuse_over_limit(locked, recipient, now)
        link = SessionConfirmationLink.objects.create(
            municipality_id=locked.municipality_id,
            pairing=locked,
            recipient=recipient,
            created_by=by if by is not None and getattr(by, "is_authenticated", False) else None,
            created_at=now,
            expires_at=now + dt.timedelta(days=LINK_VALID_DAYS),
        )
        link.sessions.set(pending)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=link,
            changes={"pairing": locked.pk, "sessions": [s.pk for s in pending]},
        )
        outbox.link_issue(
            purpose=PURPOSE,
            subject=_subject(link),
            municipality_id=link.municipality_id,
            expires_at=link.expires_at,
            now=now,
        )
        outbox.message_queue(
            purpose=PURPOSE,
            subject=_subject(link),
            recipient=recipient,
            municipality_id=link.municipality_id,
            template="followup/emails/confirmation.txt",
            now=now,
        )
    return link


def _refuse_over_limit(pairing: Pairing, recipient: str, now: dt.datetime) -> None:
    """Refuse a link beyond the :data:`LIMIT` for this pairing or this address (the same
    guardian for two children, say). Counted under the pairing's row lock, so two clicks at
    once cannot both pass. Only the municipality's own links count: the message must not tell
    anyone what another municipality sent."""
    sent = SessionConfirmationLink.objects.filter(
        Q(pairing_id=pairing.pk) | Q(recipient__iexact=recipient),
        municipality_id=pairing.municipality_id,
        created_at__gt=now - LIMIT.window,
    ).values_list("created_at", flat=True)
    next_at = LIMIT.next_allowed(sent, now=now)
    if next_at is None:
        return
    message = _(
        "A confirmation link has already been sent %(count)d times in the last %(hours)d hours "
        "to this participant or address. You can send another after %(time)s, or let them "
        "confirm in person."
    ) % {"count": LIMIT.count, "hours": LIMIT.hours, "time": LIMIT.format_time(next_at)}
    raise ValidationError({"sessions": ValidationError(message, code="rate_limited")})


def confirmation_use(
    *,
    link: SessionConfirmationLink,
    session_ids: Iterable[int],
    now: dt.datetime | None = None,
) -> list[Session]:
    """The participant confirms the ticked sessions of the link (others stay unconfirmed). The
    link is used up. Raises :class:`LinkClosedError` for a used or expired link and
    ``ValidationError`` when nothing was ticked; on any error nothing changes."""
    now = now or timezone.now()
    wanted = {int(pk) for pk in session_ids}
    with (
        audit_context(via=VIA_LINK, ip_address=current_context().ip_address),
        transaction.atomic(),
    ):
        locked = SessionConfirmationLink.objects.select_for_update().get(pk=link.pk)
        state = link_state(locked, now=now)
        if state != LinkState.OPEN:
            raise LinkClosedError(state)
        chosen = [s for s in sessions_to_confirm(locked) if s.pk in wanted]
        if not chosen:
            raise ValidationError({"sessions": _("Tick the sessions that took place.")})
        confirmed = [session_confirm(session=s, via=ConfirmedVia.LINK, by=None) for s in chosen]
        signed = outbox.link_live(purpose=PURPOSE, subject=_subject(locked))
        if signed is not None:
            outbox.link_use(link=signed, now=now)
        locked.used_at = now
        locked.save(update_fields=["used_at"])
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"used_at": now, "confirmed": [s.pk for s in confirmed]},
            via=VIA_LINK,
        )
    return confirmed


def confirmation_message(link: SessionConfirmationLink, *, token: str) -> EmailMultiAlternatives:
    """Plain text, in bokmål: who the contact is (first name), how many sessions, the link and
    when it expires. Nothing about health, activities or notes."""
    pairing = link.pairing
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "participant_first_name": pairing.participant.first_name,
            "contact_first_name": pairing.helper.first_name,
            "municipality": link.municipality.name,
            "count": link.sessions.count(),
            "link": link_url(token),
            "expires_on": timezone.localtime(link.expires_at).date(),
        }
        subject = " ".join(
            render_to_string("followup/emails/confirmation_subject.txt", context).split()
        )
        body = render_to_string("followup/emails/confirmation.txt", context)
    host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[link.recipient],
        reply_to=[link.municipality.contact_email] if link.municipality.contact_email else None,
        headers={
            "Message-ID": f"<session-confirmation-{link.pk}.{link.created_at:%Y%m%d%H%M%S}@{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )


# --- sending (through the outbox) ------------------------------------------------------------


def _link_of(message: OutboxMessage) -> SessionConfirmationLink:
    return SessionConfirmationLink.objects.select_related(
        "pairing__participant", "pairing__helper", "municipality"
    ).get(pk=message.subject_id)


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """A link used or expired before its e-mail went out is not sent any more."""
    return None if link_state(_link_of(message), now=now) == LinkState.OPEN else "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    link = _link_of(message)
    signed = outbox.link_live(purpose=PURPOSE, subject=message.subject_key)
    return confirmation_message(link, token=outbox.link_token(signed))


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Session confirmation"),
        render=_render,
        settle=_settle,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)


def confirmation_send(
    *, link_id: int, now: dt.datetime | None = None
) -> tuple[str, dt.timedelta | None]:
    """Send the link's e-mail now, through the outbox (exactly once): (outcome, retry in)."""
    message = OutboxMessage.objects.filter(
        purpose=PURPOSE, subject_key=outbox.subject_key(PURPOSE, link_id)
    ).first()
    if message is None:
        return "skipped", None
    result = outbox.message_send(message_id=message.pk, now=now)
    return result.outcome, result.retry_in
