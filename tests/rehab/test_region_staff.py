"""Region staff (``User.staff_region``): the participation report of their health region's
units, every figure under the small-cell rule (they are inside no unit), and nothing of any
person. Numbers from tests/rehab/builders.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kobling.rehab.services import denominators_import
from kobling.tenancy.models import Region
from tests import factories as f
from tests.conftest import signed_in
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db

URL = "/api/v1/rehab/participation/"


@pytest.fixture
def world(cast):
    world = build(cast)
    # A hospital in another health region, with its own eligible count.
    north = Region.objects.create(code="HN", name="Helse Nord")
    other = f.MunicipalityFactory(code="H003", name="Tromsø sykehus", kind="hospital")
    other.region = north
    other.save(update_fields=["region"])
    report = denominators_import(
        by=cast.analyst,
        data=b"unit;diagnosis;period;sex;age_band;eligible\nH003;chd;2025Q1;male;60-69;30\n",
    )
    assert report.ok, report.as_json()
    world.north_staff = f.UserFactory(username="region@hn.test", staff_region=north)
    return world


def _rows(api, user, **params):
    response = api(user).get(URL, {"diagnosis": "chd", "period": "2025Q1", **params})
    assert response.status_code == 200, response.content
    return {r["unit"] or r["unit_name"]: r for r in response.json()}


def test_region_staff_see_their_regions_units_suppressed(cast, api, world):
    rows = _rows(api, world.region_staff)
    assert set(rows) == {"H001", "H002"}  # not H003 of Helse Nord
    for unit in ("H001", "H002"):
        assert rows[unit]["started"] == "<5" and rows[unit]["completed"] == "<5"
        assert rows[unit]["participation_rate"] == "<5"
    assert rows["H001"]["eligible"] == 20 and rows["H002"]["eligible"] == 12
    # Exactly what the analyst sees of those units: nothing more.
    analyst = _rows(api, cast.analyst)
    assert {u: analyst[u] for u in ("H001", "H002")} == rows
    # The other region's staff see only H003.
    assert set(_rows(api, world.north_staff)) == {"H003"}


def test_region_staff_see_the_regions_and_the_nation_suppressed(cast, api, world):
    regions = _rows(api, world.region_staff, level="region")
    assert regions["HV"]["eligible"] == 32
    assert regions["HV"]["started"] == 11  # 11 started: shown (not a small cell)
    nation = _rows(api, world.region_staff, level="national")
    assert nation["Norge"]["eligible"] == 62


def test_region_staff_use_the_page_and_the_csv(cast, world):
    client = signed_in(world.region_staff)
    page = client.get(reverse("web:rehab_participation"), {"diagnosis": "chd", "period": "2025Q1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Haukeland sykehus" in text and "Tromsø sykehus" not in text
    csv = client.get(reverse("web:rehab_participation_csv"), {"period": "2025Q1"})
    assert csv.status_code == 200
    body = csv.content.decode()
    assert "H001" in body and "H003" not in body
    # The denominators' import is the units' and the analyst's.
    assert client.get(reverse("web:rehab_denominator_import")).status_code == 403


def test_region_staff_read_no_person(cast, api, world):
    client = api(world.region_staff)
    course = world.courses[0]
    assert client.get("/api/v1/rehab/courses/").status_code == 403
    assert client.get(f"/api/v1/rehab/courses/{course.pk}/").status_code == 403
    assert client.get(f"/api/v1/episodes/{course.episode_id}/").status_code in (403, 404)
    participant = course.episode.participant_id
    assert client.get(f"/api/v1/participants/{participant}/").status_code in (403, 404)
    assert client.get("/api/v1/participants/").status_code == 403


def test_a_user_without_a_region_or_unit_gets_403(cast, api, world):
    nobody = f.UserFactory(username="ingen@test")
    assert api(nobody).get(URL).status_code == 403


def test_region_staff_get_the_aggregate_extract_of_their_regions_units_only(cast, api, world):
    """The aggregate extract is for anyone monitoring: region staff get their region's units, as
    the analyst sees them (every count under the small-cell rule), and no other region's."""

    def units(user):
        response = api(user).get("/api/v1/rehab/extracts/hjerteinfarkt/aggregate/")
        assert response.status_code == 200, response.content
        return {(r["unit"], r["period"]): r for r in response.json()}

    analyst = units(cast.analyst)
    mine = units(world.region_staff)
    assert mine and {unit for unit, _period in mine} <= {"H001", "H002"}
    assert mine == {k: v for k, v in analyst.items() if k[0] in {"H001", "H002"}}
    assert not {unit for unit, _period in units(world.north_staff)} & {"H001", "H002"}
