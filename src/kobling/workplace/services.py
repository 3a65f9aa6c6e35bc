"""Writing workplace coaching: workplaces, the assignment's steps (request, link a coach, order,
meetings, decision, closing evaluation).

Every edit of an existing row carries the version the user read (``core.versions``): a stale
edit is refused, never merged. A coach's capacity holds under concurrent linking: the coach's
row is locked while their open assignments are counted."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.versions import lock_versioned
from kobling.helpers.models import Helper
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Role
from kobling.workplace.choices import OPEN_STATUSES, AssignmentStatus, Decision
from kobling.workplace.models import STAFF_ROLES, Assignment, CoachingMeeting, Workplace, is_staff
from kobling.workplace.training import is_trained, trained_coaches

if TYPE_CHECKING:
    from kobling.tenancy.models import Municipality, User

ONLY_STAFF = _("Only the IA adviser and the programme's coordinators can do this.")


def _require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or ONLY_STAFF)


def open_assignments(helper: Helper) -> int:
    return Assignment.objects.filter(coach=helper, status__in=OPEN_STATUSES).count()


def available_coaches(municipality_id: int) -> list[Helper]:
    """Trained coaches of the municipality (qualified by the coach training) with a free place,
    fewest assignments first."""
    from django.db.models import Count, Q

    rows = (
        trained_coaches(municipality_id)
        .annotate(
            taken=Count(
                "coaching_assignments",
                filter=Q(coaching_assignments__status__in=OPEN_STATUSES),
            )
        )
        .order_by("taken", "last_name", "first_name")
    )
    return [h for h in rows if h.taken < h.capacity]


def workplace_create(
    *, by: User, municipality: Municipality, name: str, sector: str = "", leader: Any = None
) -> Workplace:
    """A workplace (organisation unit) of the municipality; its leader holds the leader role."""
    _require(is_staff(by, municipality.pk))
    if leader is not None and not leader.has_role(Role.WORKPLACE_LEADER, municipality.pk):
        raise ValidationError(
            {"leader": _("The leader must hold the workplace leader role in the municipality.")}
        )
    with transaction.atomic():
        workplace = Workplace(municipality=municipality, name=name, sector=sector, leader=leader)
        workplace.full_clean()
        workplace.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=workplace, changes={"name": name})
    return workplace


def assignment_request(
    *, by: User, workplace: Workplace, request: str, requested_on: dt.date | None = None
) -> Assignment:
    """The leader's request, entered by the leader or by the IA adviser who received it."""
    staff = is_staff(by, workplace.municipality_id)
    _require(
        staff or workplace.leader_id == by.pk,
        _("Only the workplace's leader or the IA adviser can ask for a coach."),
    )
    if not request.strip():
        raise ValidationError({"request": _("Say briefly what the workplace asks for.")})
    with transaction.atomic():
        assignment = Assignment(
            municipality_id=workplace.municipality_id,
            workplace=workplace,
            request=request.strip(),
            requested_on=requested_on or timezone.localdate(),
            adviser=by if by.has_role(Role.IA_ADVISER, workplace.municipality_id) else None,
        )
        assignment.full_clean()
        assignment.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=assignment)
    return assignment


def assignment_link(
    *,
    by: User,
    assignment: Assignment,
    coach: Helper,
    co_coach: str = "",
    pre_meeting_on: dt.date | None = None,
    expected_version: int | None,
) -> Assignment:
    """The IA adviser links a trained coach with a free place (and the co-coach from
    occupational health, and the pre-meeting's date). Re-linking is allowed until the order."""
    _require(is_staff(by, assignment.municipality_id))
    if coach.municipality_id != assignment.municipality_id:
        raise ValidationError({"coach": _("The coach must belong to the municipality.")})
    if coach.user_id and coach.user_id == assignment.workplace.leader_id:
        raise ValidationError({"coach": _("A coach cannot coach the workplace they lead.")})
    if not is_trained(coach):
        raise ValidationError(
            {
                "coach": _(
                    "%(name)s is not a trained workplace coach (no valid qualification from the "
                    "coach training)."
                )
                % {"name": coach.full_name}
            }
        )
    with transaction.atomic():
        locked = lock_versioned(Assignment, assignment, expected_version)
        if locked.status not in (AssignmentStatus.REQUESTED, AssignmentStatus.LINKED):
            raise ValidationError(_("The coach can only be changed before the order is made."))
        coach_row = Helper.objects.select_for_update().get(pk=coach.pk)
        if locked.coach_id != coach.pk:
            locked.linked_on = timezone.localdate()
        if locked.coach_id != coach.pk and open_assignments(coach_row) >= coach_row.capacity:
            raise ValidationError(
                {
                    "coach": _("%(name)s has no free place (capacity %(n)s).")
                    % {"name": coach.full_name, "n": coach_row.capacity}
                }
            )
        before = {"coach": locked.coach_id, "co_coach": locked.co_coach}
        locked.coach = coach
        locked.co_coach = co_coach.strip()
        locked.pre_meeting_on = pre_meeting_on
        locked.status = AssignmentStatus.LINKED
        if locked.adviser_id is None and by.has_role(Role.IA_ADVISER, locked.municipality_id):
            locked.adviser = by
        locked.version += 1
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, {"coach": coach.pk, "co_coach": locked.co_coach}),
        )
    return locked


def assignment_order(
    *,
    by: User,
    assignment: Assignment,
    goals: str,
    success: str,
    target_low: int,
    target_high: int | None = None,
    planned_meetings: int,
    expected_version: int | None,
) -> Assignment:
    """The order agreed at the pre-meeting: goals, what success looks like, the target on the
    1–10 scale and the number of meetings planned. It may be adjusted until the assignment
    closes."""
    _require(assignment.permits(by, "log"))
    if not goals.strip():
        raise ValidationError({"goals": _("An order needs its goals.")})
    with transaction.atomic():
        locked = lock_versioned(Assignment, assignment, expected_version)
        if locked.status in (AssignmentStatus.REQUESTED, AssignmentStatus.CLOSED):
            raise ValidationError(
                _("The order is made once a coach is linked, and not after closing.")
            )
        before = {
            "goals": locked.goals,
            "target_low": locked.target_low,
            "target_high": locked.target_high,
            "planned_meetings": locked.planned_meetings,
        }
        locked.goals = goals.strip()
        locked.success = success.strip()
        locked.target_low = target_low
        locked.target_high = target_high
        locked.planned_meetings = planned_meetings
        if locked.status == AssignmentStatus.LINKED:
            locked.status = AssignmentStatus.ORDERED
            locked.ordered_on = timezone.localdate()
        locked.version += 1
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(
                before,
                {
                    "goals": locked.goals,
                    "target_low": target_low,
                    "target_high": target_high,
                    "planned_meetings": planned_meetings,
                },
            ),
        )
    return locked


MEETING_FIELDS = ("held_on", "participants", "notes", "scale_low", "scale_high", "homework")


def meeting_log(*, by: User, assignment: Assignment, data: dict[str, Any]) -> CoachingMeeting:
    """The coach logs a meeting; the first one puts an ordered assignment in progress."""
    _require(assignment.permits(by, "log"), _("Only the assignment's coach or adviser can log."))
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status not in (AssignmentStatus.ORDERED, AssignmentStatus.IN_PROGRESS):
            raise ValidationError(_("Meetings are logged once the order is made, until closing."))
        if data.get("held_on") and data["held_on"] > timezone.localdate():
            raise ValidationError({"held_on": _("A meeting is logged once it has been held.")})
        meeting = CoachingMeeting(
            assignment=locked, municipality_id=locked.municipality_id, recorded_by=by, **data
        )
        meeting.full_clean()
        meeting.save()
        if locked.status == AssignmentStatus.ORDERED:
            locked.status = AssignmentStatus.IN_PROGRESS
            locked.version += 1
            locked.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=meeting,
            changes={"scale": meeting.scale_text, "held_on": meeting.held_on},
        )
    return meeting


def meeting_update(
    *, by: User, meeting: CoachingMeeting, data: dict[str, Any], expected_version: int | None
) -> CoachingMeeting:
    """Correct a logged meeting, given the version read (until the assignment closes)."""
    _require(meeting.permits(by, "change"), _("Only the assignment's coach or adviser can log."))
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    with transaction.atomic():
        locked = lock_versioned(CoachingMeeting, meeting, expected_version)
        if locked.assignment.status == AssignmentStatus.CLOSED:
            raise ValidationError(_("The assignment is closed; its meetings stay as they are."))
        before = {name: getattr(locked, name) for name in data}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.full_clean()
        locked.save()
        changes = diff(before, {name: getattr(locked, name) for name in data})
        if "notes" in changes:  # the notes are confidential: the log says only that they changed
            changes["notes"] = ["…", "…"]
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def assignment_decide(
    *, by: User, assignment: Assignment, decision: str, expected_version: int | None
) -> Assignment:
    """After the planned meetings (or at any meeting): continue, or close the assignment."""
    _require(assignment.permits(by, "log"))
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose to continue or to close.")})
    with transaction.atomic():
        locked = lock_versioned(Assignment, assignment, expected_version)
        if locked.status != AssignmentStatus.IN_PROGRESS:
            raise ValidationError(_("A decision is made on an assignment in progress."))
        locked.decision = decision
        locked.decided_on = timezone.localdate()
        if decision == Decision.CLOSE:
            locked.status = AssignmentStatus.CLOSED
            locked.closed_on = locked.decided_on
        locked.version += 1
        locked.save()
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes={"decision": decision})
    return locked


def assignment_evaluate(
    *, by: User, assignment: Assignment, reaction: int, usefulness: int, comment: str = ""
) -> Assignment:
    """The leader's closing evaluation (reaction and usefulness, 1–5), once, after closing."""
    _require(assignment.permits(by, "evaluate"), _("Only the workplace's leader evaluates."))
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != AssignmentStatus.CLOSED:
            raise ValidationError(_("The evaluation is given when the assignment has closed."))
        if locked.evaluated_on is not None:
            raise ValidationError(_("The assignment has already been evaluated."))
        locked.reaction = reaction
        locked.usefulness = usefulness
        locked.evaluation_comment = comment.strip()
        locked.evaluated_on = timezone.localdate()
        locked.version += 1
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"reaction": reaction, "usefulness": usefulness},
        )
    return locked


__all__ = [
    "STAFF_ROLES",
    "assignment_decide",
    "assignment_evaluate",
    "assignment_link",
    "assignment_order",
    "assignment_request",
    "available_coaches",
    "meeting_log",
    "meeting_update",
    "workplace_create",
]
