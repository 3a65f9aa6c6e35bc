"""The course's timeline gets its placements (placed, answered) from this app (one query)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.providers.choices import PlacementStatus
from kobling.providers.models import Placement
from kobling.referrals.timeline import TimelineEvent


def placement_events(episode) -> Iterable[TimelineEvent]:  # noqa: ANN001
    events = []
    for p in Placement.objects.filter(episode=episode).select_related("provider"):
        events.append(
            TimelineEvent(
                day=timezone.localtime(p.placed_at).date(),
                kind="placement",
                title=_("Placed with %(provider)s") % {"provider": p.provider.name},
                detail=f"{p.activity} · {p.starts_on:%d.%m.%Y}–{p.ends_on:%d.%m.%Y}",
            )
        )
        if p.answered_at is not None:
            accepted = p.status == PlacementStatus.ACCEPTED
            events.append(
                TimelineEvent(
                    day=timezone.localtime(p.answered_at).date(),
                    kind="placement_answer",
                    title=(_("%(provider)s accepted") if accepted else _("%(provider)s declined"))
                    % {"provider": p.provider.name},
                    detail="" if accepted else p.decline_reason,
                    order=1,
                )
            )
    return events
