"""The participant's card on the phone (Aktiv på dagtid, and any group programme): a link
e-mailed to the participant opens a small page the instructor can check at the door — first
name and initial, the card number the leader types for a drop-in (the course's number), the
programme, and until when the eligibility holds (the benefit check's "check again by"). No
benefit group, nothing about health.

The link is the outbox's signed link (:mod:`kobling.core.outbox`, purpose ``group-card``). It is
not single-use — the card is shown again and again — and lasts :data:`CARD_VALID_DAYS`; sending
a new one cancels the old. Sending is rate-limited as confirmation links are: at most
:data:`LIMIT` (3 a day) per course, or per address in the municipality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import confirmation_links, outbox
from kobling.core.choices import LinkStatus
from kobling.core.models import OutboxMessage, SignedLink
from kobling.core.send_limits import SendLimit
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import BenefitCheck, Episode
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import User

PURPOSE = "group-card"
CARD_VALID_DAYS = 180
LIMIT = SendLimit(count=3, window=dt.timedelta(hours=24))


def _course_subject(episode_id: int) -> str:
    # The link is about the course: a new link for the course cancels the one before.
    return outbox.subject_key(PURPOSE, episode_id)


def _message_subject(link: SignedLink) -> str:
    # Each e-mail is about one link (the outbox keeps one message per subject).
    return outbox.subject_key(PURPOSE + "-link", link.pk)


def recipient_for(episode: Episode) -> str:
    return confirmation_links.recipient_for(episode.participant)


@dataclass(frozen=True)
class Card:
    """What the card shows — and nothing more."""

    first_name: str
    initial: str
    number: int
    programme: str
    municipality: str
    eligible_until: dt.date | None
    is_open: bool


def card_for(episode: Episode) -> Card:
    check = (
        BenefitCheck.objects.filter(referral_id=episode.referral_id)
        .order_by("-verified_on", "-id")
        .first()
    )
    participant = episode.participant
    return Card(
        first_name=participant.first_name,
        initial=(participant.last_name[:1] + ".") if participant.last_name else "",
        number=episode.pk,
        programme=episode.programme.name,
        municipality=episode.municipality.name,
        eligible_until=check.valid_until if check else None,
        is_open=episode.status != EpisodeStatus.ENDED,
    )


def card_link_send(*, episode: Episode, by: User) -> SignedLink:
    """Make the course's card link (cancelling the one before) and queue its e-mail. Refused for
    an ended course, without an address, and over the rate limit. Audited."""
    from kobling.core.access import require_manager

    require_manager(by, episode.municipality_id)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Episode.objects.select_for_update(of=("self",))
            .select_related("participant")
            .get(pk=episode.pk)
        )
        if locked.status == EpisodeStatus.ENDED:
            raise ValidationError(_("The course has ended: it has no card any more."))
        recipient = recipient_for(locked)
        if not recipient:
            raise ValidationError(
                _("The participant has no e-mail address. Tell them their card number instead.")
            )
        _refuse_over_limit(locked, recipient, now)
        link, _token = outbox.link_issue(
            purpose=PURPOSE,
            subject=_course_subject(locked.pk),
            municipality_id=locked.municipality_id,
            expires_at=now + dt.timedelta(days=CARD_VALID_DAYS),
            now=now,
        )
        outbox.message_queue(
            purpose=PURPOSE,
            subject=_message_subject(link),
            recipient=recipient,
            municipality_id=locked.municipality_id,
            template="groups/emails/card.txt",
            now=now,
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=locked,
            changes={"card_link": link.pk},
        )
    return link


def _refuse_over_limit(episode: Episode, recipient: str, now: dt.datetime) -> None:
    """Counted under the course's row lock, so two clicks at once cannot both pass; only the
    municipality's own messages count."""
    window = now - LIMIT.window
    by_address = OutboxMessage.objects.filter(
        purpose=PURPOSE,
        municipality_id=episode.municipality_id,
        recipient__iexact=recipient,
        created_at__gt=window,
    ).values_list("created_at", flat=True)
    by_course = SignedLink.objects.filter(
        purpose=PURPOSE, subject_key=_course_subject(episode.pk), created_at__gt=window
    ).values_list("created_at", flat=True)
    next_at = LIMIT.next_allowed(by_address, by_course, now=now)
    if next_at is None:
        return
    raise ValidationError(
        _(
            "The card has already been sent %(count)d times in the last %(hours)d hours to this "
            "participant or address. You can send it again after %(time)s."
        )
        % {"count": LIMIT.count, "hours": LIMIT.hours, "time": LIMIT.format_time(next_at)},
        code="rate_limited",
    )


def episode_from_token(token: str) -> tuple[Episode | None, outbox.LinkOutcome]:
    """The course a card token points to (None when unknown), and whether the link works."""
    resolved = outbox.link_resolve(token, PURPOSE)
    if resolved.link is None:
        return None, resolved.outcome
    episode = (
        Episode.objects.select_related("participant", "programme", "municipality")
        .filter(pk=resolved.subject_id)
        .first()
    )
    return episode, resolved.outcome


def card_url(token: str) -> str:
    return settings.KOBLING_BASE_URL.rstrip("/") + reverse("web:group_card", args=[token])


# --- the e-mail (through the outbox) ---------------------------------------------------------


def _link_of(message: OutboxMessage) -> SignedLink:
    return SignedLink.objects.get(pk=message.subject_id, purpose=PURPOSE)


def _settle(message: OutboxMessage, now: dt.datetime) -> str | None:
    """A link replaced or expired before its e-mail went out is not sent any more."""
    link = _link_of(message)
    return None if link.status == LinkStatus.LIVE and now < link.expires_at else "cancelled"


def _render(message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
    link = _link_of(message)
    episode = Episode.objects.select_related("participant", "programme", "municipality").get(
        pk=link.subject_id
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "first_name": episode.participant.first_name,
            "programme": episode.programme.name,
            "municipality": episode.municipality.name,
            "link": card_url(outbox.link_token(link)),
            "expires_on": timezone.localtime(link.expires_at).date(),
        }
        subject = _("Your participant card: %(programme)s") % {"programme": episode.programme.name}
        body = render_to_string("groups/emails/card.txt", context)
    host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
    contact = episode.municipality.contact_email
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        reply_to=[contact] if contact else None,
        headers={
            "Message-ID": f"<group-card-{link.pk}.{link.created_at:%Y%m%d%H%M%S}@{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )


outbox.purpose_register(
    outbox.Purpose(
        name=PURPOSE,
        label=gettext_lazy("Participant card"),
        render=_render,
        settle=_settle,
        delivery=outbox.Delivery.AT_LEAST_ONCE,
    )
)
