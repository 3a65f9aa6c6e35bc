"""Every workplace-coaching endpoint and page × every role of the cast and the coaching roles.

Decisions recorded here:

* The IA adviser and the programme's coordinators and admins see their municipality's
  workplaces, assignments and meetings; a coach only the assignments they are linked to; a
  leader only their own workplace's. Referrers, training contacts, the analyst and course
  providers: 403 up front. Another municipality's coordinator: 404 on A's rows, empty lists.
* Meeting notes go only to the assignment's coach and adviser: not to the leader, not to the
  coordinators. So only those two log the order, the meetings and the decision, and correct a
  meeting: a manager would write notes they cannot read, or overwrite them unseen.
* Reading an assignment or a meeting is audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.workplace.conftest import in_progress

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
    "adviser_a",
    "coach_a",
    "leader_a",
    "leader_a2",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


LISTS = matrix(200, 200, 403, 403, 200, 403, 403, 200, 200, 200, 200)
# Assignment A (workplace A, coach A): the other leader gets 404.
ROWS = matrix(200, 200, 403, 403, 404, 403, 403, 200, 200, 200, 404)
# Assignment A2 (coach A2, leader A2): coach A and leader A get 404.
OTHER_ROWS = matrix(200, 200, 403, 403, 404, 403, 403, 200, 404, 404, 200)

STAFF = matrix(200, 200, 403, 403, 200, 403, 403, 200, 403, 403, 403)
NETWORK = matrix(200, 200, 403, 403, 404, 403, 403, 200, 200, 200, 200)

READS = {
    "/api/v1/workplaces/": LISTS,
    "/api/v1/workplaces/{workplace}/": ROWS,
    "/api/v1/workplace-assignments/": LISTS,
    "/api/v1/workplace-assignments/{assignment}/": ROWS,
    "/api/v1/workplace-assignments/{assignment2}/": OTHER_ROWS,
    "/api/v1/workplace-assignments/{assignment}/scales/": ROWS,
    # The proposed coaches: only who may link (the municipality's staff); a coach or a leader
    # is refused up front.
    "/api/v1/workplace-assignments/{assignment}/proposals/": matrix(
        200, 200, 403, 403, 404, 403, 403, 200, 403, 403, 403
    ),
    "/api/v1/workplace-meetings/": LISTS,
    "/api/v1/workplace-meetings/{meeting}/": ROWS,
    # Network A: its members (both A leaders) and its facilitator (coach A) see it.
    "/api/v1/leader-networks/": LISTS,
    "/api/v1/leader-networks/{network}/": NETWORK,
    "/api/v1/leader-network-meetings/": LISTS,
    "/api/v1/leader-network-meetings/{network_meeting}/": NETWORK,
    # IA figures: the municipality's staff only.
    "/api/v1/ia-figures/": STAFF,
    # Across the region: the staff of a municipality placed in one (none here: 404 for all).
    "/api/v1/ia-figures/region/": matrix(404, 404, 403, 403, 404, 403, 403, 404, 403, 403, 403),
    # The month's newsletter: the municipality's staff.
    "/api/v1/workplace-newsletter/": STAFF,
}

PAGES = {
    "workplace_assignment_list": ((), "get", LISTS),
    "workplace_assignment_detail": (("assignment",), "get", ROWS),
    "workplace_minutes_pdf": (("assignment",), "get", ROWS),
    # Logging a meeting: the assignment's coach and adviser, who alone read the notes; not the
    # programme's other managers (they would write notes they cannot read), never the leader.
    "workplace_meeting_new": (
        ("assignment",),
        "get",
        matrix(403, 403, 403, 403, 404, 403, 403, 200, 200, 403, 403),
    ),
    "workplace_create": ((), "get", matrix(200, 200, 403, 403, 200, 403, 403, 200, 403, 403, 403)),
    # Asking for a coach: staff and leaders.
    "workplace_assignment_create": (
        (),
        "get",
        matrix(200, 200, 403, 403, 200, 403, 403, 200, 403, 200, 200),
    ),
    "workplace_network_list": ((), "get", LISTS),
    "workplace_ia_figures": ((), "get", STAFF),
    "workplace_newsletter": ((), "get", STAFF),
    "workplace_ia_region": ((), "get", STAFF),
    "workplace_network_create": (
        (),
        "get",
        matrix(200, 200, 403, 403, 200, 403, 403, 200, 403, 403, 403),
    ),
    "workplace_network_detail": (("network",), "get", NETWORK),
    # Recording: the facilitators and the staff; members see, do not record (403).
    "workplace_network_meeting": (
        ("network_meeting",),
        "get",
        matrix(200, 200, 403, 403, 404, 403, 403, 200, 200, 403, 403),
    ),
}


@pytest.fixture
def ids(hefa, network):
    return {
        "network": network.pk,
        "network_meeting": network.meetings.first().pk,
        "workplace": hefa.workplace_a.pk,
        "assignment": hefa.assignment_a.pk,
        "assignment2": hefa.assignment_a2.pk,
        "meeting": hefa.meeting_a.pk,
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_workplace_endpoint_allows_or_denies_each_role(hefa, api, ids, url, role, expected):
    response = api(hefa.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:200])
    if expected == 200 and role == "coordinator_b" and "newsletter" in url:
        assert response.json()["municipality"]["id"] == hefa.workplace_b.municipality_id
    elif expected == 200 and role == "coordinator_b" and "{" not in url:
        rows = response.json()["results"]
        if "network" in url or "ia-figures" in url:
            assert rows == []
        elif "meetings" in url:
            assert {r["assignment"] for r in rows} == {hefa.assignment_b.pk}
        else:
            assert {r["municipality"] for r in rows} == {hefa.workplace_b.municipality_id}


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_workplace_page_allows_or_denies_each_role(hefa, ids, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(hefa.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("adviser_a", {"assignment_a", "assignment_a2"}),
        ("coordinator_a", {"assignment_a", "assignment_a2"}),
        ("coach_a", {"assignment_a"}),
        ("leader_a", {"assignment_a"}),
        ("leader_a2", {"assignment_a2"}),
        ("coordinator_b", {"assignment_b"}),
    ],
)
def test_each_list_holds_only_what_the_role_may_see(hefa, api, role, expected):
    wanted = {getattr(hefa, name).pk for name in expected}
    rows = api(hefa.roles[role]).get("/api/v1/workplace-assignments/").json()["results"]
    assert {r["id"] for r in rows} == wanted
    meetings = api(hefa.roles[role]).get("/api/v1/workplace-meetings/").json()["results"]
    assert {m["assignment"] for m in meetings} == wanted


def test_the_leader_never_sees_the_notes_and_the_coach_does(cast, hefa, api, ids):
    url = f"/api/v1/workplace-meetings/{ids['meeting']}/"
    for role in ("leader_a", "coordinator_a", "admin_a"):
        body = api(hefa.roles[role]).get(url).json()
        assert "notes" not in body and body["scale"] == "4–5", role
        page = signed_in(hefa.roles[role]).get(f"/arbeidsplass/oppdrag/{ids['assignment']}/")
        assert "Fortrolig notat" not in page.content.decode(), role
    for role in ("coach_a", "adviser_a"):
        assert api(hefa.roles[role]).get(url).json()["notes"] == "Fortrolig notat"
        page = signed_in(hefa.roles[role]).get(f"/arbeidsplass/oppdrag/{ids['assignment']}/")
        assert "Fortrolig notat" in page.content.decode(), role
    pdf = signed_in(hefa.coach_user_a).get(f"/arbeidsplass/oppdrag/{ids['assignment']}/referat.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_reading_an_assignment_is_audited(hefa, api, ids):
    before = AuditEntry.objects.filter(action="view").count()
    api(hefa.leader_a).get(f"/api/v1/workplace-assignments/{ids['assignment']}/")
    signed_in(hefa.coach_user_a).get(f"/arbeidsplass/oppdrag/{ids['assignment']}/")
    entry = AuditEntry.objects.filter(action="view").order_by("-pk")[:2]
    assert AuditEntry.objects.filter(action="view").count() == before + 2
    assert {e.object_id for e in entry} == {str(ids["assignment"])}


def test_the_list_page_and_api_do_not_grow_queries_with_data(hefa, api):
    client = signed_in(hefa.adviser_a)
    rest = api(hefa.adviser_a)

    def count(call):  # noqa: ANN001, ANN202
        with CaptureQueriesContext(connection) as queries:
            assert call().status_code == 200
        return len(queries)

    page = count(lambda: client.get("/arbeidsplass/"))
    listed = count(lambda: rest.get("/api/v1/workplace-assignments/"))
    meetings = count(lambda: rest.get("/api/v1/workplace-meetings/"))
    for _ in range(3):
        in_progress(adviser=hefa.adviser_a, coach_helper=hefa.coach_a2, workplace=hefa.workplace_a)
        hefa.coach_a2.capacity += 1
        hefa.coach_a2.save()
    assert count(lambda: client.get("/arbeidsplass/")) == page
    assert count(lambda: rest.get("/api/v1/workplace-assignments/")) == listed
    assert count(lambda: rest.get("/api/v1/workplace-meetings/")) == meetings


def test_a_manager_who_is_not_the_adviser_cannot_write_or_overwrite_the_notes(cast, hefa, api, ids):
    """The notes are the coach's and the adviser's: a coordinator or an administrator who cannot
    read them cannot log a meeting or correct one (its notes included), and cannot make the
    order or the decision; the adviser can."""
    url = f"/api/v1/workplace-meetings/{ids['meeting']}/"
    version = api(hefa.adviser_a).get(url).json()["version"]
    change = {"notes": "Overskrevet", "version": version}
    new = {
        "assignment": ids["assignment"],
        "held_on": "2026-01-05",
        "participants": "Leder",
        "scale_low": 5,
    }
    for role in ("coordinator_a", "admin_a"):
        client = api(hefa.roles[role])
        assert client.patch(url, change, format="json").status_code == 403, role
        refused = client.post("/api/v1/workplace-meetings/", new, format="json")
        assert refused.status_code == 403 and "coach or adviser" in refused.json()["detail"], role
        assignment = f"/api/v1/workplace-assignments/{ids['assignment']}/"
        assert client.post(f"{assignment}decide/", {"decision": "continue"}).status_code == 403
        page = signed_in(hefa.roles[role]).get(f"/arbeidsplass/oppdrag/{ids['assignment']}/")
        assert f"/arbeidsplass/oppdrag/{ids['assignment']}/mote/" not in page.content.decode()
    assert api(hefa.adviser_a).get(url).json()["notes"] == "Fortrolig notat"
    done = api(hefa.adviser_a).patch(url, change, format="json")
    assert done.status_code == 200 and done.json()["notes"] == "Overskrevet"
