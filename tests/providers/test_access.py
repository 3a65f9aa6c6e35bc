"""Every provider endpoint × every role of the cast, plus the new role — staff of an activity
provider (gym A's and gym B's, both in municipality A) — and the provider key.

Decisions recorded here:

* The register (providers, sites, keys) and placing a course are the municipality's managers';
  trainers and their certificates are kept by the managers and by the provider's own staff
  (for their provider only). Another municipality's coordinator gets 404 on A's rows and empty lists.
* A provider's staff see their own provider, its sites and trainers, and the courses placed
  with it while the person's consent to share with the provider is in force — name, contact,
  the activity and the period, nothing else. Gym B's staff get 404 on gym A's rows; a person
  not placed with a gym is not reachable by its staff at all (the person's and the course's own
  endpoints answer 403 to the role).
* Referrers, training contacts, the analyst and course-provider staff: 403 up front.
* A provider key reaches only its own provider's placements: writing a visit for a course
  placed elsewhere is 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.providers import services
from kobling.providers.models import ProviderVisit
from kobling.referrals.models import Consent
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.providers.builders import (
    ORGNR,
    certified,
    gym,
    placed,
    provider_course,
    provider_programme,
    staff_user,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
    "gym_a",
    "gym_b",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


LISTS = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200)
ROWS = matrix(200, 200, 403, 403, 404, 403, 403, 200, 404)

READS = {
    "/api/v1/activity-providers/": LISTS,
    "/api/v1/activity-providers/{gym}/": ROWS,
    "/api/v1/provider-sites/": LISTS,
    "/api/v1/provider-sites/{site}/": ROWS,
    "/api/v1/trainers/": LISTS,
    "/api/v1/trainers/{trainer}/": ROWS,
    "/api/v1/placements/": LISTS,
    "/api/v1/placements/{placement}/": ROWS,
    "/api/v1/provider-visits/": LISTS,
    "/api/v1/provider-visits/{visit}/": ROWS,
    # The provider's own system only (a provider key); people signed in: 403.
    "/api/v1/provider/placements/": matrix(403, 403, 403, 403, 403, 403, 403, 403, 403),
}

# A role that can never change the register (provider staff included) gets 403 up front.
MANAGERS_ONLY = matrix(200, 200, 403, 403, 404, 403, 403, 403, 403)
PAGES = {
    "provider_list": ((), "get", LISTS),
    "provider_create": ((), "get", matrix(200, 200, 403, 403, 200, 403, 403, 403, 403)),
    "provider_detail": (("gym",), "get", ROWS),
    "provider_edit": (("gym",), "get", MANAGERS_ONLY),
    "provider_site_create": (("gym",), "get", MANAGERS_ONLY),
    "provider_site_edit": (("site",), "get", MANAGERS_ONLY),
    # The provider keeps its own trainers and their certificates too.
    "provider_trainer_create": (("gym",), "get", ROWS),
    "provider_certificate_add": (("trainer",), "get", ROWS),
    "provider_token_create": (
        ("gym",),
        "post",
        MANAGERS_ONLY,
    ),
    "provider_token_revoke": (
        ("token",),
        "post",
        matrix(302, 302, 403, 403, 404, 403, 403, 403, 403),
    ),
    "provider_placement_create": (
        ("episode",),
        "get",
        matrix(200, 200, 403, 403, 404, 403, 403, 403, 403),
    ),
    "provider_placement_withdraw": (
        ("pending",),
        "post",
        matrix(302, 302, 403, 403, 404, 403, 403, 403, 403),
    ),
    "provider_portal": ((), "get", matrix(403, 403, 403, 403, 403, 403, 403, 200, 200)),
    "provider_placement": (("placement",), "get", ROWS),
    # Answering is the provider's: the municipality's managers see the placement but do not
    # answer for the provider (403); gym B cannot see it (404).
    "provider_placement_answer": (
        ("pending",),
        "post",
        matrix(403, 403, 403, 403, 403, 403, 403, 302, 404),
    ),
    "provider_visit_import": (("gym",), "get", matrix(403, 403, 403, 403, 404, 403, 403, 200, 404)),
    "provider_phone": ((), "get", matrix(403, 403, 403, 403, 403, 403, 403, 200, 200)),
    # Settling a visit the participant disputed is the municipality's, not the provider's.
    "provider_visit_resolve": (
        ("visit",),
        "post",
        matrix(302, 302, 403, 403, 404, 403, 403, 403, 404),
    ),
}
# Reached without signing in, by the participant's signed single-use link
# (tests/providers/test_visit_confirmation.py).
PUBLIC = {"provider_visit_confirmation"}


@pytest.fixture
def world(cast):
    programme = provider_programme(cast)
    gym_a_user = staff_user("gym-a@test")
    gym_b_user = staff_user("gym-b@test")
    a = gym(cast, staff=gym_a_user)
    b = gym(cast, "Havna Helse", orgnr=ORGNR[1], staff=gym_b_user)
    site = services.site_create(
        by=None,
        provider=a,
        data={"name": "Sentrum", "street_address": "Torget 1", "postcode": "6900"},
    )
    trainer = certified(cast, a)
    placement = placed(cast, provider_course(cast, programme, a), a)
    pending = placed(cast, provider_course(cast, programme, a, first_name="Pia"), a, accept=False)
    at_b = placed(cast, provider_course(cast, programme, b, first_name="Bo"), b)
    not_placed = provider_course(cast, programme, a, first_name="Ulla")
    visit = services.visit_record(
        placement=placement, visited_on=timezone.localdate(), minutes=60, source="api"
    ).visit
    token, key = services.token_issue(by=None, provider=a, name="Booking")
    cast.roles.update(gym_a=gym_a_user, gym_b=gym_b_user)
    ids = {
        "gym": a.pk,
        "site": site.pk,
        "trainer": trainer.pk,
        "placement": placement.pk,
        "pending": pending.pk,
        "visit": visit.pk,
        "token": token.pk,
        "episode": not_placed.pk,
        "at_b": at_b.pk,
    }
    return ids, key, placement, at_b, not_placed


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_provider_read_endpoint_allows_or_denies_each_role(
    cast, api, world, url, role, expected
):
    ids = world[0]
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:200])
    if expected == 200 and role == "coordinator_b":
        body = response.json()
        assert body.get("results", body) == []


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_provider_page_allows_or_denies_each_role(cast, world, name, role, expected):
    ids = world[0]
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    body = {"accept": "yes", "version": 1} if name == "provider_placement_answer" else {}
    response = client.post(url, body) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_gym_a_staff_cannot_read_gym_b_persons_or_persons_not_placed_with_a(cast, api, world):
    ids, _key, placement, at_b, not_placed = world
    staff = cast.roles["gym_a"]
    client = api(staff)
    assert client.get(f"/api/v1/placements/{at_b.pk}/").status_code == 404
    listed = client.get("/api/v1/placements/").json()
    rows = listed.get("results", listed)
    assert {r["id"] for r in rows} == {placement.pk, ids["pending"]}
    # Only name, contact, activity and period of the person — no health notes, no referral.
    assert set(rows[0]) >= {"name", "phone", "email", "activity", "starts_on", "ends_on"}
    assert not {"needs", "goals", "coordinator_notes", "referral"} & set(rows[0])
    # The person's and the course's own endpoints are not the provider's at all.
    assert client.get(f"/api/v1/participants/{not_placed.participant_id}/").status_code in (
        403,
        404,
    )
    assert client.get(f"/api/v1/episodes/{not_placed.pk}/").status_code in (403, 404)
    page = signed_in(staff).get(reverse("web:provider_placement", args=[at_b.pk]))
    assert page.status_code == 404
    # Reading a placement is audited as a read of the course.
    client.get(f"/api/v1/placements/{placement.pk}/")
    assert AuditEntry.objects.filter(user=staff, action="view").exists()


def test_a_withdrawn_consent_hides_the_person_from_the_provider(cast, api, world):
    _ids, _key, placement, _at_b, _np = world
    Consent.objects.filter(referral=placement.episode.referral, scope="share_with_partner").update(
        withdrawn_on=timezone.localdate()
    )
    staff = api(cast.roles["gym_a"])
    assert staff.get(f"/api/v1/placements/{placement.pk}/").status_code == 404
    assert api(cast.coordinator_a).get(f"/api/v1/placements/{placement.pk}/").status_code == 200


def test_a_provider_key_writes_only_for_its_own_placements(cast, world):
    from rest_framework.test import APIClient

    ids, key, placement, at_b, _np = world
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Provider {key}")
    day = str(timezone.localdate() - dt.timedelta(days=1))
    body = {"visit_id": "K-1", "placement": placement.pk, "date": day, "minutes": 50}
    made = client.post("/api/v1/provider/visits/", body, format="json")
    assert made.status_code == 201, made.content
    assert client.post("/api/v1/provider/visits/", body, format="json").status_code == 200
    elsewhere = client.post(
        "/api/v1/provider/visits/", {**body, "visit_id": "K-2", "placement": at_b.pk}, format="json"
    )
    assert elsewhere.status_code == 404
    outside = client.post(
        "/api/v1/provider/visits/",
        {**body, "visit_id": "K-3", "date": str(placement.starts_on - dt.timedelta(days=1))},
        format="json",
    )
    assert outside.status_code == 400 and "outside" in str(outside.json())
    listed = client.get("/api/v1/provider/placements/").json()
    assert [p["id"] for p in listed] == [placement.pk]
    bad_file = client.post(
        "/api/v1/provider/visits/import",
        {"csv": f"visit_id,placement,date,minutes\nK-9,{at_b.pk},{day},60\n"},
        format="json",
    )
    assert bad_file.status_code == 400 and bad_file.json()["errors"][0]["row"] == 2
    assert ProviderVisit.objects.filter(provider_id=at_b.provider_id).count() == 0
    # Unknown or revoked keys: 401.
    client.credentials(HTTP_AUTHORIZATION="Provider nope")
    assert client.get("/api/v1/provider/placements/").status_code == 401


def test_a_coordinator_places_a_course_through_the_api_and_the_gym_answers(cast, api, world):
    ids, *_ = world
    episode_id = ids["episode"]
    body = {
        "episode": episode_id,
        "provider": ids["gym"],
        "activity": "Gåtrening",
        "starts_on": str(timezone.localdate()),
        "ends_on": str(timezone.localdate() + dt.timedelta(weeks=12)),
    }
    assert api(cast.referrer_a).post("/api/v1/placements/", body, format="json").status_code == 403
    assert (
        api(cast.coordinator_b).post("/api/v1/placements/", body, format="json").status_code == 400
    )
    made = api(cast.coordinator_a).post("/api/v1/placements/", body, format="json")
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    gym_b = api(cast.roles["gym_b"])
    assert (
        gym_b.post(f"/api/v1/placements/{pk}/answer/", {"accept": True, "version": 1}).status_code
        == 404
    )
    gym_a = api(cast.roles["gym_a"])
    no_reason = gym_a.post(f"/api/v1/placements/{pk}/answer/", {"accept": False, "version": 1})
    assert no_reason.status_code == 400
    stale = gym_a.post(f"/api/v1/placements/{pk}/answer/", {"accept": True, "version": 9})
    assert stale.status_code == 409
    done = gym_a.post(
        f"/api/v1/placements/{pk}/answer/",
        {"accept": False, "reason": "Ingen ledige plasser", "version": 1},
    )
    assert done.status_code == 200 and done.json()["status"] == "declined"


def test_the_gym_stops_seeing_the_person_when_the_course_ends(cast, api, world):
    """Ending the course shortens the accepted placement to the end day; the placement stays
    accepted (late visits within the period may still be reported by the provider's key), but
    the staff's view of the person ends with the course — page, API, visits and the key's
    list — while the municipality still sees it all."""
    from kobling.referrals import episodes

    ids, key, placement, _at_b, _np = world
    staff = api(cast.roles["gym_a"])
    assert staff.get(f"/api/v1/placements/{placement.pk}/").status_code == 200
    # Ended in the past but registered today: the shortened period is already over; ended today
    # would leave it running to tonight — either way the person must go now.
    episodes.episode_end(
        episode=placement.episode,
        by=cast.coordinator_a,
        ended_on=timezone.localdate(),
        end_reason="goal_reached",
    )
    placement.refresh_from_db()
    assert placement.status == "accepted" and placement.ends_on == timezone.localdate()
    assert staff.get(f"/api/v1/placements/{placement.pk}/").status_code == 404
    assert placement.pk not in [p["id"] for p in staff.get("/api/v1/placements/").json()["results"]]
    assert staff.get(f"/api/v1/provider-visits/{ids['visit']}/").status_code == 404
    page = signed_in(cast.roles["gym_a"]).get(
        reverse("web:provider_placement", args=[placement.pk])
    )
    assert page.status_code == 404
    assert (
        placement.episode.participant.first_name
        not in signed_in(cast.roles["gym_a"]).get(reverse("web:provider_phone")).content.decode()
    )
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Provider {key}")
    assert client.get("/api/v1/provider/placements/").json() == []
    coordinator = api(cast.coordinator_a)
    assert coordinator.get(f"/api/v1/placements/{placement.pk}/").status_code == 200
