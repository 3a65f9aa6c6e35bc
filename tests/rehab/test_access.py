"""Who reads what in the rehabilitation register, and that a hospital's staff read nothing of a
municipality's persons and a municipality's staff nothing of the hospital's patients.

Decisions recorded here: offers hold no personal data, so every signed-in user reads them; a
rehabilitation course is a health record that only its unit's clinicians, coordinators and
administrators read (others with a staff role elsewhere get 404, roles that never see courses
403); denominators and the participation report are aggregates for the national analyst and
the units' staff (rows limited and suppressed as tests/rehab/test_participation.py shows)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.followup import scenario as s
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
    "admin_h",
    "coordinator_h",
    "clinician_h",
    "region_h",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    return list(zip(ROLES, codes, strict=True))


# Region staff (the last column) read the participation report of their region's units and
# offers; no course, and no denominator rows (the units' own figures, kept to the unit).
EVERYONE = matrix(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
COURSES = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200, 200, 403)
COURSE_H = matrix(404, 404, 403, 403, 404, 403, 403, 200, 200, 200, 403)
DENOMINATORS = matrix(200, 200, 403, 403, 200, 200, 403, 200, 200, 200, 403)
AGGREGATES = matrix(200, 200, 403, 403, 200, 200, 403, 200, 200, 200, 200)
# The quality-register extract keyed by national identity number: the units' managers only.
MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200, 403, 403)

READS = {
    "/api/v1/rehab/offers/": EVERYONE,
    "/api/v1/rehab/offers/{offer}/": EVERYONE,
    "/api/v1/rehab/courses/": COURSES,
    "/api/v1/rehab/courses/{course}/": COURSE_H,
    "/api/v1/rehab/denominators/": DENOMINATORS,
    "/api/v1/rehab/participation/?diagnosis=chd&period=2025Q1": AGGREGATES,
    "/api/v1/rehab/extracts/": AGGREGATES,
    "/api/v1/rehab/extracts/{register}/": MANAGERS,
    "/api/v1/rehab/extracts/{register}/aggregate/": AGGREGATES,
}
IMPORTERS = matrix(200, 200, 403, 403, 200, 200, 403, 200, 200, 403, 403)
# The units' own pages: every unit's staff reach the register page (a municipality's shows its
# own, usually empty, lists); managers add offers; only the offer's unit's managers change it;
# only the course's unit's staff register it (other units' staff 404).
UNIT_PAGE = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200, 200, 403)
OFFER_NEW = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200, 403, 403)
OFFER_H = matrix(403, 403, 403, 403, 403, 403, 403, 200, 200, 403, 403)
COURSE_NEW_H = matrix(404, 404, 403, 403, 404, 403, 403, 200, 200, 200, 403)
PAGES = {
    "rehab_participation": ((), AGGREGATES),
    "rehab_participation_csv": ((), AGGREGATES),
    "rehab_denominator_import": ((), IMPORTERS),
    "rehab_extracts": ((), AGGREGATES),
    "rehab_person_extract": (("hjerteinfarkt",), MANAGERS),
    "rehab_aggregate_extract": (("hjerteinfarkt",), AGGREGATES),
    "rehab_unit_register": ((), UNIT_PAGE),
    "rehab_offer_create": ((), OFFER_NEW),
    "rehab_offer_edit": (("offer",), OFFER_H),
    "rehab_course_register": (("waiting",), COURSE_NEW_H),
}
PUBLIC = {"rehab_public_offers"}


@pytest.fixture
def world(cast):
    return build(cast)


@pytest.mark.parametrize(
    ("url", "role", "expected"), [(u, r, c) for u, pairs in READS.items() for r, c in pairs]
)
def test_every_rehab_endpoint_allows_or_denies_each_role(cast, api, world, url, role, expected):
    path = url.format(offer=world.h.offer.pk, course=world.courses[0].pk, register="hjerteinfarkt")
    response = api(cast.roles[role]).get(path)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("name", "args", "role", "expected"),
    [(n, a, r, c) for n, (a, pairs) in PAGES.items() for r, c in pairs],
)
def test_every_rehab_page_allows_or_denies_each_role(cast, world, name, args, role, expected):
    objects = {"offer": world.h.offer.pk, "waiting": world.waiting.pk}
    args = [objects.get(a, a) for a in args]
    response = signed_in(cast.roles[role]).get(reverse(f"web:{name}", args=args))
    assert response.status_code == expected


def test_anonymous_callers_get_401(cast, api, world):
    for url in READS:
        path = url.format(
            offer=world.h.offer.pk, course=world.courses[0].pk, register="hjerteinfarkt"
        )
        assert api().get(path).status_code == 401, url


def test_a_hospitals_staff_read_nothing_of_a_municipalitys_persons(cast, api, world):
    referral = s.waiting(cast.programme_a, first_name="Kommunal")
    for user in (world.h.coordinator, world.h.admin):
        client = api(user)
        assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
        assert client.get(f"/api/v1/participants/{referral.participant_id}/").status_code == 404
        listed = client.get("/api/v1/participants/?page_size=500").json()["results"]
        assert referral.participant_id not in {p["id"] for p in listed}
        assert all(p["id"] != referral.participant_id for p in listed)
    # The clinician has no role that reads referrals or participants at all.
    assert api(world.h.clinician).get("/api/v1/referrals/").status_code == 403
    assert api(world.h.clinician).get("/api/v1/participants/").status_code == 403


def test_a_municipalitys_staff_read_nothing_of_the_hospitals_patients(cast, api, world):
    course = world.courses[0]
    for user in (cast.coordinator_a, cast.admin_a, cast.coordinator_b):
        client = api(user)
        assert client.get(f"/api/v1/rehab/courses/{course.pk}/").status_code == 404
        assert client.get("/api/v1/rehab/courses/").json()["results"] == []
        assert client.get(f"/api/v1/episodes/{course.episode_id}/").status_code == 404
        participant = course.episode.participant_id
        assert client.get(f"/api/v1/participants/{participant}/").status_code == 404
    # The other hospital's staff neither.
    assert api(world.h2.clinician).get(f"/api/v1/rehab/courses/{course.pk}/").status_code == 404


def test_reading_a_course_is_audited(cast, api, world):
    course = world.courses[0]
    assert api(world.h.clinician).get(f"/api/v1/rehab/courses/{course.pk}/").status_code == 200
    assert AuditEntry.objects.filter(
        user=world.h.clinician, action="view", object_type="rehab.rehabcourse"
    ).exists()


def test_the_lists_read_a_fixed_number_of_queries(cast, api, world, django_assert_max_num_queries):
    client = api(world.h.clinician)
    for url in ("/api/v1/rehab/courses/", "/api/v1/rehab/offers/", "/api/v1/rehab/denominators/"):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200


def test_the_access_log_review_knows_whom_a_course_read_is_about(cast, api, world):
    from kobling.core.access_review import PERSON_RECORDS

    model, paths = PERSON_RECORDS["rehab.rehabcourse"]
    course = world.courses[0]
    person = model.objects.filter(pk=course.pk).values_list(paths["participant"], flat=True).get()
    assert person == course.episode.participant_id
