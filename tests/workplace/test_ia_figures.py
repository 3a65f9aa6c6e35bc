"""IA statistics: a quarter typed or a CSV file imported all or nothing with a report per line;
the page's table and chart; the API; only the municipality's staff."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kobling.workplace import ia
from kobling.workplace.models import IAFigures
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

HEADER = "year;quarter;active_sick_leave;graded_sick_leave;vocational_rehabilitation;grants_applied;grants_approved;grants_rejected\n"


def test_an_import_with_one_bad_line_saves_nothing_and_says_where(cast, hefa):
    content = (
        HEADER
        + "2025;1;40;31;12;9;6;2\n2025;5;40;31;12;9;6;2\n2025;2;x;31;12;9;6;2\n2025;3;40;31;12;3;3;2\n"
    ).encode()
    report = ia.figures_import(by=hefa.adviser_a, municipality=cast.a, content=content)
    assert not report.ok and report.saved == 0
    lines = dict(report.rows)
    assert lines[2] == "ok" and "quarter" in lines[3] and "active_sick_leave" in lines[4]
    assert "exceed" in lines[5]
    assert not IAFigures.objects.exists()


def test_a_good_import_saves_every_quarter_and_replaces_one_typed_before(cast, hefa):
    ia.figures_save(
        by=hefa.adviser_a,
        municipality=cast.a,
        values={
            "year": 2025,
            "quarter": 1,
            "active_sick_leave": 1,
            "graded_sick_leave": 1,
            "vocational_rehabilitation": 1,
            "grants_applied": 1,
            "grants_approved": 0,
            "grants_rejected": 0,
        },
    )
    content = (HEADER + "2025;1;40;31;12;9;6;2\n2025;2;44;30;11;8;5;3\n").encode("utf-8")
    client = signed_in(hefa.adviser_a)
    response = client.post(
        "/arbeidsplass/ia-tall/",
        {"step": "import", "file": SimpleUploadedFile("ia.csv", content, "text/csv")},
    )
    assert response.status_code == 302
    first = IAFigures.objects.get(municipality=cast.a, year=2025, quarter=1)
    assert (first.active_sick_leave, first.version, first.source) == (40, 2, "import")
    page = client.get("/arbeidsplass/ia-tall/").content.decode()
    assert "<svg" in page and "2025-2" in page and "44" in page
    bad = client.post(
        "/arbeidsplass/ia-tall/",
        {
            "step": "import",
            "file": SimpleUploadedFile("ia.csv", (HEADER + "2025;3;a;1;1;1;1;1\n").encode()),
        },
    )
    assert bad.status_code == 200 and "Line 2" in bad.content.decode()


def test_the_figures_belong_to_the_municipalitys_staff(cast, hefa, api):
    body = {
        "municipality": cast.a.pk,
        "year": 2025,
        "quarter": 4,
        "active_sick_leave": 40,
        "graded_sick_leave": 31,
        "vocational_rehabilitation": 12,
        "grants_applied": 9,
        "grants_approved": 6,
        "grants_rejected": 2,
    }
    assert api(hefa.adviser_a).post("/api/v1/ia-figures/", body, format="json").status_code == 201
    assert api(hefa.adviser_b).post("/api/v1/ia-figures/", body, format="json").status_code == 403
    assert api(hefa.coach_user_a).get("/api/v1/ia-figures/").status_code == 403
    assert api(hefa.adviser_b).get("/api/v1/ia-figures/").json()["results"] == []
    again = api(hefa.adviser_a).post(
        "/api/v1/ia-figures/", {**body, "active_sick_leave": 41}, format="json"
    )
    assert again.status_code == 201 and again.json()["version"] == 2
    assert signed_in(hefa.leader_a).get("/arbeidsplass/ia-tall/").status_code == 403
