"""The national unit register's health units (issue 13): health trusts, hospitals and
rehabilitation institutions with their health region, in the shipped snapshot and imported from
CSV all or nothing with a report per row — the same import as every other kind."""

from __future__ import annotations

import datetime as dt

import pytest

from kobling.national import io
from kobling.national.models import Unit, valid_on_q

pytestmark = pytest.mark.django_db

HEADER = '"code";"parentCode";"healthRegion";"name";"validFrom";"validTo"\n'


def test_the_snapshot_has_the_health_trusts_hospitals_and_institutions():
    counts = io.load_snapshot()
    assert counts["health_trust"] == {"created": 20}
    valid = Unit.objects.filter(valid_on_q(dt.date(2024, 6, 1)))
    trusts = valid.filter(kind="health_trust")
    by_region = {r: trusts.filter(health_region=r).count() for r in ("HSO", "HV", "HMN", "HN")}
    assert by_region == {"HSO": 9, "HV": 4, "HMN": 3, "HN": 4}
    assert valid.get(kind="health_trust", code="HF-BERGEN").county_code == "46"
    glittre = valid.get(kind="rehab_institution", code="RI-LHLGLIT")
    assert (glittre.name, glittre.health_region, glittre.county_code) == (
        "LHL-klinikkene Glittre",
        "HSO",
        "32",
    )
    assert valid.filter(kind="hospital").count() == 6
    # Every health unit has a region and a county that exists.
    counties = set(valid.filter(kind="county").values_list("code", flat=True))
    health = valid.filter(kind__in=["health_trust", "hospital", "rehab_institution"])
    assert all(u.health_region and u.county_code in counties for u in health)
    assert "snapshot" in glittre.source
    # Loading again changes nothing.
    assert io.load_snapshot()["rehab_institution"] == {"unchanged": 13}


def test_a_health_unit_import_with_a_bad_row_saves_nothing_and_names_each_row():
    data = (
        HEADER
        + '"RI-A";"46";"HV";"Alfa rehabilitering";"2024-01-01";""\n'
        + '"RI-B";"46";"HX";"Beta rehabilitering";"2024-01-01";""\n'
        + '"RI-C";"";"HN";"Gamma rehabilitering";"2024-01-01";""\n'
    ).encode()
    report = io.units_import(data=data, kind="rehab_institution", by=None)
    assert not report.ok and not report.saved
    assert not Unit.objects.filter(kind="rehab_institution").exists()
    bad = {r.line: r.errors for r in report.rows if r.errors}
    assert sorted(bad) == [3, 4]
    assert "health region" in bad[3][0] or "helseregion" in bad[3][0]
    good = data.replace(b'"HX"', b'"HMN"').replace(b'"";"HN"', b'"56";"HN"')
    report = io.units_import(data=good, kind="rehab_institution", by=None)
    assert report.ok and report.counts() == {"created": 3}
    assert Unit.objects.get(code="RI-B").health_region == "HMN"


def test_a_new_region_in_a_later_file_is_a_new_version():
    first = (HEADER + '"SH-X";"46";"HV";"Sykehus X";"2024-01-01";""\n').encode()
    later = (HEADER + '"SH-X";"50";"HMN";"Sykehus X";"2025-01-01";""\n').encode()
    assert io.units_import(data=first, kind="hospital", by=None).ok
    report = io.units_import(data=later, kind="hospital", by=None)
    assert report.counts() == {"renamed": 1}
    versions = list(Unit.objects.filter(code="SH-X").order_by("valid_from"))
    assert [(v.health_region, v.valid_to) for v in versions] == [
        ("HV", dt.date(2025, 1, 1)),
        ("HMN", None),
    ]


def test_the_analyst_corrects_a_health_units_region_on_its_page(cast):
    from django.urls import reverse

    from kobling.tenancy.models import AuditEntry
    from tests.conftest import signed_in

    io.load_snapshot()
    unit = Unit.objects.get(kind="rehab_institution", code="RI-HAUGL")
    page = signed_in(cast.analyst)
    listed = page.get(
        reverse("web:national_units"), {"type": "rehab_institution", "dato": "2024-06-01"}
    ).content.decode()
    assert "Hauglandsenteret" in listed and "Helse Vest" in listed
    assert reverse("web:national_unit_detail", args=[unit.pk]) in listed
    assert "Oslo" not in listed.split("<table")[1]  # only the institutions
    html = page.get(reverse("web:national_unit_detail", args=[unit.pk])).content.decode()
    assert reverse("web:national_unit_health", args=[unit.pk]) in html
    url = reverse("web:national_unit_health", args=[unit.pk])
    assert page.post(url, {"health_region": "HMN", "county_code": "50"}).status_code == 302
    unit.refresh_from_db()
    assert (unit.health_region, unit.county_code) == ("HMN", "50")
    assert AuditEntry.objects.filter(user=cast.analyst, object_type="national.unit").exists()
    # A bad region is an error on the form; a municipality has no region to set.
    assert page.post(url, {"health_region": "XX", "county_code": "50"}).status_code == 400
    oslo = Unit.objects.get(kind="municipality", code="0301")
    response = page.post(
        reverse("web:national_unit_health", args=[oslo.pk]),
        {"health_region": "HSO", "county_code": "03"},
    )
    assert response.status_code == 400
    oslo.refresh_from_db()
    assert oslo.health_region == ""
