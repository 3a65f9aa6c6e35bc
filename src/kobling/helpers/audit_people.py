"""What the access-log review (:mod:`kobling.core.access_review`) needs from this app: the
helper records, the helpers' names, and that a contact's own record is in their caseload."""

from __future__ import annotations

from collections.abc import Iterable

from kobling.core.access_review import (
    PersonFacts,
    register_caseload,
    register_person_kind,
    register_person_record,
)
from kobling.helpers.models import CheckIn, Helper, HelperStatusChange


def helpers(ids: set[int]) -> dict[int, PersonFacts]:
    return {
        pk: PersonFacts(name=f"{first} {last}".strip())
        for pk, first, last in Helper.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name"
        )
    }


def own_record(user_ids: set[int]) -> Iterable[tuple[int, tuple[str, int]]]:
    for user_id, helper_id in Helper.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "pk"
    ):
        yield user_id, ("helper", helper_id)


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    register_person_kind("helper", label=_("Helper"), model=Helper, load=helpers)
    register_person_record(Helper, helper="pk")
    register_person_record(CheckIn, helper="helper_id")
    register_person_record(HelperStatusChange, helper="helper_id")
    register_caseload(own_record)
