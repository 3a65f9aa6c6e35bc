"""GET /api/v1/profiles/compare/: the stored profiles compared for a status set or the national
register; each indicator object keeps the command line's keys and adds stars, percentages,
expected counts, warnings and the reason when there is no test."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kobling.profiles import selectors, services
from tests.profiles.test_pages import table_files

pytestmark = pytest.mark.django_db

URL = "/api/v1/profiles/compare/"


@pytest.fixture
def stored(db):
    status, profiles = table_files(("inactive_youth", "smoking"))
    services.profiles_import(data=profiles, period="2016")
    services.profiles_import(
        data=b"unit_code,indicator,category\n9999,inactive_youth,worse\n", period="2016"
    )
    return services.status_set_create(data=status, name="Mapping 2016")


def test_the_comparison_has_the_issues_keys_and_more(cast, api, stored):
    response = api(cast.analyst).get(URL, {"status_set": stored.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2016" and body["status"] == "Mapping 2016"
    assert (body["units"], body["with_scheme"], body["without_scheme"]) == (100, 40, 60)
    assert body["left_out"] == ["9999"]
    assert [r["indicator"] for r in body["results"]] == ["inactive_youth", "smoking"]
    first = body["results"][0]
    assert {"indicator", "with", "without", "chi2", "df", "p"} <= set(first)
    assert first["with"] == {"better": 10, "same": 20, "worse": 10}
    assert first["without"] == {"better": 30, "same": 20, "worse": 10}
    assert first["chi2"] == pytest.approx(6.25) and first["df"] == 2
    assert first["p"] == pytest.approx(math.exp(-3.125))
    assert first["stars"] == "*"
    assert first["percent"]["with"] == {"better": 25.0, "same": 50.0, "worse": 25.0}
    assert first["expected"]["without"] == {"better": 24.0, "same": 24.0, "worse": 12.0}
    assert first["warnings"] == [] and first["reason"] is None and first["dropped"] == []
    assert first["name"] == "inactive_youth"


def test_without_a_choice_the_newest_status_set_and_period_are_used(cast, api, stored):
    services.status_set_create(data=b"unit_code,has_scheme\n1000,true\n", name="Newer")
    body = api(cast.analyst).get(URL).json()
    assert body["status"] == "Newer" and body["period"] == "2016"
    assert body["units"] == 1
    assert body["results"][0]["reason"] == "empty_group"
    assert body["results"][0]["chi2"] is None


def test_the_national_register_can_be_asked_for(cast, api, stored, monkeypatch):
    seen = []

    def scheme_status_map(on):
        seen.append(on.isoformat())
        return {"1000": True, "2000": False, "2001": None}

    monkeypatch.setattr(selectors, "national_status_source", lambda: scheme_status_map)
    body = api(cast.analyst).get(URL, {"national": "true", "on": "2016-06-30"}).json()
    assert body["status"] == "national:2016-06-30" and seen == ["2016-06-30"]
    assert (body["with_scheme"], body["without_scheme"]) == (1, 1)


def test_the_real_national_register_is_used_lazily(cast, api, stored):
    # kobling.national.selectors.scheme_status_map exists; with an empty register every unit
    # is left out.
    body = api(cast.analyst).get(URL, {"national": "true"}).json()
    assert body["status"].startswith("national:") and body["units"] == 0
    assert len(body["left_out"]) == 101


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "1999"}, "period"),
        ({"status_set": "0"}, "status_set"),
        ({"status_set": "x"}, "status_set"),
        ({"national": "true", "on": "31.12.2016"}, "on"),
    ],
)
def test_bad_parameters_are_400_with_the_field(cast, api, stored, params, field):
    response = api(cast.analyst).get(URL, params)
    assert response.status_code == 400 and field in response.json()


def test_without_profiles_it_is_a_400(cast, api):
    response = api(cast.analyst).get(URL)
    assert response.status_code == 400 and "period" in response.json()


def test_the_endpoint_takes_the_same_queries_for_2_and_20_indicators(cast, api):
    status, profiles = table_files(tuple(f"i{n:02d}" for n in range(2)))
    services.profiles_import(data=profiles, period="2016")
    status_set = services.status_set_create(data=status, name="s")
    client = api(cast.analyst)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"status_set": status_set.pk})
    status, profiles = table_files(tuple(f"i{n:02d}" for n in range(20)))
    services.profiles_import(data=profiles, period="2016")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL, {"status_set": status_set.pk}).json()["results"]) == 20
    assert len(many) == len(few)


def test_the_openapi_schema_documents_the_endpoint_without_warnings_from_it():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    operation = schema["paths"]["/api/v1/profiles/compare/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "period",
        "status_set",
        "national",
        "on",
    }
    result = schema["components"]["schemas"]["IndicatorComparison"]["properties"]
    assert {"indicator", "with", "without", "chi2", "df", "p", "stars"} <= set(result)
    assert not [w for w in warnings if "profiles" in str(w).lower()]
