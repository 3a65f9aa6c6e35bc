"""Scheme status per unit: from Kobling's own data for tenants that run the programme, else the
newest survey or manual observation on the date, else unknown; the selector the public-health
comparison calls; the table by unit type × status, the county map and the CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io as stdio
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.national import services
from kobling.national.models import SchemeStatus, Unit
from kobling.national.selectors import (
    county_shares,
    overview_table,
    scheme_status_map,
    unit_statuses,
)
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


def unit(code: str, name: str = "", kind: str = "municipality", **kw) -> Unit:
    kw.setdefault("valid_from", dt.date(2024, 1, 1))
    county = kw.pop("county_code", code[:2])
    return Unit.objects.create(kind=kind, code=code, name=name or code, county_code=county, **kw)


def record(u: Unit, state: str, as_of: dt.date, **kw) -> SchemeStatus:
    return services.scheme_status_record(unit=u, by=None, state=state, as_of=as_of, **kw)


def test_the_newest_observation_on_the_date_counts_and_unrecorded_units_are_unknown():
    a, b, c, d = unit("1101"), unit("1103"), unit("1106"), unit("1108")
    record(a, "active", dt.date(2024, 3, 1))
    record(a, "ended", dt.date(2025, 2, 1), ended_year=2025, ended_reason="economy")
    record(b, "never", dt.date(2024, 5, 1))
    record(c, "active", dt.date(2025, 7, 1))  # after the date: not yet known

    assert scheme_status_map(TODAY) == {"1101": False, "1103": False, "1106": None, "1108": None}
    assert scheme_status_map(dt.date(2024, 6, 1))["1101"] is True
    assert scheme_status_map(dt.date(2025, 8, 1))["1106"] is True
    by_code = {x.unit.code: x for x in unit_statuses(TODAY)}
    assert (by_code["1101"].state, by_code["1101"].ended_reason, by_code["1101"].source) == (
        "ended",
        "economy",
        "manual",
    )
    assert by_code["1108"].state == "unknown" and d.pk == by_code["1108"].unit.pk
    # Another programme kind is another question.
    assert scheme_status_map(TODAY, kind="frisklivsresept")["1101"] is None


def test_units_outside_their_validity_are_left_out():
    unit("1507", valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2024, 1, 1))
    unit("1508")
    assert set(scheme_status_map(dt.date(2023, 6, 1))) == {"1507"}
    assert set(scheme_status_map(TODAY)) == {"1508"}


def test_a_kobling_tenant_with_an_open_pairing_is_active_from_its_own_data(cast):
    a = unit(cast.a.code, "Aby")
    b = unit(cast.b.code, "Bestad")
    record(a, "never", dt.date(2024, 1, 2))
    record(b, "active", dt.date(2024, 1, 2))
    today = timezone.localdate()
    assert scheme_status_map(today) == {cast.a.code: False, cast.b.code: True}

    contact = s.contact(cast.programme_a)
    s.pairing(s.waiting(cast.programme_a), contact)

    got = {x.unit.code: x for x in unit_statuses(today)}
    assert (got[cast.a.code].state, got[cast.a.code].source) == ("active", "kobling")
    assert scheme_status_map(today)[cast.a.code] is True
    # Before the pairing existed, the recorded status still counts.
    assert scheme_status_map(today - dt.timedelta(days=2))[cast.a.code] is False
    # A programme that is switched off does not count.
    cast.programme_a.is_active = False
    cast.programme_a.save()
    assert scheme_status_map(today)[cast.a.code] is False


def test_a_tenant_running_a_group_programme_is_active_from_its_courses(cast):
    """A frisklivsresept delivered in groups has no pairs: a course started by the date and not
    ended before it makes the tenant active from its own data."""
    from kobling.referrals import episodes

    programme = cast.programme_a
    programme.kind, programme.delivery = "frisklivsresept", "group"
    programme.save(update_fields=["kind", "delivery"])
    unit(cast.a.code, "Aby")
    today = timezone.localdate()
    assert scheme_status_map(today, kind="frisklivsresept")[cast.a.code] is None
    referral = s.waiting(programme)
    course = episodes.episode_for_referral(referral)
    # Granted and waiting is not yet running.
    assert scheme_status_map(today, kind="frisklivsresept")[cast.a.code] is None
    episodes.episode_start(episode=course, by=None, started_on=today - dt.timedelta(days=30))
    assert scheme_status_map(today, kind="frisklivsresept")[cast.a.code] is True
    assert (
        scheme_status_map(today - dt.timedelta(days=31), kind="frisklivsresept")[cast.a.code]
        is None
    )
    # The treningskontakt question is another one.
    assert scheme_status_map(today)[cast.a.code] is None
    episodes.episode_end(
        episode=course,
        by=cast.coordinator_a,
        ended_on=today - dt.timedelta(days=10),
        end_reason="goal_reached",
    )
    assert scheme_status_map(today, kind="frisklivsresept")[cast.a.code] is None
    assert (
        scheme_status_map(today - dt.timedelta(days=20), kind="frisklivsresept")[cast.a.code]
        is True
    )


def test_an_end_year_and_reason_need_an_ended_scheme():
    u = unit("1101")
    with pytest.raises(ValidationError) as exc:
        record(u, "active", TODAY, ended_year=2020)
    assert "ended_year" in str(exc.value)
    with pytest.raises(ValidationError):
        record(u, "ended", TODAY, started_year=2020, ended_year=2019)
    with pytest.raises(ValidationError):
        record(unit("03", kind="county"), "active", TODAY)


def test_the_table_counts_units_by_type_and_status_with_percentages():
    for i, state in enumerate(["active", "active", "ended", "never"]):
        record(unit(f"11{i:02d}"), state, TODAY)
    unit("1199")  # unknown
    record(unit("030101", kind="district", county_code="03"), "active", TODAY)
    unit("IK11", kind="sports_council", county_code="11")

    table = {row["kind"]: row for row in overview_table(unit_statuses(TODAY))}
    cells = {c["state"]: (c["count"], c["percent"]) for c in table["municipality"]["cells"]}
    assert cells == {
        "active": (2, 40.0),
        "ended": (1, 20.0),
        "never": (1, 20.0),
        "unknown": (1, 20.0),
    }
    assert table["district"]["total"] == 1 and table["sports_council"]["cells"][3]["count"] == 1

    shares = {c["code"]: c for c in county_shares(unit_statuses(TODAY), TODAY)}
    assert len(shares) == 15
    assert (shares["11"]["active"], shares["11"]["total"], shares["11"]["share"]) == (2, 5, 40.0)
    assert shares["11"]["band"] == "b3"
    assert shares["50"]["share"] is None and shares["50"]["band"] == "none"


def test_the_overview_page_shows_the_table_and_an_inline_svg_map_without_inline_styles(cast, web):
    record(unit("1101"), "active", TODAY)
    unit("1103")
    page = web(cast.analyst).get(f"/nasjonalt/?dato={TODAY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and html.count("<rect") >= 15 + 6
    assert 'fill="#3182bd"' in html or 'fill="#08519c"' in html  # Rogaland at 50 %
    assert "style=" not in html and "<script>" not in html
    assert "50.0 %" in html


def test_the_csv_exports(cast, web):
    record(unit("1101", "Eigersund"), "ended", TODAY, ended_year=2024, ended_reason="redundant")
    client = web(cast.analyst)
    body = client.get(f"/nasjonalt/oversikt.csv?dato={TODAY}").content.decode("utf-8-sig")
    rows = list(csv.reader(stdio.StringIO(body), delimiter=";"))
    assert rows[0][0] == "unit_kind" and rows[1][:5] == ["municipality", "0", "0.0", "1", "100.0"]
    body = client.get(f"/nasjonalt/enheter.csv?dato={TODAY}").content.decode("utf-8-sig")
    rows = list(csv.reader(stdio.StringIO(body), delimiter=";"))
    assert rows[1][:6] == ["1101", "municipality", "Eigersund", "11", "ended", "manual"]
    assert rows[1][-2:] == ["2024", "redundant"]


def test_the_status_api_and_its_query_count_does_not_grow_with_units(cast, api):
    def count(n: int) -> int:
        Unit.objects.all().delete()
        for i in range(n):
            record(unit(f"{1100 + i}"), "active", TODAY)
        with CaptureQueriesContext(connection) as ctx:
            response = api(cast.analyst).get(f"/api/v1/national/status/?on_date={TODAY}")
        assert response.status_code == 200 and response.json()["count"] == n
        return len(ctx.captured_queries)

    assert count(2) == count(20)
    first = api(cast.analyst).get(f"/api/v1/national/status/?on_date={TODAY}").json()["results"][0]
    assert first["unit_code"] == "1100" and first["status"] == "active"
    assert api(cast.analyst).get("/api/v1/national/status/?on_date=x").status_code == 400
    assert api(cast.analyst).get("/api/v1/national/status/?unit_kind=x").status_code == 400


def test_the_pages_query_count_does_not_grow_with_units(cast, web):
    client = web(cast.analyst)

    def count(n: int, url: str) -> int:
        Unit.objects.all().delete()
        for i in range(n):
            record(unit(f"{1100 + i}"), "never", TODAY)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for url in (f"/nasjonalt/?dato={TODAY}", f"/nasjonalt/enheter/?dato={TODAY}"):
        assert count(2, url) == count(20, url), url


def test_the_unit_page_records_a_status_a_contact_and_a_call(cast, web):
    u = unit("1101", "Eigersund")
    client = web(cast.analyst)
    response = client.post(
        f"/nasjonalt/enheter/{u.pk}/status/",
        {
            "programme_kind": "treningskontakt",
            "state": "ended",
            "as_of": "2025-01-01",
            "ended_year": "2024",
            "ended_reason": "key_person_left",
        },
    )
    assert response.status_code == 302
    assert scheme_status_map(TODAY)["1101"] is False
    bad = client.post(
        f"/nasjonalt/enheter/{u.pk}/status/",
        {
            "programme_kind": "treningskontakt",
            "state": "active",
            "as_of": "2025-01-01",
            "ended_year": "2024",
        },
    )
    assert bad.status_code == 400
    client.post(
        f"/nasjonalt/enheter/{u.pk}/kontakt/",
        {"name": "Kari", "email": "kari@eigersund.example", "unit_email": "post@e.example"},
    )
    client.post(
        f"/nasjonalt/enheter/{u.pk}/samtaler/",
        {"called_on": "2025-01-02", "caller": "Meg", "outcome": "call_back"},
    )
    html = client.get(f"/nasjonalt/enheter/{u.pk}/").content.decode()
    assert "kari@eigersund.example" in html and "Call back later" in html
    assert re.search(r"Key person left", html)
    u.refresh_from_db()
    assert u.email == "post@e.example"
    future = client.post(
        f"/nasjonalt/enheter/{u.pk}/samtaler/",
        {"called_on": "2999-01-02", "caller": "Meg", "outcome": "call_back"},
    )
    assert future.status_code == 400
