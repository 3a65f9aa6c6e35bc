"""What the access-log review needs from this app: placements, provider visits and their
confirmation links are about a participant; a provider's staff have the participants placed
with their provider as caseload, and a trainer those placed with them (docs/access-review.md)."""

from __future__ import annotations

from collections.abc import Iterable

from kobling.core.access_review import register_caseload, register_person_record
from kobling.providers.models import Placement, ProviderVisit, VisitConfirmationLink


def provider_caseload(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    staff = Placement.objects.filter(provider__staff__user_id__in=user_ids).values_list(
        "provider__staff__user_id", "episode__participant_id"
    )
    trainers = Placement.objects.filter(trainer__user_id__in=user_ids).values_list(
        "trainer__user_id", "episode__participant_id"
    )
    for user_id, participant_id in {*staff, *trainers}:
        yield user_id, ("participant", participant_id)


def register() -> None:
    register_person_record(Placement, participant="episode__participant_id")
    register_person_record(ProviderVisit, participant="episode__participant_id")
    register_person_record(VisitConfirmationLink, participant="episode__participant_id")
    register_caseload(provider_caseload)
