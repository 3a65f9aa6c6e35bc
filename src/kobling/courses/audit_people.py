"""What the access-log review needs from this app: enrolments and qualifications are about a
helper, and a provider's staff have the helpers their provider trains as caseload."""

from __future__ import annotations

from collections.abc import Iterable

from kobling.core.access_review import register_caseload, register_person_record
from kobling.courses.models import Enrolment, Qualification


def provider_caseload(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    for user_id, helper_id in (
        Enrolment.objects.filter(run__provider__staff__user_id__in=user_ids)
        .values_list("run__provider__staff__user_id", "helper_id")
        .distinct()
    ):
        yield user_id, ("helper", helper_id)


def register() -> None:
    register_person_record(Enrolment, helper="helper_id")
    register_person_record(Qualification, helper="helper_id")
    register_caseload(provider_caseload)
