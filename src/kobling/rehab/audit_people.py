"""What the access-log review needs from this app: a rehabilitation course is about its
participant (offers and denominators are about no one)."""

from __future__ import annotations

from kobling.core.access_review import register_person_record
from kobling.rehab.models import RehabCourse


def register() -> None:
    register_person_record(RehabCourse, participant="episode__participant_id")
