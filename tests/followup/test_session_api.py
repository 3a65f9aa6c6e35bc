"""The sessions API: the list's shape per role (the referrer sees only id, date, minutes and
status), logging with 400 field errors and nothing saved, corrections (201, 409 when already
corrected), confirmation, audited reads, a fixed number of queries, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.followup.models import Session
from kobling.helpers.models import Activity
from kobling.tenancy.models import AuditEntry, User
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def day(n: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def pair(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, first_name="Per", referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    return s.active_pair(referral, helper)


def url(pair) -> str:
    return f"/api/v1/pairings/{pair.pk}/sessions/"


FULL = {
    "id",
    "pairing",
    "episode",
    "date",
    "start_time",
    "minutes",
    "status",
    "activity",
    "activity_name",
    "intensity",
    "borg",
    "cancelled_by",
    "with_notice",
    "note",
    "confirmed",
    "confirmed_at",
    "confirmed_via",
    "supersedes",
    "correction_reason",
    "logged_by",
    "logged_at",
}


def test_the_contact_logs_a_session_and_gets_it_back_in_full(cast, api, pair):
    walking = Activity.objects.get(code="walking")
    response = api(cast.contact_user_a).post(
        url(pair),
        {
            "date": day(1),
            "start_time": "17:00",
            "minutes": 70,
            "status": "held",
            "activity": walking.pk,
            "borg": 14,
            "note": "Bakkene",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) == FULL
    assert body["minutes"] == 70 and body["intensity"] == "moderate" and body["borg"] == 14
    assert body["activity_name"] and body["confirmed"] is False
    assert body["logged_by"] == cast.contact_user_a.username


def test_the_list_has_the_current_entries_newest_first_in_full_for_the_pair(cast, api, pair):
    old = s.log(pair, days_ago=3)
    fixed = api(cast.coordinator_a).post(
        f"/api/v1/sessions/{old.pk}/correct", {"reason": "90", "minutes": 90}, format="json"
    )
    assert fixed.status_code == 201
    s.log(pair, days_ago=1, status="no_show")
    for user in (cast.coordinator_a, cast.contact_user_a):
        rows = api(user).get(url(pair)).json()["results"]
        assert [(r["date"], r["status"], r["minutes"]) for r in rows] == [
            (day(1), "no_show", 60),
            (day(3), "held", 90),
        ]
        assert set(rows[0]) == FULL
        assert rows[1]["supersedes"] == old.pk


def test_the_referrer_sees_only_that_sessions_took_place(cast, api, pair):
    s.log(pair, days_ago=2, note="Vondt i kneet", borg=17)
    s.log(pair, days_ago=1, status="cancelled", cancelled_by="participant", with_notice=False)
    body = api(cast.referrer_a).get(url(pair)).json()
    assert body["count"] == 2
    assert [set(r) for r in body["results"]] == [{"id", "date", "minutes", "status"}] * 2
    assert "kneet" not in str(body)
    one = api(cast.referrer_a).get(f"/api/v1/sessions/{body['results'][0]['id']}/").json()
    assert set(one) == {"id", "date", "minutes", "status"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": day(-1)}, "date"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 601}, "minutes"),
        ({"borg": 4}, "borg"),
        ({"intensity": ""}, "intensity"),
        ({"status": "cancelled"}, "cancelled_by"),
        ({"status": "sometimes"}, "status"),
        ({"activity": 999999}, "activity"),
        ({"date": "yesterday"}, "date"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_nothing_is_saved(cast, api, pair, body, field):
    before = (Session.objects.count(), AuditEntry.objects.count())
    payload = {"date": day(1), "minutes": 60, "status": "held", "intensity": "light", **body}
    response = api(cast.contact_user_a).post(url(pair), payload, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert (Session.objects.count(), AuditEntry.objects.count()) == before


def test_overlapping_sessions_are_400_on_start_time(cast, api, pair):
    client = api(cast.contact_user_a)
    first = {"date": day(1), "start_time": "10:00", "minutes": 60, "status": "held"}
    first["intensity"] = "light"
    assert client.post(url(pair), first, format="json").status_code == 201
    again = client.post(url(pair), {**first, "start_time": "10:59"}, format="json")
    assert again.status_code == 400 and "start_time" in again.data
    assert Session.objects.count() == 1


def test_logging_on_an_ended_pairing_after_its_end_is_400(cast, api, pair):
    from kobling.followup.services import pairing_end

    pairing_end(
        pairing=pair,
        by=None,
        reason="moved",
        handover_destination="none",
        ended_on=timezone.localdate() - dt.timedelta(days=2),
    )
    payload = {"date": day(1), "minutes": 60, "status": "held", "intensity": "light"}
    response = api(cast.coordinator_a).post(url(pair), payload, format="json")
    assert response.status_code == 400 and "ended on" in response.data["date"][0]


def test_a_correction_keeps_what_is_not_sent_and_a_second_correction_of_the_same_is_409(
    cast, api, pair
):
    logged = s.log(pair, days_ago=2, minutes=60, start_time=dt.time(17, 0))
    client = api(cast.contact_user_a)
    response = client.post(
        f"/api/v1/sessions/{logged.pk}/correct", {"reason": "Kortere", "minutes": 40}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["minutes"], body["start_time"], body["intensity"]) == (40, "17:00:00", "moderate")
    again = client.post(
        f"/api/v1/sessions/{logged.pk}/correct", {"reason": "x", "minutes": 30}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    missing = client.post(f"/api/v1/sessions/{body['id']}/correct", {"minutes": 30}, format="json")
    assert missing.status_code == 400 and "reason" in missing.data


def test_withdrawing_a_session_takes_it_off_the_list(cast, api, pair):
    logged = s.log(pair, days_ago=2)
    response = api(cast.coordinator_a).post(
        f"/api/v1/sessions/{logged.pk}/correct", {"reason": "Feil par", "void": True}, format="json"
    )
    assert response.status_code == 201
    assert api(cast.coordinator_a).get(url(pair)).json()["count"] == 0


def test_confirming_in_person_is_idempotent(cast, api, pair):
    logged = s.log(pair, days_ago=1)
    client = api(cast.contact_user_a)
    first = client.post(f"/api/v1/sessions/{logged.pk}/confirm", format="json").json()
    second = client.post(f"/api/v1/sessions/{logged.pk}/confirm", format="json").json()
    assert first["confirmed"] and first["confirmed_via"] == "in_person"
    assert first["confirmed_at"] == second["confirmed_at"]
    cancelled = s.log(pair, days_ago=2, status="no_show")
    refused = client.post(f"/api/v1/sessions/{cancelled.pk}/confirm", format="json")
    assert refused.status_code == 400


def test_reading_the_list_and_one_session_is_audited(cast, api, pair):
    logged = s.log(pair, days_ago=1)
    api(cast.referrer_a).get(url(pair))
    entry = AuditEntry.objects.filter(action="view", object_type="followup.pairing").get()
    assert entry.user == cast.referrer_a and entry.changes == {"sessions": [logged.pk]}
    api(cast.coordinator_a).get(f"/api/v1/sessions/{logged.pk}/")
    assert AuditEntry.objects.filter(
        action="view", object_type="followup.session", object_id=str(logged.pk)
    ).exists()


@pytest.mark.parametrize("role", ["coordinator_a", "referrer_a"])
def test_the_list_runs_a_fixed_number_of_queries(cast, api, pair, role):
    def queries() -> int:
        client = api(User.objects.get(pk=cast.roles[role].pk))  # no cached roles
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(pair)).status_code == 200
        return len(captured)

    for n in range(2):
        s.log(pair, days_ago=n + 1)
    few = queries()
    for n in range(2, 20):
        s.log(pair, days_ago=n + 1)
    assert queries() == few


def test_the_schema_documents_the_session_endpoints_without_warnings():
    from django.core.management import call_command
    from drf_spectacular.generators import SchemaGenerator

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", "/dev/null"
    )
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths["/api/v1/pairings/{id}/sessions/"]) >= {"get", "post"}
    assert "post" in paths["/api/v1/sessions/{id}/correct/"]
    assert "post" in paths["/api/v1/sessions/{id}/confirm/"]
    assert "get" in paths["/api/v1/sessions/{id}/"]
    end = schema["components"]["schemas"]["EndRequestRequest"]
    assert "handover_destination" in end["required"]
