"""Participants confirm their own visits at a provider by link, where the programme's placement
settings ask for it (``PlacementSettings.visit_confirmation_by_participant``).

1. When a visit is recorded as come — by the provider's key, a file or the trainer's phone —
   the participant (or a minor's guardian) gets a link (:func:`links_queue`), e-mailed through
   the outbox after commit (purpose ``visit-confirmation``, at least once). Without an address,
   or over the send limit (:data:`LIMIT` per course and per address), there is no link and the
   visit shows *no link*.
2. The link opens a page (no sign-in) with the first name, the provider, the day and the
   minutes — nothing else — where the person answers "I was there" or "I was not there"
   (:func:`visit_answer`). The answer is written once onto the visit entry (the row guard
   allows exactly that); the entry itself stays as the provider reported it. The link works
   once, for :data:`LINK_VALID_DAYS` days, and closes when the entry is corrected meanwhile.
3. "I was not there" is an alert on the coordinators' alerts page (:func:`disputed`) until the
   coordinator records the visit as not come, or keeps it with a reason
   (:func:`kobling.providers.services.visit_correct`) — each a new, superseding entry.

The mechanism is the one group attendance and session confirmations use
(:mod:`kobling.core.confirmation_links`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import confirmation_links
from kobling.core.alerts import KIND_LABELS, Alert
from kobling.core.choices import ParticipantAnswer
from kobling.core.send_limits import SendLimit
from kobling.providers.models import PlacementSettings, ProviderVisit, VisitConfirmationLink
from kobling.referrals.models import Episode

if TYPE_CHECKING:
    from kobling.tenancy.models import User

PURPOSE = "visit-confirmation"
LINK_VALID_DAYS = 14
# A provider's system reporting a week at once must not flood anyone's inbox: three links a
# day per course and per address; the rest of the visits show "no link".
LIMIT = SendLimit(count=3, window=dt.timedelta(hours=24))
VIA_LINK = "visit confirmation link"
DISPUTED = "provider_visit_disputed"

LinkState = confirmation_links.LinkState
LinkClosedError = confirmation_links.LinkClosedError
LinksQueued = confirmation_links.LinksQueued

KIND_LABELS[DISPUTED] = gettext_lazy("Provider visit disputed by the participant")


def _email_context(link: VisitConfirmationLink) -> dict:
    """First name, the provider, the day and the minutes: nothing else about anyone."""
    return {
        "first_name": link.episode.participant.first_name,
        "provider": link.visit.provider.name,
        "date": link.visit.visited_on,
        "minutes": link.visit.minutes,
    }


def _still_open(link: VisitConfirmationLink) -> bool:
    """The entry the link asks about still stands, as come and unanswered."""
    return ProviderVisit.objects.filter(
        pk=link.visit_id,
        superseded_by__isnull=True,
        attended=True,
        answered_at__isnull=True,
    ).exists()


LINKS = confirmation_links.ConfirmationLinks(
    purpose=PURPOSE,
    model=VisitConfirmationLink,
    label=gettext_lazy("Provider visit confirmation"),
    url_name="web:provider_visit_confirmation",
    subject_template="providers/emails/visit_confirmation_subject.txt",
    body_template="providers/emails/visit_confirmation.txt",
    context=_email_context,
    related=("visit__provider", "episode__participant"),
    valid_days=LINK_VALID_DAYS,
    limit=LIMIT,
    via=VIA_LINK,
    still_open=_still_open,
)


def programmes_asking(programme_ids: set[int]) -> set[int]:
    """Of these programmes, those whose participants confirm their visits (one query)."""
    if not programme_ids:
        return set()
    return set(
        PlacementSettings.objects.filter(
            programme_id__in=sorted(programme_ids), visit_confirmation_by_participant=True
        ).values_list("programme_id", flat=True)
    )


def links_queue(*, visits: list[ProviderVisit], by: User | None, now: dt.datetime) -> LinksQueued:
    """A link for each new visit recorded as come, when its course's programme asks for it
    (call inside the transaction that records them; the e-mails go after commit). The
    courses' rows are locked while the send limit is counted."""
    came = [v for v in visits if v.attended and v.pk]
    if not came:
        return LinksQueued()
    course_ids = sorted({v.episode_id for v in came})
    programmes = dict(Episode.objects.filter(pk__in=course_ids).values_list("pk", "programme_id"))
    asking = programmes_asking(set(programmes.values()))
    came = [v for v in came if programmes[v.episode_id] in asking]
    if not came:
        return LinksQueued()
    courses = {
        c.pk: c
        for c in Episode.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({v.episode_id for v in came}))
        .select_related("participant")
        .order_by("pk")
    }
    queued = LinksQueued()
    for municipality_id in sorted({v.municipality_id for v in came}):
        batch = LINKS.issue_each(
            entries=[
                (v, courses[v.episode_id]) for v in came if v.municipality_id == municipality_id
            ],
            municipality_id=municipality_id,
            by=by,
            now=now,
            owner=lambda course: Q(episode_id=course.pk),
            fields=lambda visit, course: {"visit": visit, "episode": course},
            audit=lambda visit, course: {"visit": visit.pk, "episode": course.pk},
        )
        queued.sent += batch.sent
        queued.no_address += batch.no_address
        queued.over_limit += batch.over_limit
    return queued


def link_from_token(token: str) -> VisitConfirmationLink | None:
    return LINKS.from_token(token)


def visit_answer(
    *,
    link: VisitConfirmationLink,
    was_there: bool,
    entry_id: int | None = None,
    now: dt.datetime | None = None,
) -> ProviderVisit:
    """The participant's answer about the link's visit: "I was there" confirms it, "I was not
    there" disputes it (the visit stays as reported; the coordinators get an alert). The link
    is used up. ``entry_id``, when given (the page's), must be the link's own visit. Raises
    :class:`LinkClosedError` for a used, expired or corrected link; on any error nothing
    changes."""
    if entry_id is not None and entry_id != link.visit_id:
        raise ValidationError(
            _("This answer is about another visit. Open the link in your e-mail again.")
        )
    return LINKS.answer_entry(
        link=link,
        model=ProviderVisit,
        entry_id=link.visit_id,
        confirmed=was_there,
        key="visit",
        now=now,
    )


def visit_of(link: VisitConfirmationLink) -> dict:
    """What the page shows: the first name, the provider, the day, the minutes."""
    return {
        "first_name": link.episode.participant.first_name,
        "provider": link.visit.provider.name,
        "visit": link.visit,
        "entry": link.visit_id,
    }


# --- the coordinators' alert -------------------------------------------------------------------


def disputed(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Standing visits recorded as come that the participant says were not, until the
    coordinator corrects the entry or keeps it after a look (both a new entry). One query."""
    visits = (
        ProviderVisit.objects.current()
        .filter(
            municipality_id__in=list(municipality_ids),
            attended=True,
            confirmation=ParticipantAnswer.DISPUTED,
        )
        .select_related("provider", "episode__participant")
        .order_by("visited_on", "pk")
    )
    return [
        Alert(
            DISPUTED,
            None,
            visit.visited_on,
            _("Says they were not at %(provider)s on %(date)s, where the provider reports a visit.")
            % {
                "provider": visit.provider.name,
                "date": formats.date_format(visit.visited_on, "SHORT_DATE_FORMAT"),
            },
            subject=visit.episode.participant.full_name,
            url=reverse("web:provider_placement", args=[visit.placement_id]),
            episode=visit.episode,
        )
        for visit in visits
    ]
