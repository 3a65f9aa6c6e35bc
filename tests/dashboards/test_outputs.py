"""Every output of the dashboards — page, CSV, yearly PDF, API — shows the same suppressed
figures, reads only the aggregates, and stays within the strict CSP."""

import csv
import io
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.dashboards.refresh import refresh_municipality
from kobling.dashboards.selectors import build_report
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.dashboards.builders import build_year

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1
MALE = ["<5", "<5", "0", "0", "<5", ""]
FEMALE = ["<5", "<5", "6", "<5", "<5", "<5"]


@pytest.fixture
def built(cast):
    built = build_year(cast.programme_a, YEAR)
    refresh_municipality(cast.a.pk)
    return built


def _page(cast):
    url = reverse("web:dashboard", args=[cast.programme_a.pk]) + f"?year={YEAR}"
    response = signed_in(cast.coordinator_a).get(url)
    assert response.status_code == 200
    return response.content.decode()


def _html_row(html: str, label: str) -> list[str]:
    match = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', html)
    assert match, label
    return [
        c.replace("&lt;", "<").replace("–", "")
        for c in re.findall(r"<td[^>]*>(.*?)</td>", match[1])
    ]


def test_the_page_shows_the_suppressed_cells(cast, built):
    html = _page(cast)
    assert _html_row(html, "Male") == MALE
    assert _html_row(html, "Female") == FEMALE
    assert "Figures as of" in html


def test_the_page_has_charts_without_inline_styles_or_scripts(cast, built):
    html = _page(cast)
    assert html.count("<svg") >= 5
    assert " style=" not in html
    assert "<script>" not in html and "<script " not in re.sub(r'<script src="[^"]+"', "", html)


def test_every_table_exports_as_csv_with_the_same_suppressed_cells(cast, built):
    report = build_report(cast.programme_a, YEAR)
    client = signed_in(cast.coordinator_a)
    base = reverse("web:dashboard_csv", args=[cast.programme_a.pk])
    for table in report.tables:
        response = client.get(f"{base}?table={table.key}&year={YEAR}")
        assert response.status_code == 200, table.key
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == table.columns
        assert rows[1:] == [["" if c is None else str(c) for c in row] for row in table.rows]
    response = client.get(f"{base}?table=reach_gender&year={YEAR}")
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["Male"] == MALE and rows["Female"] == FEMALE
    assert client.get(f"{base}?table=nope").status_code == 404
    assert AuditEntry.objects.filter(action="export", object_id=str(cast.programme_a.pk)).exists()


def test_the_api_returns_the_suppressed_cells(cast, api, built):
    response = api(cast.coordinator_a).get(
        f"/api/v1/dashboards/reaim/?programme={cast.programme_a.pk}&year={YEAR}"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["suppression"] == {"threshold": 5, "shown_as": "<5"}
    tables = {t["key"]: t for s in data["sections"] for t in s["tables"]}
    rows = {r[0]: r[1:] for r in tables["reach_gender"]["rows"]}
    assert rows["Male"] == ["<5", "<5", 0, 0, "<5", None]
    assert rows["Female"] == ["<5", "<5", 6, "<5", "<5", "<5"]
    dose = {r[0]: r[1:] for r in tables["implementation_dose"]["rows"]}
    assert dose[f"04.{YEAR}"] == ["<5"] * 7


def test_the_yearly_pdf_is_made_from_the_same_suppressed_report(cast, built):
    url = reverse("web:dashboard_pdf", args=[cast.programme_a.pk]) + f"?year={YEAR}"
    response = signed_in(cast.coordinator_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # What WeasyPrint is given: the same report, so the same cells.
    html = render_to_string(
        "dashboards/report_document.html",
        {"report": build_report(cast.programme_a, YEAR), "generated": timezone.localtime()},
    )
    assert _html_row(html, "Male") == MALE
    assert _html_row(html, "Female") == FEMALE


def test_the_page_reads_only_aggregates_in_the_same_number_of_queries(cast, built):
    from tests.dashboards.builders import build_year as more

    client = signed_in(cast.coordinator_a)
    url = reverse("web:dashboard", args=[cast.programme_a.pk]) + f"?year={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more(cast.programme_a, YEAR)
    more(cast.programme_a, YEAR)
    refresh_municipality(cast.a.pk)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    tables = " ".join(q["sql"] for q in large.captured_queries)
    for base in ("followup_session", "referrals_referral", "followup_pairing", "outcomes_"):
        assert base not in tables, base


def test_a_year_without_figures_shows_zeros_not_errors(cast, built):
    url = reverse("web:dashboard", args=[cast.programme_a.pk]) + "?year=2001"
    assert signed_in(cast.coordinator_a).get(url).status_code == 200
