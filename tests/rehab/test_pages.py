"""The monitoring page and its CSV show the hand-computed figures; the import page saves all or
nothing; the public list of offers needs no sign-in and answers "how many offers for
claudication" by a query."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.rehab.models import Denominator
from kobling.rehab.services import offer_save
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.rehab.builders import build, hospital

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return build(cast)


def test_the_page_shows_the_units_own_rates_and_the_reference_line(cast, world):
    page = signed_in(world.h.clinician).get(
        reverse("web:rehab_participation"), {"diagnosis": "chd", "period": "2025Q1"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Haukeland sykehus" in html and "Haugesund" not in html
    assert "40.0" in html and "62.5" in html
    assert 'x1="60"' in html  # the 30 % line on a 200 px bar
    assert "Pasient" not in html  # no person on the page


def test_the_page_draws_participation_over_the_quarters_with_the_reference_line(cast, world):
    html = signed_in(cast.analyst).get(reverse("web:rehab_participation")).content.decode()
    figure = html[html.index('<figure class="k-figure" data-chart="trend">') :]
    figure = figure[: figure.index("</figure>")]
    assert "2025Q1" in figure and "2025Q2" in figure
    assert "Koronar" in figure or "Coronary" in figure
    assert "30 %" in figure  # the reference series, drawn as a line across the quarters
    assert figure.count("<polyline") >= 1


def test_the_page_says_what_is_wrong_with_a_filter(cast, world):
    page = signed_in(cast.analyst).get(reverse("web:rehab_participation"), {"period": "x"})
    assert page.status_code == 200 and "Give the period as a year" in page.content.decode()


def test_the_csv_has_the_api_rows_and_is_audited(cast, world):
    response = signed_in(cast.analyst).get(
        reverse("web:rehab_participation_csv"),
        {"diagnosis": "chd", "period": "2025Q1", "level": "national"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "level",
        "unit",
        "unit_name",
        "diagnosis",
        "period",
        "eligible",
        "started",
        "completed",
        "participation_rate",
        "completion_rate",
        "median_wait_days",
        "funnel_flag",
        *(f"followup_{m}_{p}" for m in (3, 6, 12) for p in ("due", "answered", "active")),
    ]
    # No follow-ups created yet (tests/rehab/test_followups.py has them).
    assert rows[1][3:] == ["chd", "2025Q1", "32", "11", "6", "34.4", "54.5", "21.0", ""] + ["0"] * 9
    unit_level = signed_in(cast.analyst).get(
        reverse("web:rehab_participation_csv"), {"diagnosis": "chd", "period": "2025Q1"}
    )
    assert "<5" in unit_level.content.decode()
    assert AuditEntry.objects.filter(user=cast.analyst, action="export").exists()


def test_the_page_reads_a_fixed_number_of_queries(cast, world):
    client = signed_in(cast.analyst)
    url = reverse("web:rehab_participation")
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    import datetime as dt

    from kobling.rehab.flow import Patient, record_course

    for i in range(3):
        record_course(
            programme=world.h2.programme,
            coordinator=world.h2.coordinator,
            clinician=world.h2.clinician,
            patient=Patient(f"Ekstra{i}", "X", dt.date(1955, 1, 1), "male", f"x{i}"),
            diagnosis="chd",
            icd10="I25",
            index_event="pci",
            index_date=dt.date(2025, 5, 1),
        )
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


def test_the_import_page_reports_rows_and_saves_all_or_nothing(cast, world):
    client = signed_in(world.h.coordinator)
    before = Denominator.objects.count()
    bad = client.post(
        reverse("web:rehab_denominator_import"),
        {
            "file": SimpleUploadedFile(
                "d.csv",
                b"unit;diagnosis;period;sex;age_band;eligible\nH001;chd;2026Q1;male;50-59;4\nH001;chd;2026Q1;male;50-59;x\n",
            )
        },
    )
    assert "whole number" in bad.content.decode() and Denominator.objects.count() == before
    good = client.post(
        reverse("web:rehab_denominator_import"),
        {
            "file": SimpleUploadedFile(
                "d.csv",
                b"unit;diagnosis;period;sex;age_band;eligible\nH001;chd;2026Q1;male;50-59;4\n",
            )
        },
    )
    assert good.status_code == 200 and Denominator.objects.count() == before + 1


def test_the_public_list_counts_the_offers_per_diagnosis_without_sign_in(cast):
    from kobling.tenancy.models import Region

    h = hospital("H001", "Haukeland sykehus", Region.objects.create(code="HV", name="Vest"))
    for n, county in enumerate(("46", "03", "50", "18")):
        offer_save(
            by=h.coordinator,
            municipality=h.unit,
            data={
                "name": f"Gåskole {n}",
                "serves_pad": True,
                "setting": "hospital_outpatient",
                "format": "group",
                "length_weeks": 12,
                "sessions_per_week": 3,
                "capacity": 8,
                "county_code": county,
            },
        )
    anonymous = Client()
    page = anonymous.get(reverse("web:rehab_public_offers"), {"diagnose": "pad"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("Gåskole") == 4 and "Hjertetrening" not in html
    assert "4 offers" in html
    oslo = anonymous.get(reverse("web:rehab_public_offers"), {"diagnose": "pad", "fylke": "03"})
    assert oslo.content.decode().count("Gåskole") == 1
