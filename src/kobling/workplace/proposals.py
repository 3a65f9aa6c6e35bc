"""The coaches proposed for an assignment, ranked — a proposal for the IA adviser, who still
chooses (the link is theirs).

The matching app's engine pairs *participants* with contacts on weighted factors (distance,
times, interests, language) solved as an assignment problem across many at once; none of those
factors exists for a workplace, and an assignment is proposed for one at a time. So this keeps
to the engine's *hard constraints first, then a documented order* idea without its scoring:

Hard constraints (a coach who fails one is not proposed):
  * trained — a workplace-coaching qualification valid today (:mod:`kobling.workplace.training`),
    kind workplace coach, qualified or active;
  * of the assignment's municipality;
  * a free place — fewer open assignments than their capacity (the coach already linked keeps
    theirs);
  * not from the client's own unit — a coach who leads the workplace cannot coach it.

Order: fewest open assignments, then most free places, then a coach who already knows the
workplace (an earlier assignment there) before one who does not, then by name. Two queries
however many coaches."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kobling.helpers.models import Helper
from kobling.workplace.choices import OPEN_STATUSES
from kobling.workplace.models import Assignment
from kobling.workplace.training import trained_coaches


@dataclass
class Proposal:
    rank: int
    helper: Helper
    open_assignments: int
    capacity: int
    knows_workplace: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(self.capacity - self.open_assignments, 0)


def propose_coaches(assignment: Assignment) -> list[Proposal]:
    """Ranked proposals for ``assignment`` (see the module's docstring)."""
    workplace = assignment.workplace
    rows = (
        trained_coaches(assignment.municipality_id)
        .annotate(
            taken=Count(
                "coaching_assignments",
                filter=Q(coaching_assignments__status__in=OPEN_STATUSES)
                & ~Q(coaching_assignments__pk=assignment.pk),
            ),
            knows=Count(
                "coaching_assignments",
                filter=Q(coaching_assignments__workplace_id=workplace.pk)
                & ~Q(coaching_assignments__pk=assignment.pk),
            ),
        )
        .order_by("last_name", "first_name", "pk")
    )
    candidates = [
        h
        for h in rows
        if h.taken < h.capacity and (h.user_id is None or h.user_id != workplace.leader_id)
    ]
    candidates.sort(key=lambda h: (h.taken, -(h.capacity - h.taken), h.knows == 0))
    proposals = []
    for rank, h in enumerate(candidates, start=1):
        reasons = [
            _("%(taken)s of %(capacity)s places taken") % {"taken": h.taken, "capacity": h.capacity}
        ]
        if h.knows:
            reasons.append(_("has coached this workplace before"))
        proposals.append(
            Proposal(
                rank=rank,
                helper=h,
                open_assignments=h.taken,
                capacity=h.capacity,
                knows_workplace=bool(h.knows),
                reasons=reasons,
            )
        )
    return proposals
