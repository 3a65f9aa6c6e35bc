"""What the access-log review needs from this app: the supervision a helper received and the
pool's lines are about that helper."""

from __future__ import annotations

from kobling.core.access_review import register_person_record
from kobling.support.models import PoolEntry, SupervisionEntry


def register() -> None:
    register_person_record(SupervisionEntry, helper="helper_id")
    register_person_record(PoolEntry, helper="helper_id")
