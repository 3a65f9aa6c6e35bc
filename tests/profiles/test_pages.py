"""The analyst's pages: the comparison with tables, test results and an inline SVG chart (no
JavaScript, no inline styles), the CSV download, the import and the status-set upload."""

import math
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.profiles import selectors, services
from kobling.profiles.models import ProfileCategory, StatusSet
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = "/folkehelseprofiler/"


def table_files(indicators=("inactive_youth",)):
    """with 10 / 20 / 10, without 30 / 20 / 10 on each indicator: chi2 6.25, p exp(−3.125)."""
    status = ["unit_code,has_scheme"]
    profiles = ["unit_code,indicator,category"]
    cats = {
        True: ["better"] * 10 + ["same"] * 20 + ["worse"] * 10,
        False: ["better"] * 30 + ["same"] * 20 + ["worse"] * 10,
    }
    for has in (True, False):
        for i, category in enumerate(cats[has]):
            code = f"{1 if has else 2}{i:03d}"
            status.append(f"{code},{str(has).lower()}")
            profiles += [f"{code},{ind},{category}" for ind in indicators]
    return "\n".join(status).encode(), "\n".join(profiles).encode()


@pytest.fixture
def stored(db):
    status, profiles = table_files()
    services.profiles_import(data=profiles, period="2016")
    # An extra unit with profiles but not in the status set: left out.
    services.profiles_import(
        data=b"unit_code,indicator,category\n9999,inactive_youth,worse\n", period="2016"
    )
    return services.status_set_create(data=status, name="Mapping 2016")


def test_the_comparison_shows_counts_percentages_chi2_stars_and_a_chart(cast, stored):
    response = signed_in(cast.analyst).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mapping 2016" in html and "inactive_youth" in html
    assert "10 (25.0 %)" in html and "30 (50.0 %)" in html
    assert "χ² = 6.250, df = 2, p = 0.0439 <strong>*</strong>" in html
    assert "100 units: 40 with a scheme, 60 without." in html
    assert "1 unit has profiles but no known status and is left out." in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    # Three segments per group; widths are the row percentages of 300 px.
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    # …then the legend's three 12 px squares.
    assert widths == pytest.approx([75.0, 150.0, 75.0, 150.0, 100.0, 50.0, 12, 12, 12], abs=0.01)
    assert 'fill="#1e7a3c"' in svg and "<title" in svg


def test_the_pages_keep_to_the_strict_content_security_policy(cast, stored):
    for url in (URL, reverse("web:profiles_import"), reverse("web:profiles_status")):
        html = signed_in(cast.analyst).get(url).content.decode()
        assert "style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url


def test_without_profiles_the_page_says_to_import_first(cast):
    html = signed_in(cast.analyst).get(URL).content.decode()
    assert "No public-health profiles are stored yet" in html


def test_without_a_status_set_or_register_the_page_says_to_upload_one(cast, monkeypatch):
    monkeypatch.setattr(selectors, "national_status_source", lambda: None)
    services.profiles_import(data=table_files()[1], period="2016")
    html = signed_in(cast.analyst).get(URL).content.decode()
    assert "Upload a STATUS.csv" in html
    assert "The national register" not in html


def test_without_a_status_set_the_national_register_is_used(cast):
    # The real kobling.national.selectors.scheme_status_map (empty register here): every unit
    # is left out for want of a status.
    assert selectors.national_status_source() is not None
    services.profiles_import(data=table_files()[1], period="2016")
    html = signed_in(cast.analyst).get(URL).content.decode()
    assert "grouped by the national register on" in html
    assert "100 units have profiles but no known status and are left out." in html


def test_the_analyst_picks_the_period_and_the_status_set(cast, stored):
    services.profiles_import(
        data=b"unit_code,indicator,category\n1000,smoking,same\n", period="2024"
    )
    other = services.status_set_create(data=b"unit_code,has_scheme\n1000,false\n", name="Other")
    client = signed_in(cast.analyst)
    # Newest period and newest status set by default.
    html = client.get(URL).content.decode()
    assert "Profiles 2024, grouped by Other" in html and "smoking" in html
    html = client.get(URL, {"period": "2016", "status": f"set-{stored.pk}"}).content.decode()
    assert "Profiles 2016, grouped by Mapping 2016" in html and "inactive_youth" in html
    html = client.get(URL, {"period": "1999", "status": f"set-{other.pk}"}).content.decode()
    assert "Select a valid choice" in html and "χ²" not in html


def test_the_comparison_page_takes_the_same_queries_for_2_and_20_indicators(cast):
    status, profiles = table_files(tuple(f"i{n:02d}" for n in range(2)))
    services.profiles_import(data=profiles, period="2016")
    services.status_set_create(data=status, name="s")
    client = signed_in(cast.analyst)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    status, profiles = table_files(tuple(f"i{n:02d}" for n in range(20)))
    services.profiles_import(data=profiles, period="2016")
    with CaptureQueriesContext(connection) as many:
        assert "i19" in client.get(URL).content.decode()
    assert len(many) == len(few)


def test_the_csv_download_has_both_groups_per_indicator_and_is_audited(cast, stored):
    response = signed_in(cast.analyst).get(
        reverse("web:profiles_compare_csv"), {"period": "2016", "status": f"set-{stored.pk}"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[1].startswith("inactive_youth,with,10,20,10,40,25.0,50.0,25.0,6.250,2,")
    assert lines[2].startswith("inactive_youth,without,30,20,10,60,")
    assert AuditEntry.objects.filter(object_type="profiles.comparison", action="export").exists()


def test_the_csv_link_on_the_page_carries_the_choice(cast, stored):
    html = signed_in(cast.analyst).get(URL).content.decode()
    href = re.search(r'href="(/folkehelseprofiler/sammenligning\.csv\?[^"]+)"', html).group(1)
    response = signed_in(cast.analyst).get(href.replace("&amp;", "&"))
    assert response.status_code == 200 and b"inactive_youth,with" in response.content


def test_the_csv_download_without_data_is_a_400(cast):
    response = signed_in(cast.analyst).get(reverse("web:profiles_compare_csv"))
    assert response.status_code == 400


def test_the_import_page_imports_a_crlf_bom_file(cast):
    data = "\ufeffunit_code,indicator,category\r\n0301,x,better\r\n4650,x,worse\r\n".encode()
    response = signed_in(cast.analyst).post(
        reverse("web:profiles_import"),
        {"file": SimpleUploadedFile("PROFILES.csv", data), "period": "2016", "source": "FHI"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?period=2016"
    assert ProfileCategory.objects.count() == 2


def test_the_import_page_lists_every_problem_and_saves_nothing(cast):
    data = b"unit_code,indicator,category\n0301,x,better\n0301,x,worse\n4650,y,good\n"
    response = signed_in(cast.analyst).post(
        reverse("web:profiles_import"),
        {"file": SimpleUploadedFile("PROFILES.csv", data), "period": "2016"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "<td>3</td><td>unit_code,indicator</td><td>0301,x</td>" in html
    assert "<td>4</td><td>category</td><td>good</td>" in html
    assert not ProfileCategory.objects.exists()


def test_the_import_page_can_only_check(cast):
    response = signed_in(cast.analyst).post(
        reverse("web:profiles_import"),
        {
            "file": SimpleUploadedFile("p.csv", b"unit_code,indicator,category\n1,x,same\n"),
            "period": "2016",
            "dry_run": "on",
        },
    )
    assert response.status_code == 200
    assert "Nothing was saved (check only)." in response.content.decode()
    assert not ProfileCategory.objects.exists()


def test_the_status_page_stores_a_set_and_opens_the_comparison_with_it(cast):
    response = signed_in(cast.analyst).post(
        reverse("web:profiles_status"),
        {
            "file": SimpleUploadedFile("STATUS.csv", b"unit_code,has_scheme\r\n0301,TRUE\r\n"),
            "name": "Mapping 2016",
        },
    )
    status_set = StatusSet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?status=set-{status_set.pk}"
    assert status_set.created_by == cast.analyst and status_set.as_map() == {"0301": True}


def test_the_status_page_lists_every_problem(cast):
    response = signed_in(cast.analyst).post(
        reverse("web:profiles_status"),
        {
            "file": SimpleUploadedFile("STATUS.csv", b"unit_code,has_scheme\n0301,ja\n0301,true\n"),
            "name": "Bad",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<td>2</td><td>has_scheme</td><td>ja</td>" in html
    assert "<td>3</td><td>unit_code</td><td>0301</td>" in html
    assert not StatusSet.objects.exists()


def test_the_national_registers_status_is_offered_when_the_national_app_has_it(
    cast, stored, monkeypatch
):
    calls = []

    def scheme_status_map(on):
        calls.append(on)
        # Everyone "with" except 2000–2059, and 1000 unknown (left out).
        status = {f"1{i:03d}": True for i in range(40)} | {f"2{i:03d}": False for i in range(60)}
        status["1000"] = None
        return status

    monkeypatch.setattr(selectors, "national_status_source", lambda: scheme_status_map)
    html = (
        signed_in(cast.analyst)
        .get(URL, {"status": "national", "on": "2016-12-31"})
        .content.decode()
    )
    assert "The national register (scheme status)" in html
    assert "grouped by the national register on 2016-12-31" in html
    assert "99 units: 39 with a scheme, 60 without." in html
    assert [str(d) for d in calls] == ["2016-12-31"]


def test_p_is_shown_as_below_0_0001_when_tiny(cast):
    # with 40 / 10 / 10, without 10 / 10 / 40: chi2 36, p = exp(−18).
    status = ["unit_code,has_scheme"]
    profiles = ["unit_code,indicator,category"]
    for has, cats in (
        (True, ["better"] * 40 + ["same"] * 10 + ["worse"] * 10),
        (False, ["better"] * 10 + ["same"] * 10 + ["worse"] * 40),
    ):
        for i, category in enumerate(cats):
            code = f"{1 if has else 2}{i:03d}"
            status.append(f"{code},{str(has).lower()}")
            profiles.append(f"{code},x,{category}")
    services.profiles_import(data="\n".join(profiles).encode(), period="2016")
    services.status_set_create(data="\n".join(status).encode(), name="s")
    html = signed_in(cast.analyst).get(URL).content.decode()
    assert "χ² = 36.000, df = 2, p = &lt; 0.0001 <strong>***</strong>" in html
    assert math.exp(-18) < 0.0001


def test_the_chart_uses_decimal_points_even_in_norwegian(cast, settings):
    # Norwegian formats numbers with a decimal comma; an SVG length must never get one.
    # with 1 / 2 / 4 of 7 units → 14.29 %, 28.57 %, 57.14 % of 300 px = 42.86, 85.71, 171.43.
    services.profiles_import(
        data=b"unit_code,indicator,category\n"
        b"a,x,better\nb,x,same\nc,x,same\nd,x,worse\ne,x,worse\nf,x,worse\ng,x,worse\n"
        b"h,x,better\ni,x,worse\n",
        period="2016",
    )
    services.status_set_create(
        data=b"unit_code,has_scheme\na,true\nb,true\nc,true\nd,true\ne,true\nf,true\n"
        b"g,true\nh,false\ni,false\n",
        name="s",
    )
    settings.LANGUAGE_CODE = "nb"
    client = signed_in(cast.analyst)
    html = client.get(URL, headers={"accept-language": "nb"}).content.decode()
    assert 'lang="nb"' in html
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    lengths = re.findall(r'\b(?:x|y|width|height)="([^"]*)"', svg)
    assert lengths and all(re.fullmatch(r"\d+(\.\d+)?", v) for v in lengths), lengths
    assert 'width="42.86"' in svg and 'width="171.43"' in svg
