"""Writing leader networks: a network of 5–10 leaders (their workplaces) with one or two coach
facilitators, its meeting plan, and a held meeting's attendance, homework and minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.versions import lock_versioned
from kobling.helpers.models import Helper
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.workplace.models import LeaderNetwork, NetworkMeeting, Workplace, is_staff
from kobling.workplace.services import ONLY_STAFF
from kobling.workplace.training import trained_coaches

if TYPE_CHECKING:
    from kobling.tenancy.models import Municipality, User

MIN_MEMBERS, MAX_MEMBERS = 5, 10


def network_create(
    *,
    by: User,
    municipality: Municipality,
    name: str,
    members: Iterable[Workplace],
    facilitators: Iterable[Helper],
    meeting_plan: Iterable[tuple[dt.date, str]] = (),
) -> LeaderNetwork:
    """A leader network with its members, facilitators and (optionally) its meeting plan."""
    if not is_staff(by, municipality.pk):
        raise PermissionDenied(ONLY_STAFF)
    members, facilitators = list(members), list(facilitators)
    if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
        raise ValidationError(
            {
                "members": _("A leader network has 5 to 10 leaders; %(n)s were chosen.")
                % {"n": len(members)}
            }
        )
    if any(w.municipality_id != municipality.pk or w.leader_id is None for w in members):
        raise ValidationError(
            {"members": _("Members are the municipality's workplaces that have a leader.")}
        )
    trained = set(
        trained_coaches(municipality.pk)
        .filter(pk__in=[h.pk for h in facilitators])
        .values_list("pk", flat=True)
    )
    if not 1 <= len(facilitators) <= 2 or any(h.pk not in trained for h in facilitators):
        raise ValidationError(
            {
                "facilitators": _(
                    "One or two trained coaches of the municipality facilitate (a valid "
                    "qualification from the coach training)."
                )
            }
        )
    with transaction.atomic():
        network = LeaderNetwork(municipality=municipality, name=name)
        network.full_clean()
        network.save()
        network.members.set(members)
        network.facilitators.set(facilitators)
        for date, topic in meeting_plan:
            meeting_plan_add(by=by, network=network, date=date, topic=topic)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=network,
            changes={
                "members": [w.pk for w in members],
                "facilitators": [h.pk for h in facilitators],
            },
        )
    return network


def meeting_plan_add(
    *, by: User, network: LeaderNetwork, date: dt.date, topic: str
) -> NetworkMeeting:
    if not network.permits(by, "log"):
        raise PermissionDenied(ONLY_STAFF)
    meeting = NetworkMeeting(
        network=network, municipality_id=network.municipality_id, date=date, topic=topic
    )
    meeting.full_clean()
    meeting.save()
    audit_log(user=by, action=AuditAction.CREATE, obj=meeting, changes={"topic": topic})
    return meeting


def meeting_record(
    *,
    by: User,
    meeting: NetworkMeeting,
    attended: Iterable[Workplace],
    homework: str,
    minutes: str,
    expected_version: int | None,
) -> NetworkMeeting:
    """A held meeting: who came (members only), the homework and the minutes; correctable with
    the version read."""
    if not meeting.permits(by, "log"):
        raise PermissionDenied(_("Only the network's facilitators and the IA adviser record it."))
    attended = list(attended)
    member_ids = set(meeting.network.members.values_list("pk", flat=True))
    if any(w.pk not in member_ids for w in attended):
        raise ValidationError(
            {"attended": _("Only the network's members can be marked as present.")}
        )
    if meeting.date > timezone.localdate():
        raise ValidationError({"date": _("A meeting is recorded once it has been held.")})
    with transaction.atomic():
        locked = lock_versioned(NetworkMeeting, meeting, expected_version)
        locked.held = True
        locked.homework = homework.strip()
        locked.minutes = minutes.strip()
        locked.version += 1
        locked.save()
        locked.attended.set(attended)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"attended": [w.pk for w in attended]},
        )
    return locked
