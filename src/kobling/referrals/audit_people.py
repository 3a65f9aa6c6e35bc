"""What the access-log review (:mod:`kobling.core.access_review`) needs from this app: which of
its audited records are about which participant, the participants' names and when their last
course ended, and the referrer's caseload — the people they referred."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kobling.core.access_review import (
    PersonFacts,
    register_caseload,
    register_person_kind,
    register_person_record,
)
from kobling.referrals.models import (
    Consent,
    Conversation,
    Decision,
    Episode,
    EpisodeRenewal,
    Participant,
    Referral,
)


def participants(ids: set[int]) -> dict[int, PersonFacts]:
    """Names, and the day the last course ended when none is open: two queries."""
    open_ids: set[int] = set()
    ended: dict[int, dt.date] = {}
    for participant_id, ended_on in Episode.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "ended_on"
    ):
        if ended_on is None:
            open_ids.add(participant_id)
        elif participant_id not in ended or ended_on > ended[participant_id]:
            ended[participant_id] = ended_on
    return {
        pk: PersonFacts(
            name=f"{first} {last}".strip(),
            course_ended_on=None if pk in open_ids else ended.get(pk),
        )
        for pk, first, last in Participant.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name"
        )
    }


def referrer_caseload(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    """A referrer's caseload: the participants of the referrals they made."""
    for user_id, participant_id in (
        Referral.objects.filter(referrer_id__in=user_ids)
        .values_list("referrer_id", "participant_id")
        .distinct()
    ):
        yield user_id, ("participant", participant_id)


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    register_person_kind(
        "participant", label=_("Participant"), model=Participant, load=participants
    )
    register_person_record(Participant, participant="pk")
    register_person_record(Referral, participant="participant_id")
    register_person_record(Episode, participant="participant_id")
    register_person_record(Consent, participant="referral__participant_id")
    register_person_record(Decision, participant="referral__participant_id")
    register_person_record(EpisodeRenewal, participant="episode__participant_id")
    register_person_record(Conversation, participant="episode__participant_id")
    register_caseload(referrer_caseload)
