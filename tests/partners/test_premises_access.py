"""Every premises, booking, key-log, incident and meeting endpoint and page × every role of the
cast; the organisation's own pages are reached through its sign-in only
(tests/partners/test_organisation_pages.py); fixed query counts on the lists.

Decisions recorded here:

* Premises, bookings, the key log, incident notes and meetings belong to the municipality's
  managers (municipal admins and coordinators). Referrers, training contacts, course providers
  and the national analyst: 403. Another municipality's coordinator: 404 on A's records, an
  empty list on the lists.
* An organisation sees only its own bookings, key-log lines about it and meetings it is invited
  to (its pages, through the e-mailed sign-in); others' bookings show only as "busy"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.partners import services
from tests.conftest import signed_in
from tests.partners.builders import partner
from tests.partners.premises_builders import at, book, premises

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


MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_A = matrix(200, 200, 403, 403, 404, 403, 403)
POSTED_A = matrix(302, 302, 403, 403, 404, 403, 403)

READS = {
    "/api/v1/premises/": MANAGERS,
    "/api/v1/premises/{premises}/": MANAGERS_A,
    "/api/v1/premises-bookings/": MANAGERS,
    "/api/v1/premises-bookings/{booking}/": MANAGERS_A,
    "/api/v1/premises-key-log/": MANAGERS,
    "/api/v1/premises-key-log/{key}/": MANAGERS_A,
    "/api/v1/premises-incidents/": MANAGERS,
    "/api/v1/premises-incidents/{incident}/": MANAGERS_A,
    "/api/v1/partner-meetings/": MANAGERS,
    "/api/v1/partner-meetings/{meeting}/": MANAGERS_A,
}

# Web URL name → (the ids it takes, method, expected per role).
PAGES = {
    "premises_list": ((), "get", MANAGERS),
    "premises_create": ((), "get", MANAGERS),
    "premises_detail": (("premises",), "get", MANAGERS_A),
    "premises_edit": (("premises",), "get", MANAGERS_A),
    "premises_book": (("premises",), "get", matrix(302, 302, 403, 403, 404, 403, 403)),
    "premises_booking_cancel": (("premises", "booking"), "post", POSTED_A),
    "premises_key_log_add": (("premises",), "post", matrix(400, 400, 403, 403, 404, 403, 403)),
    "premises_incident_add": (("premises",), "post", matrix(400, 400, 403, 403, 404, 403, 403)),
    "meeting_list": ((), "get", MANAGERS),
    "meeting_create": ((), "get", MANAGERS),
    "meeting_detail": (("meeting",), "get", MANAGERS_A),
    "meeting_edit": (("meeting",), "get", MANAGERS_A),
    "meeting_invite": (("meeting",), "post", POSTED_A),
    "meeting_attendance": (("meeting",), "post", POSTED_A),
}
# The organisation's pages (its contact person's e-mailed sign-in, no password account):
# tests/partners/test_organisation_pages.py.
PUBLIC = {"org_home", "org_premises", "org_booking_cancel", "org_meeting"}


@pytest.fixture
def ids(cast):
    hall = premises(cast.a, cast.coordinator_a)
    club = partner(cast.a, name="Aby LHL", kind="volunteer")
    booking = book(hall, cast.coordinator_a, partner=club)[0]
    key = services.key_log_record(
        premises=hall,
        by=cast.coordinator_a,
        key_label="Nøkkel 1",
        action="handed_out",
        partner=club,
        holder_name="Kari",
        happened_at=at(-1, 10),
    )
    incident = services.incident_record(
        premises=hall, by=cast.coordinator_a, description="Døra sto åpen", happened_at=at(-1, 23)
    )
    meeting = services.meeting_create(
        municipality=cast.a,
        by=cast.coordinator_a,
        data={
            "kind": "dialogue",
            "title": "Dialogmøte",
            "starts_at": at(9, 18),
            "ends_at": at(9, 20),
        },
    )
    return {
        "premises": hall.pk,
        "booking": booking.pk,
        "key": key.pk,
        "incident": incident.pk,
        "meeting": meeting.pk,
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_premises_read_endpoint_allows_or_denies_each_role(
    cast, api, ids, url, role, expected
):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:300])
    if expected == 200 and role == "coordinator_b" and "{" not in url:
        assert response.json()["results"] == []


def test_anonymous_callers_get_401_on_the_api(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_premises_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in(cast, ids, client):
    for name, (arg_names, _m, _pairs) in PAGES.items():
        response = client.get(reverse(f"web:{name}", args=[ids[a] for a in arg_names]))
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert "/konto/logg-inn/" in response["Location"], name


@pytest.mark.parametrize(("role", "expected"), matrix(201, 201, 403, 403, 400, 403, 403))
def test_only_the_municipalitys_managers_book_its_premises_in_the_api(
    cast, api, ids, role, expected
):
    response = api(cast.roles[role]).post(
        "/api/v1/premises-bookings/",
        {
            "premises": ids["premises"],
            "title": "Kurs",
            "starts_at": at(20, 10).isoformat(),
            "ends_at": at(20, 12).isoformat(),
        },
        format="json",
    )
    assert response.status_code == expected, response.content[:300]


def _fill(cast, n: int) -> None:
    hall = premises(cast.a, cast.coordinator_a, name=f"Hall {n}")
    club = partner(cast.a, name=f"Lag {n}", kind="volunteer")
    book(
        hall,
        cast.coordinator_a,
        days=1,
        start=8,
        end=9,
        partner=club,
        repeat_until=at(7 * n, 0).date(),
    )
    meeting = services.meeting_create(
        municipality=cast.a,
        by=cast.coordinator_a,
        data={
            "kind": "network",
            "title": f"Nettverk {n}",
            "starts_at": at(n, 18),
            "ends_at": at(n, 19),
        },
    )
    services.meeting_invite(meeting=meeting, by=cast.coordinator_a, partners=[club])
    for i in range(n):
        services.key_log_record(
            premises=hall,
            by=cast.coordinator_a,
            key_label=f"K{i}",
            action="handed_out",
            partner=club,
            holder_name="X",
            happened_at=at(-i - 1, 10),
        )


def _count(client, url) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("label", "url", "kind"),
    [
        ("api premises", "/api/v1/premises/?page_size=100", "api"),
        ("api bookings", "/api/v1/premises-bookings/?page_size=100", "api"),
        ("api key log", "/api/v1/premises-key-log/?page_size=100", "api"),
        ("api meetings", "/api/v1/partner-meetings/?page_size=100", "api"),
        ("page premises", "/lokaler/", "web"),
        ("page meetings", "/moter/", "web"),
        ("page calendar", "/lokaler/{first}/?visning=maaned", "web"),
    ],
)
def test_list_query_counts_do_not_grow_with_the_data(cast, api, label, url, kind):
    from kobling.partners.models import Premises

    _fill(cast, 2)
    first = Premises.objects.order_by("pk").first().pk
    client = api(cast.coordinator_a) if kind == "api" else signed_in(cast.coordinator_a)
    client.get(url.format(first=first))
    small = _count(client, url.format(first=first))
    _fill(cast, 5)
    hall = Premises.objects.get(pk=first)
    for day in range(2, 12):
        book(hall, cast.coordinator_a, days=day, start=12, end=13)
    big = _count(client, url.format(first=first))
    assert big == small, (label, small, big)
