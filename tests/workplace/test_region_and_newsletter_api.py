"""IA figures across the health region (others under the small-cell rule) and the newsletter's
API with the coaches' supervision and pool."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kobling.support.services import pool_share_out, session_record
from kobling.tenancy.models import Region
from kobling.workplace import ia
from tests import factories as f
from tests.conftest import signed_in
from tests.workplace.conftest import coach

pytestmark = pytest.mark.django_db

FIGURES = {
    "active_sick_leave": 40,
    "graded_sick_leave": 30,
    "vocational_rehabilitation": 12,
    "grants_applied": 9,
    "grants_approved": 6,
    "grants_rejected": 2,
}


def _save(by, municipality, **values):  # noqa: ANN001, ANN003, ANN202
    return ia.figures_save(
        by=by, municipality=municipality, values={"year": 2025, "quarter": 1, **FIGURES, **values}
    )


@pytest.fixture
def region(cast, hefa):
    region = Region.objects.create(code="HV", name="Helse Vest")
    c = f.MunicipalityFactory(code="9103", name="Cstad")
    d = f.MunicipalityFactory(code="9104", name="Dvik")
    for m in (cast.a, cast.b, c, d):
        m.region = region
        m.save(update_fields=["region"])
    admin_c = f.member(f.UserFactory(), c, "municipal_admin")
    admin_d = f.member(f.UserFactory(), d, "municipal_admin")
    _save(hefa.adviser_a, cast.a, active_sick_leave=3)  # own: shown as it is
    _save(hefa.adviser_b, cast.b, active_sick_leave=2)  # another's small cell
    _save(admin_c, c, active_sick_leave=20)
    _save(admin_d, d, active_sick_leave=30)
    return region


def test_the_region_shows_others_under_the_small_cell_rule_and_own_as_is(cast, hefa, api, region):
    body = api(hefa.adviser_a).get("/api/v1/ia-figures/region/").json()
    assert body["region"]["code"] == "HV" and body["quarters"] == ["2025-1"]
    cells = {m["name"]: m["values"][0] for m in body["municipalities"]}
    assert cells[cast.a.name] == 3  # own
    assert cells[cast.b.name] == "<5"  # 2 persons
    # Complementary: the smallest other shown cell is hidden too, so B cannot be subtracted.
    assert cells["Cstad"] == "<5" and cells["Dvik"] == 30
    assert body["totals"] == [55]
    # Seen from B the other way round.
    cells_b = {
        m["name"]: m["values"][0]
        for m in api(hefa.adviser_b).get("/api/v1/ia-figures/region/").json()["municipalities"]
    }
    assert cells_b[cast.b.name] == 2 and cells_b[cast.a.name] == "<5"
    page = signed_in(hefa.adviser_a).get("/arbeidsplass/ia-tall/region/").content.decode()
    assert "Dvik" in page and "&lt;5" in page and "<svg" in page
    assert api(hefa.adviser_a).get("/api/v1/ia-figures/region/?measure=nope").status_code == 400
    assert api(hefa.adviser_a).get("/api/v1/ia-figures/region/?region=999").status_code == 404


def test_a_lone_hidden_cell_hides_the_total(cast, hefa, api):
    region = Region.objects.create(code="HN", name="Helse Nord")
    for m in (cast.a, cast.b):
        m.region = region
        m.save(update_fields=["region"])
    _save(hefa.adviser_a, cast.a, active_sick_leave=10)
    _save(hefa.adviser_b, cast.b, active_sick_leave=2)
    body = api(hefa.adviser_a).get("/api/v1/ia-figures/region/").json()
    assert [m["values"][0] for m in body["municipalities"]] == [10, "<5"]
    assert body["totals"] == ["<5"]  # 12 − 10 would give B away


def test_without_a_region_the_page_says_so_and_the_api_is_404(hefa, api):
    page = signed_in(hefa.adviser_a).get("/arbeidsplass/ia-tall/region/")
    assert page.status_code == 200 and page.context["figures"] is None
    assert api(hefa.adviser_a).get("/api/v1/ia-figures/region/").status_code == 404


def test_the_newsletter_api_has_the_months_data_and_the_coaches_supervision(cast, hefa, api):
    today = timezone.localdate()
    last_year = today.year - 1
    coaches = [hefa.coach_a, hefa.coach_a2] + [
        coach(hefa.programme, first_name=f"C{n}", last_name="Coach") for n in range(4)
    ]
    for n, helper in enumerate(coaches):
        session_record(
            helper=helper,
            by=cast.coordinator_a,
            date=dt.date(last_year, 3, 1),
            hours=Decimal(1 + n % 3),
        )
    run = pool_share_out(
        programme=hefa.programme, year=last_year, by=cast.coordinator_a, on=dt.date(last_year, 9, 1)
    )
    body = api(hefa.adviser_a).get(f"/api/v1/workplace-newsletter/?month={last_year}-09").json()
    assert body["month"] == f"{last_year}-09"
    s = body["supervision"]
    assert s["month_hours"] == 0 and s["year_hours"] == 12.0 and s["year_coaches"] == 6
    assert s["pool_returned_hours"] == float(run.returned_hours) and s["pool_returned_by"] == 6
    assert s["pool_shared_hours"] == float(run.shared_hours)
    march = api(hefa.adviser_a).get(f"/api/v1/workplace-newsletter/?month={last_year}-03").json()
    assert march["supervision"]["month_hours"] == 12.0
    # The same figures on the page.
    page = signed_in(hefa.adviser_a).get(f"/arbeidsplass/nyhetsbrev/?month={last_year}-09")
    assert page.context["letter"].supervision.year_hours == Decimal(12)
    # Fewer than five coaches: hours are hidden with their count.
    session_record(
        helper=hefa.coach_a, by=cast.coordinator_a, date=today.replace(day=1), hours=Decimal(2)
    )
    now = api(hefa.adviser_a).get(f"/api/v1/workplace-newsletter/?month={today:%Y-%m}").json()
    assert now["supervision"]["month_hours"] == "<5" and now["supervision"]["month_coaches"] == "<5"
    assert api(hefa.adviser_a).get("/api/v1/workplace-newsletter/?month=13-2025").status_code == 400
    assert (
        api(hefa.adviser_a)
        .get(f"/api/v1/workplace-newsletter/?municipality={cast.b.pk}")
        .status_code
        == 404
    )
    assert api(hefa.coach_user_a).get("/api/v1/workplace-newsletter/").status_code == 403
