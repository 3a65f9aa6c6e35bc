"""Allow/deny for every matching and pairing endpoint and page × every role of the cast.
Invisible → 404, visible but not allowed → 403, roles that never see the kind of record → 403
up front. ``READS`` (API paths) and ``PAGES`` (web URL names) are what the project-wide
coverage guards read."""

import pytest
from django.test import Client
from django.urls import reverse

from kobling.followup import services as followup
from kobling.matching import services
from kobling.tenancy.models import User
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

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


MANAGERS_ONLY = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_OF_A = matrix(200, 200, 403, 403, 404, 403, 403)

# Who may read what (admin_a, coordinator_a, referrer_a, contact_a, coordinator_b, analyst,
# provider).
READS = {
    "/api/v1/matching/runs/": MANAGERS_ONLY,
    "/api/v1/matching/runs/{run}/": MANAGERS_OF_A,
    "/api/v1/matching/proposals/": MANAGERS_ONLY,
    "/api/v1/matching/proposals/{proposal}/": MANAGERS_OF_A,
    "/api/v1/matching/rules/": MANAGERS_ONLY,
    "/api/v1/matching/rules/{rule}/": MANAGERS_OF_A,
    "/api/v1/matching/weights/": MANAGERS_ONLY,
    "/api/v1/matching/weights/?municipality={a}": matrix(200, 200, 403, 403, 400, 403, 403),
    "/api/v1/pairings/": matrix(200, 200, 200, 200, 200, 403, 403),
    "/api/v1/pairings/{pairing}/": matrix(200, 200, 200, 200, 404, 403, 403),
}

CHANGES_IN_A = (201, 201, 403, 403, 404, 403, 403)
ACTS_IN_A = (200, 200, 403, 403, 404, 403, 403)

# (method, path, body, expected per role in ROLES order)
WRITES = {
    "start a run": (
        "post",
        "/api/v1/matching/runs/",
        {"programme": "{programme_a}"},
        (201, 201, 403, 403, 400, 403, 403),
    ),
    "confirm": ("post", "/api/v1/matching/proposals/{proposal}/confirm", {}, CHANGES_IN_A),
    "confirm/": ("post", "/api/v1/matching/proposals/{proposal}/confirm/", {}, CHANGES_IN_A),
    "reject": ("post", "/api/v1/matching/proposals/{proposal}/reject", {}, ACTS_IN_A),
    "add a rule": (
        "post",
        "/api/v1/matching/rules/",
        {"referral": "{waiting}", "helper": "{helper_a}", "kind": "forbid"},
        (201, 201, 403, 403, 400, 403, 403),
    ),
    "remove a rule": (
        "delete",
        "/api/v1/matching/rules/{rule}/",
        None,
        (204, 204, 403, 403, 404, 403, 403),
    ),
    "change weights": (
        "put",
        "/api/v1/matching/weights/",
        {"activity": 4},
        (200, 200, 403, 403, 200, 403, 403),
    ),
    "confirm by pairings": (
        "post",
        "/api/v1/pairings/",
        {"proposal": "{proposal}"},
        (201, 201, 403, 403, 400, 403, 403),
    ),
    # Changing a pairing sends the version read (core.versions).
    "activate": (
        "post",
        "/api/v1/pairings/{pairing}/activate",
        {"version": "{pairing_version}"},
        ACTS_IN_A,
    ),
    "pause": (
        "post",
        "/api/v1/pairings/{active}/pause",
        {"version": "{active_version}"},
        ACTS_IN_A,
    ),
    "resume": (
        "post",
        "/api/v1/pairings/{paused}/resume",
        {"version": "{paused_version}"},
        ACTS_IN_A,
    ),
    "end": (
        "post",
        "/api/v1/pairings/{active}/end",
        {"reason": "other", "handover_destination": "none", "version": "{active_version}"},
        ACTS_IN_A,
    ),
    "schedule intro": (
        "post",
        "/api/v1/pairings/{pairing}/schedule-intro",
        {
            "intro_meeting_at": "2031-01-02T17:00:00Z",
            "intro_meeting_place": "Biblioteket",
            "version": "{pairing_version}",
        },
        ACTS_IN_A,
    ),
    "rematch": ("post", "/api/v1/pairings/{ended}/rematch", {}, ACTS_IN_A),
}

GET_A = (200, 200, 403, 403, 404, 403, 403)
POST_A = (302, 302, 403, 403, 404, 403, 403)

# Web URL name → (arg from the objects below or None, method, body, expected per role).
PAGES = {
    "matching": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    "matching_run_start": (
        None,
        "post",
        {"programme": "{programme_a}"},
        (302, 302, 403, 403, 302, 403, 403),
    ),
    "matching_weights": (
        None,
        "post",
        {
            "programme": "{programme_a}",
            "activity": "4",
            "distance": "2",
            "availability": "2",
            "target_group": "2",
            "preferences": "1",
            "language": "1",
            "min_score": "0",
        },
        (302, 302, 403, 403, 403, 403, 403),
    ),
    "matching_run_detail": ("run", "get", None, GET_A),
    "matching_proposal_confirm": ("proposal", "post", {}, POST_A),
    "matching_proposal_reject": ("proposal", "post", {}, POST_A),
    "matching_proposal_rule": ("proposal", "post", {"kind": "lock"}, POST_A),
    "matching_rule_delete": ("rule", "post", {}, POST_A),
    "pairing_list": (None, "get", None, (200, 200, 200, 200, 200, 403, 403)),
    "pairing_detail": ("pairing", "get", None, (200, 200, 200, 200, 404, 403, 403)),
    "pairing_activate": ("pairing", "post", {}, POST_A),
    "pairing_pause": ("active", "post", {}, POST_A),
    "pairing_resume": ("paused", "post", {}, POST_A),
    "pairing_end": ("active", "post", {"reason": "other"}, POST_A),
    "pairing_intro": (
        "pairing",
        "post",
        {"intro_meeting_at": "2031-01-02T17:00", "intro_meeting_place": "Biblioteket"},
        POST_A,
    ),
    "pairing_rematch": ("ended", "post", {}, POST_A),
}


@pytest.fixture
def ids(cast):
    """A run with a proposal, a rule, and pairings in every state, all in municipality A. The
    training contact of the cast is in the confirmed pairing, for someone the referrer of the
    cast referred."""
    helper_a = f.make_active(cast.helper_a)  # two places
    other = s.contact(cast.programme_a, capacity=4)
    waiting = s.waiting(cast.programme_a)
    run = services.matching_run_create(by=None, programme=cast.programme_a)
    rule = services.pair_rule_create(by=None, referral=waiting, helper=helper_a, kind="lock")
    referred = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    s.share_with_referrer(referred)
    pairing = s.pairing(referred, helper_a)
    active = s.pairing(s.waiting(cast.programme_a), other)
    followup.pairing_activate(pairing=active, by=None)
    paused = s.pairing(s.waiting(cast.programme_a), other)
    followup.pairing_activate(pairing=paused, by=None)
    followup.pairing_pause(pairing=paused, by=None)
    ended = s.pairing(s.waiting(cast.programme_a), other)
    followup.pairing_end(pairing=ended, by=None, reason="no_chemistry", handover_destination="none")
    return {
        "a": cast.a.pk,
        "programme_a": cast.programme_a.pk,
        "helper_a": helper_a.pk,
        "waiting": waiting.pk,
        "run": run.pk,
        "proposal": run.proposals.get().pk,
        "rule": rule.pk,
        "pairing": pairing.pk,
        "active": active.pk,
        "paused": paused.pk,
        "ended": ended.pk,
        **{
            f"{name}_version": type(row).objects.get(pk=row.pk).version
            for name, row in (("pairing", pairing), ("active", active), ("paused", paused))
        },
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
    # Reads change nothing, so one set of records serves every role.
    got = {role: api(_user(cast, role)).get(_fill(url, ids)).status_code for role in ROLES}
    assert got == dict(READS[url])


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, code)
        for name, w in WRITES.items()
        for role, code in zip(ROLES, w[3], strict=True)
    ],
)
def test_every_write_endpoint_allows_or_denies_each_role(cast, api, ids, name, role, expected):
    method, path, body, _codes = WRITES[name]
    client = api(_user(cast, role))
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    assert response.status_code == expected, (name, getattr(response, "data", None))


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(_fill(url, ids)).status_code == 401, url
    for name, (method, path, body, _codes) in WRITES.items():
        response = getattr(api(), method)(_fill(path, ids), _fill(body, ids), format="json")
        assert response.status_code == 401, name


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
    arg, method, body, _codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    response = signed_in(_user(cast, role)).post(url, _fill(body, ids) or {})
    assert response.status_code == expected, (name, role)


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


def test_the_other_municipality_sees_none_of_as_runs_rules_or_pairings(cast, api, ids):
    client = api(cast.coordinator_b)
    for url in (
        "/api/v1/matching/runs/",
        "/api/v1/matching/proposals/",
        "/api/v1/matching/rules/",
        "/api/v1/pairings/",
    ):
        assert client.get(url).json()["results"] == [], url


def test_post_only_pages_refuse_a_get(cast, ids):
    client = signed_in(cast.coordinator_a)
    for name, (arg, method, _body, _codes) in PAGES.items():
        if method == "post":
            url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
            assert client.get(url).status_code == 405, name
