"""Every group endpoint × every role of the cast, and the API's writes end to end.

Decisions recorded here:

* Group offers, meetings and enrolments belong to the municipality's managers; a group's leaders
  (helpers signing in with the helpers' role) see their own groups, their meetings and who is
  enrolled, and record attendance — nothing else. Referrers, the analyst and course providers:
  403 up front. Another municipality's coordinator: 404 on A's rows, empty lists.
* Reading a meeting's list of names is audited as a read of those courses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.tenancy.models import AuditEntry
from tests.groups.test_groups import course, leader, make_offer

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


LISTS = matrix(200, 200, 403, 200, 200, 403, 403)
ROWS = matrix(200, 200, 403, 200, 404, 403, 403)

READS = {
    "/api/v1/group-offers/": LISTS,
    "/api/v1/group-offers/{offer}/": ROWS,
    "/api/v1/meetings/": LISTS,
    "/api/v1/meetings/{meeting}/": ROWS,
    "/api/v1/meetings/{meeting}/attendance/": ROWS,
    "/api/v1/group-enrolments/": LISTS,
    "/api/v1/group-enrolments/{enrolment}/": ROWS,
}

# Web URL name → (the ids it takes, method, expected per role).
PAGES = {
    "group_offer_list": ((), "get", LISTS),
    "group_offer_create": ((), "get", matrix(200, 200, 403, 403, 200, 403, 403)),
    "group_offer_detail": (("offer",), "get", ROWS),
    "group_offer_edit": (("offer",), "get", matrix(200, 200, 403, 403, 404, 403, 403)),
    "group_offer_enrol": (("offer",), "post", matrix(302, 302, 403, 403, 404, 403, 403)),
    "group_meeting_attendance": (("meeting",), "get", ROWS),
    # Keeping a disputed entry: whoever records the meeting (an empty form: refused, shown).
    "group_meeting_dispute_keep": (("meeting",), "post", matrix(302, 302, 403, 302, 404, 403, 403)),
    # Naming a substitute is the coordinators'; the group's leader sees the meeting: 403.
    "group_meeting_substitute": (("meeting",), "get", matrix(200, 200, 403, 403, 404, 403, 403)),
    # Sending the participant card's link is the coordinators' (from the course's page).
    "group_card_send": (("episode",), "post", matrix(302, 302, 403, 403, 404, 403, 403)),
}
# The card and the attendance confirmation are reached from the e-mail without signing in, by
# their signed token (tests/groups/test_card.py, tests/groups/test_attendance_confirmation.py,
# and the token row below).
PUBLIC = {"group_card", "group_attendance_confirmation"}


@pytest.fixture
def ids(cast):
    offer = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)])
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    enrolment = services.enrolment_create(offer=offer, episode=course(cast), by=cast.coordinator_a)
    meeting = Meeting.objects.filter(offer=offer).first()
    return {
        "offer": offer.pk,
        "meeting": meeting.pk,
        "enrolment": enrolment.pk,
        "episode": enrolment.episode_id,
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_group_read_endpoint_allows_or_denies_each_role(cast, api, ids, url, role, expected):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:200])
    if expected == 200 and role == "coordinator_b" and url.endswith("/"):
        body = response.json()
        assert body.get("results", body) == []


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_group_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    from django.urls import reverse

    from tests.conftest import signed_in

    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_the_attendance_confirmation_page_opens_by_its_token_alone(cast, ids, role):
    """Token-based, like the session confirmation: whoever holds the live link sees the page,
    signed in or not, in whatever role; an unknown token is 404 for everyone."""
    from django.test import Client

    from kobling.core import outbox
    from kobling.groups import confirmations
    from kobling.groups.models import AttendanceConfirmationLink
    from kobling.referrals.models import Participant
    from tests.conftest import signed_in

    programme = cast.programme_a
    programme.attendance_confirmation_by_participant = True
    programme.save()
    Participant.objects.filter(episodes__pk=ids["episode"]).update(email="per@example.test")
    GroupEnrolment.objects.filter(pk=ids["enrolment"]).update(
        enrolled_on=timezone.localdate() - dt.timedelta(weeks=4)
    )
    meeting = Meeting.objects.filter(offer_id=ids["offer"], date__lt=timezone.localdate()).last()
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, came={ids["episode"]})
    link = AttendanceConfirmationLink.objects.get()
    _signed, token = outbox.link_issue(
        purpose=confirmations.PURPOSE,
        subject=confirmations.LINKS.subject(link),
        municipality_id=link.municipality_id,
        expires_at=link.expires_at,
    )
    client = Client() if role is None else signed_in(cast.roles[role])
    assert client.get(f"/bekreft-oppmote/{token}/").status_code == 200
    assert client.get(f"/bekreft-oppmote/{token[:-2]}xx/").status_code == 404


def test_a_coordinator_creates_an_offer_and_its_meetings_through_the_api(cast, api):
    guide = leader(cast)
    today = timezone.localdate()
    body = {
        "municipality": cast.a.pk,
        "programme": cast.programme_a.pk,
        "title": "Bassengtrening",
        "topic": "training",
        "leaders": [guide.pk],
        "place": "Svømmehallen",
        "term_start": str(today),
        "term_end": str(today + dt.timedelta(weeks=10)),
        "capacity": 12,
        "times": [{"weekday": 2, "start_time": "09:00", "minutes": 60}],
    }
    made = api(cast.coordinator_a).post("/api/v1/group-offers/", body, format="json")
    assert made.status_code == 201, made.content
    offer = made.json()
    assert offer["times"] == [{"weekday": 2, "start_time": "09:00:00", "minutes": 60}]
    assert (offer["enrolled"], offer["waiting"]) == (0, 0)
    meetings = api(cast.coordinator_a).post(
        f"/api/v1/group-offers/{offer['id']}/generate-meetings/", format="json"
    )
    assert meetings.status_code == 201 and len(meetings.json()) in (10, 11)
    # Another municipality cannot name A's programme or leader; a referrer cannot create.
    assert (
        api(cast.coordinator_b).post("/api/v1/group-offers/", body, format="json").status_code
        == 400
    )
    assert (
        api(cast.referrer_a).post("/api/v1/group-offers/", body, format="json").status_code == 403
    )
    bad = api(cast.coordinator_a).post(
        "/api/v1/group-offers/", {**body, "capacity": 0}, format="json"
    )
    assert bad.status_code == 400 and "capacity" in bad.json()


def test_the_leader_records_attendance_on_the_phone_api_and_stale_versions_are_refused(
    cast, api, ids
):
    GroupEnrolment.objects.filter(pk=ids["enrolment"]).update(
        enrolled_on=timezone.localdate() - dt.timedelta(weeks=4)
    )
    meeting = Meeting.objects.filter(offer_id=ids["offer"], date__lt=timezone.localdate()).last()
    enrolment = GroupEnrolment.objects.get(pk=ids["enrolment"])
    GroupEnrolment.objects.filter(pk=enrolment.pk).update(enrolled_on=meeting.date)
    url = f"/api/v1/meetings/{meeting.pk}/attendance/"
    roster = api(cast.contact_user_a).get(url).json()
    assert [(r["episode"], r["attended"]) for r in roster] == [(enrolment.episode_id, None)]
    body = {"came": [enrolment.episode_id], "intensity": "moderate", "version": meeting.version}
    done = api(cast.contact_user_a).post(url, body, format="json")
    assert done.status_code == 200, done.content
    assert done.json()[0]["attended"] is True
    stale = api(cast.contact_user_a).post(url, {**body, "came": []}, format="json")
    assert stale.status_code == 409
    assert api(cast.contact_user_a).post(url, {"came": []}, format="json").status_code == 400
    assert AuditEntry.objects.filter(
        user=cast.contact_user_a, object_type="referrals.episode", action="view"
    ).exists()
    # Cancelling is the coordinator's.
    later = Meeting.objects.filter(offer_id=ids["offer"], date__gt=timezone.localdate()).first()
    cancel = {"reason": "Stengt", "version": later.version}
    assert (
        api(cast.contact_user_a)
        .post(f"/api/v1/meetings/{later.pk}/cancel/", cancel, format="json")
        .status_code
        == 403
    )
    cancelled = api(cast.coordinator_a).post(
        f"/api/v1/meetings/{later.pk}/cancel/", cancel, format="json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_enrolment_and_leaving_through_the_api(cast, api, ids):
    other = course(cast, first_name="Per")
    made = api(cast.coordinator_a).post(
        "/api/v1/group-enrolments/", {"offer": ids["offer"], "episode": other.pk}, format="json"
    )
    assert made.status_code == 201 and made.json()["status"] == "enrolled"
    again = api(cast.coordinator_a).post(
        "/api/v1/group-enrolments/", {"offer": ids["offer"], "episode": other.pk}, format="json"
    )
    assert again.status_code == 400
    assert (
        api(cast.coordinator_b)
        .post(
            "/api/v1/group-enrolments/",
            {"offer": ids["offer"], "episode": other.pk},
            format="json",
        )
        .status_code
        == 400
    )
    row = made.json()
    left = api(cast.coordinator_a).post(
        f"/api/v1/group-enrolments/{row['id']}/leave/",
        {"reason": "Flyttet", "version": row["version"]},
        format="json",
    )
    assert left.status_code == 200 and left.json()["status"] == "left"


def test_the_lists_read_a_fixed_number_of_queries(cast, api, ids):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(cast.coordinator_a).get(url).status_code == 200
        return len(captured)

    urls = ["/api/v1/group-offers/", "/api/v1/meetings/", "/api/v1/group-enrolments/"]
    few = [count(u) for u in urls]
    for n in range(3):
        offer = make_offer(cast, title=f"Gruppe {n}")
        services.meetings_generate(offer=offer, by=cast.coordinator_a)
        services.enrolment_create(
            offer=offer, episode=course(cast, first_name=f"P{n}"), by=cast.coordinator_a
        )
    assert [count(u) for u in urls] == few
