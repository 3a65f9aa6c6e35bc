"""The course's timeline shows its hand-over to a catalogue offer (one query)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.catalogue.models import CourseHandover
from kobling.referrals.timeline import TimelineEvent


def handover_events(episode) -> Iterable[TimelineEvent]:  # noqa: ANN001
    handover = CourseHandover.objects.filter(episode=episode).select_related("offer").first()
    if handover is None:
        return []
    return [
        TimelineEvent(
            day=timezone.localtime(handover.made_at).date(),
            kind="catalogue_handover",
            title=_("Handed over to %(offer)s") % {"offer": handover.offer.title},
            detail=handover.offer.get_kind_display(),
            url=reverse("web:catalogue_offer", args=[handover.offer_id]),
            order=5,
        )
    ]
