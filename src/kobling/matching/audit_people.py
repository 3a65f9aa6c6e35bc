"""What the access-log review needs from this app: a proposal or a pair rule is about a
participant and a helper."""

from __future__ import annotations

from kobling.core.access_review import register_person_record
from kobling.matching.models import PairRule, Proposal


def register() -> None:
    register_person_record(Proposal, participant="referral__participant_id", helper="helper_id")
    register_person_record(PairRule, participant="referral__participant_id", helper="helper_id")
