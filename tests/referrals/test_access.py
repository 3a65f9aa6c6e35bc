"""Every referral endpoint and page × every role of the cast, plus a second referrer in A who did
not make the referral; read auditing; fixed query counts on lists.

Decisions recorded here:

* A referrer sees the referrals they made. Another referrer — even in the same municipality —
  gets **404** on the detail, its decisions, consents and letter: the referral is outside their
  visible set, so they cannot learn it exists (as an outsider).
* Referrers may create referrals but never change one (PATCH or the edit page, decide, consent,
  merge, withdraw: 403 — they can never do that to any referral, so the answer does not depend
  on the record).
* Training contacts, course providers and the national analyst never see referrals: 403.
* A coordinator of another municipality gets 404 on A's records (200 with an empty list).

``READS`` (API paths) and ``PAGES`` (web URL names) are read by the coverage guards in
tests/tenancy/test_access_matrix.py and tests/web/test_page_matrix.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.helpers.models import Activity, TargetGroup
from kobling.referrals import services
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import (
    BenefitCheck,
    Consent,
    Decision,
    EligibilityRules,
    PreferredTime,
    Referral,
)
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.referrals.payloads import api_payload, person

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
    "referrer_a2",  # a second referrer in A who did not make the referral
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


# What referral_a is to each role: made by referrer_a, in municipality A.
DETAIL = matrix(200, 200, 200, 403, 404, 403, 403, 404)
MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403, 403)
MANAGERS_A = matrix(200, 200, 403, 403, 404, 403, 403, 403)
CREATED_BY_MANAGERS_A = matrix(201, 201, 403, 403, 404, 403, 403, 403)

READS = {
    "/api/v1/referrals/": matrix(200, 200, 200, 403, 200, 403, 403, 200),
    "/api/v1/referrals/{referral}/": DETAIL,
    "/api/v1/referrals/{referral}/decisions/": DETAIL,
    "/api/v1/referrals/{referral}/consents/": DETAIL,
    # As the page /henvisninger/<id>/ytelse/: the municipality's managers only.
    "/api/v1/referrals/{referral}/benefit-checks/": MANAGERS_A,
    "/api/v1/referrals/{referral}/letter/": DETAIL,
    "/api/v1/referrals/{referral}/letter.pdf": DETAIL,
    "/api/v1/waiting-list/": MANAGERS,
    "/api/v1/waiting-list/{referral}/": MANAGERS_A,
    "/api/v1/supply-demand/": MANAGERS,
    "/api/v1/participants/": MANAGERS,
    "/api/v1/participants/{participant}/": MANAGERS_A,
}

# name → (arguments from the fixture ids, expected status per role in ROLES order)
PAGES = {
    "referral_list": ((), matrix(200, 200, 200, 403, 200, 403, 403, 200)),
    "referral_create": ((), matrix(200, 200, 200, 403, 200, 403, 403, 200)),
    "referral_detail": (("referral",), DETAIL),
    "referral_edit": (("referral",), MANAGERS_A),
    "referral_decide": (("referral",), MANAGERS_A),
    "referral_merge": (("referral",), MANAGERS_A),
    "referral_withdraw": (("referral",), MANAGERS_A),
    "referral_consent": (("referral",), MANAGERS_A),
    "referral_benefit": (("referral",), MANAGERS_A),
    "referral_consent_withdraw": (("referral", "consent"), MANAGERS_A),
    "referral_letter": (("referral", "decision"), DETAIL),
    "referral_letter_pdf": (("referral", "decision"), DETAIL),
    "waiting_list": ((), MANAGERS),
    "supply_demand": ((), MANAGERS),
    "eligibility_edit": (("programme",), MANAGERS_A),
    # Public by design (anyone, signed in or not): tests/referrals/test_application.py.
    "referral_application": (("municipality_code",), matrix(*[200] * len(ROLES))),
}
PUBLIC_PAGES = {"referral_application"}


@pytest.fixture
def world(cast, referral_a, referrer_a2):
    """referral_a granted (so it has a decision and a letter), its consent, the ids."""
    decision = services.referral_decide(
        referral=referral_a, by=cast.coordinator_a, outcome="granted", reasons="Ok"
    )
    referral_a.refresh_from_db()
    roles = {**cast.roles, "referrer_a2": referrer_a2}
    ids = {
        "referral": referral_a.pk,
        "participant": referral_a.participant_id,
        "decision": decision.pk,
        "consent": referral_a.consents.get().pk,
        "programme": cast.programme_a.pk,
        "municipality_code": cast.a.code,
    }
    return roles, ids, referral_a


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_referral_read_endpoint_allows_or_denies_each_role(world, api, url, role, expected):
    roles, ids, _referral = world
    response = api(roles[role]).get(url.format(**ids))
    assert response.status_code == expected, getattr(response, "data", response.content[:200])


@pytest.mark.parametrize("url", list(READS))
def test_anonymous_callers_get_401_on_every_referral_endpoint(world, api, url):
    _roles, ids, _referral = world
    assert api().get(url.format(**ids)).status_code == 401


# --- writes: allowed roles succeed, refused ones change nothing ---------------------------------

WRITES = {
    "create": ("post", "/api/v1/referrals/", matrix(201, 201, 201, 403, 400, 403, 403, 201)),
    "update": ("patch", "/api/v1/referrals/{referral}/", MANAGERS_A),
    "decide": ("post", "/api/v1/referrals/{referral}/decision/", CREATED_BY_MANAGERS_A),
    "decide without slash": (
        "post",
        "/api/v1/referrals/{referral}/decision",
        CREATED_BY_MANAGERS_A,
    ),
    "consent": ("post", "/api/v1/referrals/{referral}/consents/", CREATED_BY_MANAGERS_A),
    "benefit check": (
        "post",
        "/api/v1/referrals/{referral}/benefit-checks/",
        CREATED_BY_MANAGERS_A,
    ),
    "consent withdraw": (
        "post",
        "/api/v1/referrals/{referral}/consents/{consent}/withdraw/",
        MANAGERS_A,
    ),
    "merge": ("post", "/api/v1/referrals/{referral}/merge/", MANAGERS_A),
    "merge without slash": ("post", "/api/v1/referrals/{referral}/merge", MANAGERS_A),
    "withdraw": ("post", "/api/v1/referrals/{referral}/withdraw/", MANAGERS_A),
}


def _body(name: str, cast, referral: Referral) -> dict:
    if name == "create":
        return api_payload(
            cast, participant=person(national_id=synthetic_national_id(dt.date(1970, 7, 7)))
        )
    return {
        "update": {"version": referral.version, "goals": "Endret"},
        "decide": {"outcome": "more_info", "reasons": "Trenger mer", "version": referral.version},
        "decide without slash": {
            "outcome": "more_info",
            "reasons": "Trenger mer",
            "version": referral.version,
        },
        "consent": {"scope": "follow_up", "given_by": "Per"},
        "consent withdraw": {},
        "benefit check": {"benefit": "aap"},
        "merge": {"source": "nav", "goals": "Nytt mål"},
        "merge without slash": {"source": "nav", "goals": "Nytt mål"},
        "withdraw": {"reason": "Flyttet", "version": referral.version},
    }[name]


def _state() -> tuple:
    return (
        Referral.objects.count(),
        list(Referral.objects.order_by("id").values_list("version", "status", "goals")),
        Decision.objects.count(),
        list(Consent.objects.order_by("id").values_list("withdrawn_on", flat=True)),
        BenefitCheck.objects.count(),
    )


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_m, _u, pairs) in WRITES.items() for role, code in pairs],
)
def test_every_referral_write_allows_or_denies_each_role_and_a_refusal_changes_nothing(
    world, cast, api, name, role, expected
):
    roles, ids, referral = world
    method, url, _pairs = WRITES[name]
    before = _state()
    response = getattr(api(roles[role]), method)(
        url.format(**ids), _body(name, cast, referral), format="json"
    )
    assert response.status_code == expected, getattr(response, "data", response.content[:300])
    if expected >= 400:
        assert _state() == before
    else:
        assert _state() != before


def test_anonymous_writes_are_refused(world, cast, api):
    _roles, ids, referral = world
    before = _state()
    for name, (method, url, _pairs) in WRITES.items():
        response = getattr(api(), method)(
            url.format(**ids), _body(name, cast, referral), format="json"
        )
        assert response.status_code == 401, name
    assert _state() == before


# --- pages ------------------------------------------------------------------------------------


def _reverse(name: str, ids: dict) -> str:
    arg_names, _pairs = PAGES[name]
    return reverse(f"web:{name}", args=[ids[a] for a in arg_names])


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_referral_page_allows_or_denies_each_role(world, name, role, expected):
    roles, ids, _referral = world
    response = signed_in(roles[role]).get(_reverse(name, ids))
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in_except_on_the_public_form(world):
    _roles, ids, _referral = world
    for name in PAGES:
        response = Client().get(_reverse(name, ids))
        if name in PUBLIC_PAGES:
            assert response.status_code == 200, name
        else:
            assert response.status_code == 302, name
            assert response["Location"].startswith("/konto/logg-inn/"), name


@pytest.mark.parametrize("role", ["referrer_a", "referrer_a2", "coordinator_b", "contact_a"])
def test_refused_page_posts_change_nothing(world, role):
    roles, ids, _referral = world
    client = signed_in(roles[role])
    before = _state()
    for name, data in (
        (
            "referral_decide",
            {"outcome": "refused", "reasons": "x", "priority": "2", "version": "2"},
        ),
        ("referral_withdraw", {"reason": "x", "version": "2"}),
        ("referral_consent", {"scope": "follow_up", "given_by": "x", "given_on": "2020-01-01"}),
        ("referral_consent_withdraw", {"withdrawn_on": timezone.localdate().isoformat()}),
        ("referral_benefit", {"benefit": "aap", "verified_on": "2020-01-01"}),
        ("referral_merge", {"source": "gp"}),
        ("referral_edit", {"goals": "Endret", "version": "2", "source": "gp"}),
    ):
        assert client.post(_reverse(name, ids), data).status_code in {403, 404}, name
    assert _state() == before


def test_lists_hold_only_the_callers_own_referrals(world, api, cast):
    roles, ids, referral = world
    other_in_a = f.ReferralFactory(programme=cast.programme_a)
    in_b = f.ReferralFactory(programme=cast.programme_b)
    expected = {
        "coordinator_a": {referral.pk, other_in_a.pk},
        "referrer_a": {referral.pk},
        "referrer_a2": set(),
        "coordinator_b": {in_b.pk},
    }
    for role, ids_expected in expected.items():
        rows = api(roles[role]).get("/api/v1/referrals/?page_size=500").data["results"]
        assert {r["id"] for r in rows} == ids_expected, role


# --- read audit -------------------------------------------------------------------------------


def test_reads_of_referrals_and_participants_are_audited(world, api, cast):
    _roles, ids, referral = world
    client = api(cast.coordinator_a)
    views = AuditEntry.objects.filter(action="view")
    start = views.count()

    client.get(f"/api/v1/referrals/{referral.pk}/")
    detail = views.filter(object_type="referrals.referral", object_id=str(referral.pk)).latest("id")
    assert detail.user == cast.coordinator_a

    client.get("/api/v1/referrals/")
    listed = views.filter(object_type="referrals.referral", object_repr__startswith="list").latest(
        "id"
    )
    assert listed.changes["ids"] == [str(referral.pk)]

    client.get("/api/v1/participants/")
    client.get(f"/api/v1/participants/{referral.participant_id}/")
    client.get("/api/v1/waiting-list/")
    signed_in(cast.coordinator_a).get(f"/henvisninger/{referral.pk}/")
    signed_in(cast.referrer_a).get("/henvisninger/")
    assert views.count() == start + 7
    assert views.filter(object_type="referrals.participant").count() == 2


def test_a_refused_read_is_not_audited_as_a_view(world, api, cast):
    roles, _ids, referral = world
    start = AuditEntry.objects.filter(action="view").count()
    api(roles["referrer_a2"]).get(f"/api/v1/referrals/{referral.pk}/")
    api(cast.coordinator_b).get(f"/api/v1/referrals/{referral.pk}/")
    assert AuditEntry.objects.filter(action="view").count() == start


# --- fixed query counts -------------------------------------------------------------------------


def _rich_referrals(cast, n: int, *, referrer=None, status="received") -> None:
    groups = list(TargetGroup.objects.all()[:3])
    activities = list(Activity.objects.all()[:3])
    for i in range(n):
        referral = f.ReferralFactory(
            programme=cast.programme_a,
            referrer=referrer,
            status=status,
            granted_at=timezone.now() - dt.timedelta(days=i) if status == "waiting" else None,
        )
        referral.target_groups.set(groups)
        referral.preferred_activities.set(activities)
        PreferredTime.objects.create(
            referral=referral, weekday=i % 7, start_time=dt.time(10), end_time=dt.time(12)
        )
        Consent.objects.create(
            referral=referral,
            municipality=cast.a,
            scope="share_with_referrer",
            given_on=timezone.localdate(),
            given_by="Per",
            recorded_by=cast.coordinator_a,
        )
        Decision.objects.create(
            referral=referral,
            municipality=cast.a,
            outcome="more_info",
            reasons="Mer",
            decided_by=cast.coordinator_a,
        )


def _count(fetch) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return len(queries)


LISTS = [
    ("api referrals (coordinator)", "coordinator_a", "api", "/api/v1/referrals/?page_size=100"),
    ("api referrals (referrer)", "referrer_a", "api", "/api/v1/referrals/?page_size=100"),
    ("api waiting list", "coordinator_a", "api", "/api/v1/waiting-list/?page_size=100"),
    ("api participants", "coordinator_a", "api", "/api/v1/participants/?page_size=100"),
    ("api supply-demand", "coordinator_a", "api", "/api/v1/supply-demand/"),
    ("page referrals", "coordinator_a", "web", "/henvisninger/"),
    ("page referrals (referrer)", "referrer_a", "web", "/henvisninger/"),
    ("page waiting list", "coordinator_a", "web", "/venteliste/"),
    ("page supply-demand", "coordinator_a", "web", "/tilbud-og-behov/"),
]


@pytest.mark.parametrize(("name", "role", "kind", "url"), LISTS, ids=[n for n, *_ in LISTS])
def test_lists_keep_a_fixed_number_of_queries(cast, api, name, role, kind, url):
    rules = EligibilityRules.objects.create(programme=cast.programme_a, min_age=18)
    rules.target_groups.set(TargetGroup.objects.all()[:2])
    for helper in (cast.helper_a, cast.helper_a2):
        f.make_active(helper).target_groups.set(TargetGroup.objects.all()[:2])
    user = cast.roles[role]
    status = "waiting" if "waiting" in name or "supply" in name else "received"
    referrer = cast.referrer_a if role == "referrer_a" else None
    client = api(user) if kind == "api" else signed_in(user)

    _rich_referrals(cast, 2, referrer=referrer, status=status)
    client.get(url)  # warm up: the caller's roles are cached on first use
    few = _count(lambda: client.get(url))
    _rich_referrals(cast, 18, referrer=referrer, status=status)
    many = _count(lambda: client.get(url))

    assert many == few, f"{name}: {few} queries for 2 rows, {many} for 20"
