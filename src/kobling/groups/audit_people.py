"""What the access-log review needs from this app: enrolments, attendance and the links asking
to confirm it are about a participant; a group's leaders have its participants as caseload."""

from __future__ import annotations

from collections.abc import Iterable

from kobling.core.access_review import register_caseload, register_person_record
from kobling.groups.models import Attendance, AttendanceConfirmationLink, GroupEnrolment


def leader_caseload(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    for user_id, participant_id in (
        GroupEnrolment.objects.filter(offer__leaders__user_id__in=user_ids)
        .values_list("offer__leaders__user_id", "episode__participant_id")
        .distinct()
    ):
        yield user_id, ("participant", participant_id)


def register() -> None:
    register_person_record(GroupEnrolment, participant="episode__participant_id")
    register_person_record(Attendance, participant="episode__participant_id")
    register_person_record(AttendanceConfirmationLink, participant="episode__participant_id")
    register_caseload(leader_caseload)
