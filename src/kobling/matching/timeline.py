"""The course's timeline: the proposals made for the person (kobling.referrals.timeline)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.matching.models import Proposal
from kobling.referrals.timeline import TimelineEvent


def proposal_events(episode) -> list[TimelineEvent]:  # noqa: ANN001
    proposals = (
        Proposal.objects.filter(referral_id=episode.referral_id)
        .select_related("run", "helper")
        .order_by("run__created_at", "pk")
    )
    return [
        TimelineEvent(
            timezone.localtime(p.run.created_at).date(),
            "proposal",
            _("Proposed: %(name)s") % {"name": p.helper.full_name},
            p.get_status_display(),
            order=5,
        )
        for p in proposals
    ]
