"""What the access-log review needs from this app: goals, reviews and follow-ups are about the
course's participant."""

from __future__ import annotations

from kobling.core.access_review import register_person_record
from kobling.outcomes.models import FollowUp, Goal, Review


def register() -> None:
    for model in (Goal, Review, FollowUp):
        register_person_record(model, participant="episode__participant_id")
