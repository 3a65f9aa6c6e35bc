"""Allow/deny for every national-overview endpoint and page × every role of the cast: the
national analyst may read and act (200/302); everyone else — municipal staff of any
municipality, the training contact, the referrer, course-provider staff — gets 403. The
national data holds units, not persons, and is for the analyst alone.

``READS`` (API paths) and ``PAGES`` (web URL names) are what the project-wide coverage guards
read, in the shape of tests/matching/test_access.py; ``PUBLIC`` names the survey page a unit
reaches by its signed link without signing in (tests/national/test_surveys.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from kobling.national import io, services
from kobling.national.models import SurveyQuestion, SurveyTemplate, Unit
from kobling.tenancy.models import User
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes):
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


ANALYST_ONLY = matrix(403, 403, 403, 403, 403, 200, 403)

READS = {
    "/api/v1/national/units/": ANALYST_ONLY,
    "/api/v1/national/units/{unit}/": ANALYST_ONLY,
    "/api/v1/national/status/": ANALYST_ONLY,
    "/api/v1/national/status/?on_date=2024-06-01&unit_kind=municipality": ANALYST_ONLY,
    "/api/v1/national/campaigns/": ANALYST_ONLY,
    "/api/v1/national/campaigns/{campaign}/": ANALYST_ONLY,
}

GET_ANALYST = (403, 403, 403, 403, 403, 200, 403)
POST_ANALYST = (403, 403, 403, 403, 403, 302, 403)

# Web URL name → (arg from the objects below or None, method, body, expected per role).
PAGES = {
    "national_overview": (None, "get", None, GET_ANALYST),
    "national_overview_csv": (None, "get", None, GET_ANALYST),
    "national_units": (None, "get", None, GET_ANALYST),
    "national_units_csv": (None, "get", None, GET_ANALYST),
    "national_unit_import": (None, "get", None, GET_ANALYST),
    "national_unit_detail": ("unit", "get", None, GET_ANALYST),
    "national_unit_contact": (
        "unit",
        "post",
        {"name": "Kari", "email": "kari@example.test", "phone": "", "unit_email": ""},
        POST_ANALYST,
    ),
    "national_unit_health": (
        "health_unit",
        "post",
        {"health_region": "HV", "county_code": "46"},
        POST_ANALYST,
    ),
    "national_unit_status": (
        "unit",
        "post",
        {"programme_kind": "treningskontakt", "state": "never", "as_of": "2025-01-01"},
        POST_ANALYST,
    ),
    "national_unit_call": (
        "unit",
        "post",
        {"called_on": "2025-01-01", "caller": "Analytiker", "outcome": "no_answer"},
        POST_ANALYST,
    ),
    "national_campaigns": (None, "get", None, GET_ANALYST),
    "national_campaign_detail": ("campaign", "get", None, GET_ANALYST),
    "national_campaign_add_units": (
        "campaign",
        "post",
        {"unit_kinds": ["municipality"]},
        POST_ANALYST,
    ),
    "national_campaign_dispatch": ("campaign", "post", {}, POST_ANALYST),
    "national_campaign_answers_csv": ("campaign", "get", None, GET_ANALYST),
    "national_templates": (None, "get", None, GET_ANALYST),
    "national_template_detail": ("template", "get", None, GET_ANALYST),
    "national_question_create": (
        "template",
        "post",
        {
            "order": "999",
            "code": "extra",
            "text": "Anything else?",
            "kind": "text",
            "ask_when": "always",
        },
        POST_ANALYST,
    ),
    "national_question_edit": ("question", "get", None, GET_ANALYST),
}
PUBLIC = {"national_survey_answer"}


@pytest.fixture
def ids(cast):
    units = io.parse_units(io.snapshot_bytes("county"), kind="county")[0]
    assert units  # the snapshot reads
    unit = Unit.objects.create(
        kind="municipality",
        code="9001",
        name="Aby",
        county_code="90",
        valid_from="2024-01-01",
        email="post@aby.example",
    )
    template = SurveyTemplate.objects.get(code="short-2016")
    campaign = services.campaign_create(template=template, by=cast.analyst, name="Test")
    hospital = Unit.objects.create(
        kind="hospital", code="SH-X", name="Sykehus X", county_code="46", valid_from="2024-01-01"
    )
    return {
        "unit": unit.pk,
        "health_unit": hospital.pk,
        "campaign": campaign.pk,
        "template": template.pk,
        "question": SurveyQuestion.objects.filter(template=template).first().pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _user(cast, role):
    return User.objects.get(pk=cast.roles[role].pk)


@pytest.mark.parametrize("url", list(READS))
def test_every_read_endpoint_allows_or_denies_each_role(cast, api, ids, url):
    got = {role: api(_user(cast, role)).get(_fill(url, ids)).status_code for role in ROLES}
    assert got == dict(READS[url])


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(_fill(url, ids)).status_code == 401, url


def test_the_api_is_read_only(cast, api, ids):
    client = api(cast.analyst)
    assert client.post("/api/v1/national/units/", {}, format="json").status_code == 405
    assert client.post("/api/v1/national/campaigns/", {}, format="json").status_code == 405


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, code)
        for name, p in PAGES.items()
        if p[1] == "post"
        for role, code in zip(ROLES, p[3], strict=True)
    ],
)
def test_every_action_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    arg, _method, body, _codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    response = signed_in(_user(cast, role)).post(url, _fill(body, ids) or {})
    assert response.status_code == expected, (
        name,
        role,
        getattr(response, "context", None)
        and response.context.get("form", None)
        and response.context["form"].errors,
    )


@pytest.mark.parametrize("name", [name for name, p in PAGES.items() if p[1] == "get"])
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, method, body, _codes) in PAGES.items():
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        response = getattr(Client(), method)(url, _fill(body, ids) or {})
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("web:login")), name


def test_post_only_pages_refuse_a_get(cast, ids):
    client = signed_in(cast.analyst)
    for name, (arg, method, _body, _codes) in PAGES.items():
        if method == "post":
            url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
            assert client.get(url).status_code == 405, name


def test_every_national_page_is_in_the_matrix():
    from django.urls import get_resolver

    names = {
        key
        for key in get_resolver().namespace_dict["web"][1].reverse_dict
        if isinstance(key, str) and key.startswith("national_")
    }
    assert names == set(PAGES) | PUBLIC


def test_the_services_refuse_anyone_but_the_analyst(cast, ids):
    from django.core.exceptions import PermissionDenied

    unit = Unit.objects.get(pk=ids["unit"])
    template = SurveyTemplate.objects.get(pk=ids["template"])
    for role in ROLES:
        if role == "analyst":
            continue
        user = _user(cast, role)
        with pytest.raises(PermissionDenied):
            services.scheme_status_record(unit=unit, by=user, state="never")
        with pytest.raises(PermissionDenied):
            services.campaign_create(template=template, by=user, name="X")
