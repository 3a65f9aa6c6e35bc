"""Allow/deny for every session endpoint and page × every role of the cast, plus a second
referrer and a second training contact in municipality A.

The rules (kobling.followup.access, shared with the referrer's report):

* outside the pairing's municipality → 404 (coordinator of B);
* roles that never see pairings (national analyst, course provider) → 403 up front;
* coordinators and municipal admins of A, and the pair's own training contact: read and log;
* the referrer who made the referral reads the session list (date, minutes, status only) while
  the participant's consent to share with the referrer is in force; without it — withdrawn or
  never given — 403 with the reason in the body; they never log or correct;
* another referrer or another training contact in A → 404, as an outsider. They were 403 until
  the outside probe (issue 16) showed that this told them a pairing with that id exists in
  their municipality; only those who know of the pairing (managers, the pair's contact, the
  referrer who made the referral) are told "you may not" with a 403.

``READS`` (API paths) and ``PAGES`` (web URL names) have the same shape as in
tests/matching/test_access.py, for the project-wide coverage guards; ``PUBLIC`` names the page
reached from an e-mail link without signing in (tested in test_confirmation_link.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.referrals.models import Consent
from kobling.tenancy.choices import Role
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
    "referrer_a2",  # a second referrer in A, who did not make the referral
    "contact_a2",  # a second training contact in A, not in the pair
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


# The pair's sessions: referred by referrer_a (consent in force), contact_a's pair.
SESSIONS = matrix(200, 200, 200, 200, 404, 403, 403, 404, 404)
# The same for pairs whose participant never consented or withdrew: the referrer is refused.
SESSIONS_NO_CONSENT = matrix(200, 200, 403, 200, 404, 403, 403, 404, 404)

READS = {
    "/api/v1/pairings/{pairing}/sessions/": SESSIONS,
    "/api/v1/pairings/{no_consent}/sessions/": SESSIONS_NO_CONSENT,
    "/api/v1/pairings/{withdrawn}/sessions/": SESSIONS_NO_CONSENT,
    "/api/v1/sessions/{session}/": SESSIONS,
    "/api/v1/sessions/{withdrawn_session}/": SESSIONS_NO_CONSENT,
    # The referrer's report: the same rules as the session list.
    "/api/v1/pairings/{pairing}/referrer-report": SESSIONS,
    "/api/v1/pairings/{pairing}/referrer-report/": SESSIONS,
    "/api/v1/pairings/{no_consent}/referrer-report": SESSIONS_NO_CONSENT,
    "/api/v1/pairings/{withdrawn}/referrer-report": SESSIONS_NO_CONSENT,
    # The participant's course: coordinators in full; the referrer within consent (a course
    # without consent is not in their visible set: 404); roles that never see courses 403.
    "/api/v1/episodes/": matrix(200, 200, 200, 403, 200, 403, 403, 200, 403),
    "/api/v1/episodes/{episode}/": matrix(200, 200, 200, 403, 404, 403, 403, 404, 403),
    "/api/v1/episodes/{no_consent_episode}/": matrix(200, 200, 404, 403, 404, 403, 403, 404, 403),
    # The course's report: the pairing report's rules; the pair's contact knows of it (403).
    "/api/v1/episodes/{episode}/report": matrix(200, 200, 200, 403, 404, 403, 403, 404, 404),
    "/api/v1/episodes/{episode}/report/": matrix(200, 200, 200, 403, 404, 403, 403, 404, 404),
    "/api/v1/episodes/{no_consent_episode}/report": matrix(
        200, 200, 403, 403, 404, 403, 403, 404, 404
    ),
    # The start and end conversations: the coordinators' and admins', as the timeline page.
    "/api/v1/episodes/{episode}/conversations/": matrix(
        200, 200, 403, 403, 404, 403, 403, 404, 403
    ),
    "/api/v1/episodes/{episode}/conversations": matrix(200, 200, 403, 403, 404, 403, 403, 404, 403),
}

LOGS = (201, 201, 403, 201, 404, 403, 403, 404, 404)
ACTS = (200, 200, 403, 200, 404, 403, 403, 404, 404)
SESSION_BODY = {"date": "{yesterday}", "minutes": 60, "status": "held", "intensity": "moderate"}

# (method, path, body, expected per role in ROLES order)
WRITES = {
    "log": ("post", "/api/v1/pairings/{pairing}/sessions/", SESSION_BODY, LOGS),
    "log without consent": ("post", "/api/v1/pairings/{no_consent}/sessions/", SESSION_BODY, LOGS),
    "correct": ("post", "/api/v1/sessions/{session}/correct", {"reason": "x", "minutes": 45}, LOGS),
    "correct/": (
        "post",
        "/api/v1/sessions/{session}/correct/",
        {"reason": "x", "void": True},
        LOGS,
    ),
    "confirm": ("post", "/api/v1/sessions/{session}/confirm", {}, ACTS),
    "confirm/": ("post", "/api/v1/sessions/{session}/confirm/", {}, ACTS),
    # Changing a course is for coordinators and admins of its municipality.
    "plan a course": (
        "post",
        "/api/v1/episodes/{episode}/plan",
        {"planned_start": None, "version": "{episode_version}"},
        (200, 200, 403, 403, 404, 403, 403, 403, 403),
    ),
    # The pair's course delivers one to one: it ends through its pair, so the coordinators get
    # 400 with the reason; nobody else may try.
    "end a course": (
        "post",
        "/api/v1/episodes/{episode}/end/",
        {"ended_on": "{yesterday}", "end_reason": "moved", "version": "{episode_version}"},
        (400, 400, 403, 403, 404, 403, 403, 403, 403),
    ),
}

GET_PAIR = (200, 200, 403, 200, 404, 403, 403, 404, 404)
POST_PAIR = (302, 302, 403, 302, 404, 403, 403, 404, 404)

# Web URL name → (object or None, method, body, expected per role).
PAGES = {
    "my_participants": (None, "get", None, (403, 403, 403, 200, 403, 403, 403, 403, 200)),
    "pairing_sessions": ("pairing", "get", None, GET_PAIR),
    "session_correct": ("session", "get", None, GET_PAIR),
    "session_confirm_in_person": ("session", "post", {}, POST_PAIR),
    "session_confirmation_send": ("pairing", "post", {}, POST_PAIR),
    "alerts": (None, "get", None, (200, 200, 403, 403, 200, 403, 403, 403, 403)),
    "referrer_report": ("pairing", "get", None, [code for _role, code in SESSIONS]),
    "referrer_report_pdf": ("pairing", "get", None, [code for _role, code in SESSIONS]),
    # The course's pages are the coordinators' (a referrer reads the report instead).
    "episode_list": (None, "get", None, (200, 200, 403, 403, 200, 403, 403, 403, 403)),
    "episode_timeline": ("episode", "get", None, (200, 200, 403, 403, 404, 403, 403, 403, 403)),
    "episode_conversation": (
        "episode",
        "get",
        None,
        (200, 200, 403, 403, 404, 403, 403, 403, 403),
    ),
    "episode_end": ("episode", "get", None, (200, 200, 403, 403, 404, 403, 403, 403, 403)),
    # The course's report: the API's rules (the pair's contact reads the pairing's report).
    "episode_report": ("episode", "get", None, (200, 200, 200, 403, 404, 403, 403, 404, 404)),
    "episode_report_pdf": ("episode", "get", None, (200, 200, 200, 403, 404, 403, 403, 404, 404)),
}

PUBLIC = {"session_confirmation"}  # signed single-use link from the e-mail


@pytest.fixture
def ids(cast):
    referrer_a2 = f.member(f.UserFactory(username="henviser2@a.test"), cast.a, Role.REFERRER)
    contact_a2 = f.member(f.UserFactory(username="kontakt2@a.test"), cast.a, Role.TRAINING_CONTACT)
    cast.roles.update(referrer_a2=referrer_a2, contact_a2=contact_a2)
    s.contact(cast.programme_a, user=contact_a2)  # with a profile, without this pair
    helper = f.make_active(cast.helper_a)
    helper.capacity = 3
    helper.save()

    consented = s.waiting(cast.programme_a, referrer=cast.referrer_a, email="per@example.test")
    s.share_with_referrer(consented)
    pairing = s.active_pair(consented, helper)
    session = s.log(pairing, days_ago=2)

    no_consent = s.active_pair(s.waiting(cast.programme_a, referrer=cast.referrer_a), helper)
    withdrawn_referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    Consent.objects.create(
        referral=withdrawn_referral,
        municipality_id=withdrawn_referral.municipality_id,
        scope="share_with_referrer",
        given_on=timezone.localdate() - dt.timedelta(days=30),
        withdrawn_on=timezone.localdate() - dt.timedelta(days=1),
        given_by="Deltakeren",
    )
    withdrawn = s.active_pair(withdrawn_referral, helper)
    withdrawn_session = s.log(withdrawn, days_ago=3)
    return {
        "pairing": pairing.pk,
        "session": session.pk,
        "no_consent": no_consent.pk,
        "withdrawn": withdrawn.pk,
        "withdrawn_session": withdrawn_session.pk,
        "episode": pairing.episode_id,
        "episode_version": str(type(pairing.episode).objects.get(pk=pairing.episode_id).version),
        "no_consent_episode": no_consent.episode_id,
        "yesterday": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
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
    response = getattr(api(_user(cast, role)), method)(
        _fill(path, ids), _fill(body, ids), format="json"
    )
    assert response.status_code == expected, (name, getattr(response, "data", None))


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(_fill(url, ids)).status_code == 401, url
    for name, (method, path, body, _codes) in WRITES.items():
        response = getattr(api(), method)(_fill(path, ids), _fill(body, ids), format="json")
        assert response.status_code == 401, name


def test_a_referrer_without_consent_is_told_why(cast, api, ids):
    client = api(cast.referrer_a)
    never = client.get(_fill("/api/v1/pairings/{no_consent}/sessions/", ids))
    assert never.status_code == 403
    assert "has not consented to share" in never.json()["detail"]
    gone = client.get(_fill("/api/v1/pairings/{withdrawn}/sessions/", ids))
    assert gone.status_code == 403
    assert "withdrawn their consent" in gone.json()["detail"]


def test_another_referrer_and_another_contact_cannot_tell_a_pairing_from_no_pairing(cast, api, ids):
    for role in ("referrer_a2", "contact_a2"):
        client = api(_user(cast, role))
        for path in (READS_LIST, "/api/v1/pairings/{pairing}/referrer-report"):
            there = client.get(_fill(path, ids))
            nothing = client.get(_fill(path, {**ids, "pairing": 999999}))
            assert (there.status_code, there.json()) == (nothing.status_code, nothing.json())
            assert there.status_code == 404


READS_LIST = "/api/v1/pairings/{pairing}/sessions/"


def test_ids_are_not_an_oracle_outside_the_municipality(cast, api, ids):
    client = api(cast.coordinator_b)
    assert client.get("/api/v1/pairings/999999/sessions/").status_code == 404
    assert client.get(_fill(READS_LIST, ids)).status_code == 404
    assert client.get(_fill("/api/v1/pairings/{no_consent}/sessions/", ids)).status_code == 404


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
    assert response.status_code == expected, (name, role)


@pytest.mark.parametrize("name", [name for name, p in PAGES.items() if p[1] == "get"])
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


def test_logging_on_the_page_is_for_the_pairs_contact_and_coordinators(cast, ids):
    url = reverse("web:pairing_sessions", args=[ids["pairing"]])
    body = {"date": ids["yesterday"], "minutes": "50", "status": "held", "intensity": "light"}
    got = {role: signed_in(_user(cast, role)).post(url, body).status_code for role in ROLES}
    assert got == dict(zip(ROLES, (302, 302, 403, 302, 404, 403, 403, 404, 404), strict=True))


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, method, body, _codes) in PAGES.items():
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        response = getattr(Client(), method)(url, _fill(body, ids) or {})
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("web:login")), name


def test_post_only_pages_refuse_a_get(cast, ids):
    client = signed_in(cast.coordinator_a)
    for name, (arg, method, _body, _codes) in PAGES.items():
        if method == "post":
            url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
            assert client.get(url).status_code == 405, name
