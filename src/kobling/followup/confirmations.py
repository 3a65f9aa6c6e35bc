"""The participant confirms sessions through a link e-mailed to them, so that paid hours can be
trusted without the participant signing in (the other way is in person, on the contact's phone).

1. :func:`confirmation_link_create` lists the pairing's held, unconfirmed sessions that stand
   and queues the e-mail (after commit) to the participant — or, for a minor, the guardian.
2. The outbox (:mod:`kobling.core.outbox`, purpose ``session-confirmation``) e-mails it
   exactly once, retrying a failure with back-off.
3. The link (the outbox's signed single-use link) opens a page listing the sessions — dates,
   minutes, activity; no health details — and a POST confirms the ticked ones
   (:func:`confirmation_use`). The link works once and expires after :data:`LINK_VALID_DAYS`
   days.

The mechanism — recipient, send limit, signed link, e-mail through the outbox, the page's shape —
is shared with the groups' attendance confirmations: :mod:`kobling.core.confirmation_links`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import confirmation_links
from kobling.core.send_limits import SendLimit
from kobling.followup.choices import ConfirmedVia
from kobling.followup.models import Pairing, Session, SessionConfirmationLink
from kobling.followup.sessions import session_confirm
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

LinkState = confirmation_links.LinkState
LinkClosedError = confirmation_links.LinkClosedError


def _email_context(link: SessionConfirmationLink) -> dict:
    """Who the contact is (first name) and how many sessions: nothing about health, activities
    or notes."""
    return {
        "participant_first_name": link.pairing.participant.first_name,
        "contact_first_name": link.pairing.helper.first_name,
        "count": link.sessions.count(),
    }


LINKS = confirmation_links.ConfirmationLinks(
    purpose=PURPOSE,
    model=SessionConfirmationLink,
    label=gettext_lazy("Session confirmation"),
    url_name="web:session_confirmation",
    subject_template="followup/emails/confirmation_subject.txt",
    body_template="followup/emails/confirmation.txt",
    context=_email_context,
    related=("pairing__helper", "pairing__participant"),
    valid_days=LINK_VALID_DAYS,
    limit=LIMIT,
    via=VIA_LINK,
)


def unconfirmed_sessions(pairing: Pairing):  # noqa: ANN201
    """Held sessions of the pair that stand and are not confirmed yet, oldest first."""
    return (
        Session.objects.held()
        .filter(pairing=pairing, confirmed_at__isnull=True)
        .order_by("date", "start_time", "id")
    )


def recipient_for(pairing: Pairing) -> str:
    """The participant's e-mail; for a minor the guardian's."""
    return confirmation_links.recipient_for(pairing.participant)


def link_from_token(token: str) -> SessionConfirmationLink | None:
    """The confirmation request a token points to, or ``None`` when the token is unknown."""
    return LINKS.from_token(token)


def link_url(token: str) -> str:
    return LINKS.url(token)


def link_state(link: SessionConfirmationLink, *, now: dt.datetime | None = None) -> LinkState:
    return LINKS.state(link, now=now)


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
        link = LINKS.issue(
            recipient=recipient,
            municipality_id=locked.municipality_id,
            by=by,
            now=now,
            audit={"pairing": locked.pk, "sessions": [s.pk for s in pending]},
            pairing=locked,
        )
        link.sessions.set(pending)
    return link


def _refuse_over_limit(pairing: Pairing, recipient: str, now: dt.datetime) -> None:
    """Refuse a link beyond the :data:`LIMIT` for this pairing or this address (the same
    guardian for two children, say)."""
    next_at = LINKS.refuse_over_limit(
        owner=Q(pairing_id=pairing.pk),
        recipient=recipient,
        municipality_id=pairing.municipality_id,
        now=now,
    )
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
    wanted = {int(pk) for pk in session_ids}

    def confirm(locked: SessionConfirmationLink) -> list[Session]:
        chosen = [s for s in sessions_to_confirm(locked) if s.pk in wanted]
        if not chosen:
            raise ValidationError({"sessions": _("Tick the sessions that took place.")})
        return [session_confirm(session=s, via=ConfirmedVia.LINK, by=None) for s in chosen]

    return LINKS.use(
        link=link,
        answer=confirm,
        changes=lambda done: {"confirmed": [s.pk for s in done]},
        now=now,
    )


def confirmation_message(link: SessionConfirmationLink, *, token: str) -> EmailMultiAlternatives:
    """Plain text, in bokmål: who the contact is (first name), how many sessions, the link and
    when it expires. Nothing about health, activities or notes."""
    return LINKS.message(link, token=token)


def confirmation_send(
    *, link_id: int, now: dt.datetime | None = None
) -> tuple[str, dt.timedelta | None]:
    """Send the link's e-mail now, through the outbox (exactly once): (outcome, retry in)."""
    return LINKS.send(link_id=link_id, now=now)
