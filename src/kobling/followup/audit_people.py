"""What the access-log review needs from this app: pairings and what hangs on them are about a
participant and a helper; a training contact's caseload is the participants of their pairings
(any status, ended too: the flag for reads long after the course covers those)."""

from __future__ import annotations

from collections.abc import Iterable

from kobling.core.access_review import register_caseload, register_person_record
from kobling.followup.models import Pairing, ReferrerNotice, Session, SessionConfirmationLink


def contact_caseload(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    for user_id, participant_id in (
        Pairing.objects.filter(helper__user_id__in=user_ids)
        .values_list("helper__user_id", "participant_id")
        .distinct()
    ):
        yield user_id, ("participant", participant_id)


def register() -> None:
    register_person_record(Pairing, participant="participant_id", helper="helper_id")
    register_person_record(Session, participant="pairing__participant_id", helper="helper_id")
    register_person_record(ReferrerNotice, participant="episode__participant_id")
    register_person_record(SessionConfirmationLink, participant="pairing__participant_id")
    register_caseload(contact_caseload)
