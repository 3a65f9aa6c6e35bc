"""Allow/deny for every goal, review, instrument and follow-up endpoint and page × every role of
the cast. Invisible → 404, visible but not allowed → 403, roles that never see the kind of record
→ 403 up front.

Decisions recorded here:

* Goals and reviews follow the pairing's rule: the municipality's coordinators and admins, and
  the pair's own training contact, read and record them. The referrer who referred the
  participant may see the pairing (with consent) but gets **403** on its goals and reviews: the
  referrer report (built on :mod:`kobling.outcomes.selectors`) is their view.
* Instruments are reference data, not about anyone: everyone with a role in a municipality and
  the national analyst may read them; course providers 403.
* Follow-up questionnaires and the maintenance figures are for coordinators and admins only.
* Choosing a programme's instruments is for municipal admins (as programme settings are).

``READS`` (API paths) and ``PAGES`` (web URL names) are what the project-wide coverage guards
read; ``PUBLIC_PAGES`` (also in ``PAGES``) are reached without signing in (the follow-up
questionnaire, tests/outcomes/test_followups.py)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.outcomes import followups, services
from kobling.outcomes.models import FollowUp, Instrument
from kobling.referrals import episodes
from kobling.tenancy.models import Programme, User
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s
from tests.outcomes import builders as b

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


RECORDERS = matrix(200, 200, 403, 200, 200, 403, 403)
RECORDERS_OF_A = matrix(200, 200, 403, 200, 404, 403, 403)
MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_OF_A = matrix(200, 200, 403, 403, 404, 403, 403)
ANYONE_IN_A_MUNICIPALITY = matrix(200, 200, 200, 200, 200, 200, 403)

READS = {
    "/api/v1/instruments/": ANYONE_IN_A_MUNICIPALITY,
    "/api/v1/instruments/activity_minutes/": ANYONE_IN_A_MUNICIPALITY,
    "/api/v1/instruments/?programme={programme_a}": matrix(200, 200, 200, 200, 400, 400, 403),
    "/api/v1/goals/": RECORDERS,
    "/api/v1/goals/{goal}/": RECORDERS_OF_A,
    "/api/v1/goals/{goal}": RECORDERS_OF_A,
    "/api/v1/reviews/": RECORDERS,
    "/api/v1/reviews/{review}/": RECORDERS_OF_A,
    "/api/v1/pairings/{pairing}/goals/": RECORDERS_OF_A,
    "/api/v1/pairings/{pairing}/goals": RECORDERS_OF_A,
    "/api/v1/pairings/{pairing}/reviews/": RECORDERS_OF_A,
    "/api/v1/pairings/{pairing}/reviews": RECORDERS_OF_A,
    "/api/v1/episodes/{episode}/reviews/": MANAGERS_OF_A,
    "/api/v1/episodes/{episode}/reviews": MANAGERS_OF_A,
    "/api/v1/follow-ups/": MANAGERS,
    "/api/v1/follow-ups/{followup}/": MANAGERS_OF_A,
    "/api/v1/follow-ups/maintenance/?municipality={a}": matrix(200, 200, 403, 403, 400, 403, 403),
}

CREATED_BY_RECORDERS_OF_A = (201, 201, 403, 201, 404, 403, 403)
CHANGED_BY_RECORDERS_OF_A = (200, 200, 403, 200, 404, 403, 403)

# (method, path, body, expected per role in ROLES order)
WRITES = {
    "add a goal": (
        "post",
        "/api/v1/pairings/{pairing}/goals/",
        {"text": "Gå til butikken uten å stoppe"},
        CREATED_BY_RECORDERS_OF_A,
    ),
    "add a goal (no slash)": (
        "post",
        "/api/v1/pairings/{pairing}/goals",
        {"text": "Svømme 200 meter"},
        CREATED_BY_RECORDERS_OF_A,
    ),
    "change a goal": (
        "patch",
        "/api/v1/goals/{goal}/",
        {"status": "achieved", "version": 1},
        CHANGED_BY_RECORDERS_OF_A,
    ),
    "change a goal (no slash)": (
        "patch",
        "/api/v1/goals/{goal}",
        {"status": "partly", "version": 1},
        CHANGED_BY_RECORDERS_OF_A,
    ),
    "record a review": (
        "post",
        "/api/v1/pairings/{pairing}/reviews/",
        {"kind": "periodic", "date": "{today}", "scores": [{"instrument": "mastery", "value": 7}]},
        CREATED_BY_RECORDERS_OF_A,
    ),
}

GET_RECORDERS_OF_A = (200, 200, 403, 200, 404, 403, 403)
POST_RECORDERS_OF_A = (302, 302, 403, 302, 404, 403, 403)

# Web URL name → (arg from the ids below or None, method, body, expected per role).
PAGES = {
    "goal_create": ("pairing", "get", None, GET_RECORDERS_OF_A),
    "goal_edit": ("goal", "get", None, GET_RECORDERS_OF_A),
    "review_create": ("pairing", "get", None, GET_RECORDERS_OF_A),
    "review_correct": ("review", "get", None, GET_RECORDERS_OF_A),
    "course_review_create": ("group_course", "get", None, (200, 200, 403, 403, 404, 403, 403)),
    "pairing_outcomes": ("pairing", "get", None, GET_RECORDERS_OF_A),
    "programme_instruments": ("programme_a", "get", None, (200, 403, 403, 403, 403, 403, 403)),
    "followup_list": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    # Public by design, reached by a signed link (tests/outcomes/test_followups.py).
    "followup_answer": ("token", "get", None, (200, 200, 200, 200, 200, 200, 200)),
}
# Actions posted to the same pages (the name is the URL name before the colon).
POSTS = {
    "goal_create:post": ("pairing", {"text": "Gå en tur hver dag"}, POST_RECORDERS_OF_A),
    "goal_edit:post": (
        "goal",
        {"text": "Gå en tur hver dag", "status": "achieved", "version": 1},
        POST_RECORDERS_OF_A,
    ),
    "review_create:post": (
        "pairing",
        {"kind": "periodic", "date": "{today}", "score_mastery": "6"},
        POST_RECORDERS_OF_A,
    ),
    "programme_instruments:post": (
        "programme_a",
        {"instruments": ["{mastery}"]},
        (302, 403, 403, 403, 403, 403, 403),
    ),
}
PUBLIC = {"followup_answer"}
PUBLIC_PAGES = PUBLIC


@pytest.fixture
def ids(cast):
    """In municipality A: a started pairing of the cast's contact for someone the cast's
    referrer referred (with consent to share, so the referrer *sees* the pairing), with a goal
    and a review; and an ended pairing with its follow-ups."""
    helper_a = b.roomy(f.make_active(cast.helper_a))
    pairing = b.pairing(cast.programme_a, helper_a, referrer=cast.referrer_a)
    s.share_with_referrer(pairing.referral)
    goal = services.goal_create(pairing=pairing, by=None, text="Gå opp til varden")
    review = b.review(pairing, kind="start", on=b.days_ago(100), mastery=4)
    ended = b.pairing(
        cast.programme_a, helper_a, confirmed_days_ago=300, started_days_ago=290, ended_days_ago=100
    )
    followups.followups_create_missing(now=timezone.now())
    followup = ended.follow_ups.order_by("months").first()
    # A started course of a group programme (reviewed as a course, not through a pairing).
    groups = Programme.objects.create(
        municipality=cast.a, kind="frisklivsresept", name="Frisklivsresept", delivery="group"
    )
    joined = s.waiting(groups, first_name="Gro", referrer=cast.referrer_a)
    episodes.episode_for_referral(joined)
    group_course = episodes.episode_set_state(
        referral=joined,
        state=episodes.CourseState(status="active", started_on=b.days_ago(20)),
        by=None,
    )
    FollowUp.objects.filter(pk=followup.pk).update(
        status="sent", sent_at=timezone.now(), expires_at=timezone.now() + followups.LINK_VALID
    )
    return {
        "a": cast.a.pk,
        "programme_a": cast.programme_a.pk,
        "pairing": pairing.pk,
        "episode": pairing.episode_id,
        "group_course": group_course.pk,
        "goal": goal.pk,
        "review": review.pk,
        "ended": ended.pk,
        "followup": followup.pk,
        "token": followups.followup_token(followup),
        "mastery": Instrument.objects.get(code="mastery").pk,
        "today": timezone.localdate().isoformat(),
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
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
    client = api(_user(cast, role))
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    assert response.status_code == expected, (name, getattr(response, "data", None))


def test_anonymous_callers_get_401_everywhere(cast, api, ids):
    for url in READS:
        assert api().get(_fill(url, ids)).status_code == 401, url
    for name, (method, path, body, _codes) in WRITES.items():
        response = getattr(api(), method)(_fill(path, ids), _fill(body, ids), format="json")
        assert response.status_code == 401, name


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_allows_or_denies_each_role(cast, ids, name):
    arg, _method, _body, codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    got = {role: signed_in(_user(cast, role)).get(url).status_code for role in ROLES}
    assert got == dict(zip(ROLES, codes, strict=True))


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, code)
        for name, p in POSTS.items()
        for role, code in zip(ROLES, p[2], strict=True)
    ],
)
def test_every_form_post_allows_or_denies_each_role(cast, ids, name, role, expected):
    arg, body, _codes = POSTS[name]
    url = reverse(f"web:{name.split(':')[0]}", args=[ids[arg]])
    response = signed_in(_user(cast, role)).post(url, _fill(body, ids))
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(cast, ids):
    for name, (arg, _method, _body, _codes) in PAGES.items():
        if name in PUBLIC_PAGES:
            continue
        url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith(reverse("web:login")), name


def test_another_contact_in_the_same_municipality_finds_nothing(cast, api, ids):
    other = f.member(f.UserFactory(username="kontakt2@a.test"), cast.a, "training_contact")
    f.HelperFactory(programme=cast.programme_a, user=other)
    client = api(other)
    assert client.get("/api/v1/goals/").json()["results"] == []
    assert client.get("/api/v1/reviews/").json()["results"] == []
    for url in (
        "/api/v1/pairings/{pairing}/goals/",
        "/api/v1/pairings/{pairing}/reviews/",
        "/api/v1/goals/{goal}/",
    ):
        assert client.get(_fill(url, ids)).status_code == 404, url
    page = signed_in(other)
    assert page.get(reverse("web:goal_create", args=[ids["pairing"]])).status_code == 404
    assert page.get(reverse("web:review_correct", args=[ids["review"]])).status_code == 404


def test_the_other_municipality_sees_none_of_as_goals_reviews_or_follow_ups(cast, api, ids):
    client = api(cast.coordinator_b)
    for url in ("/api/v1/goals/", "/api/v1/reviews/", "/api/v1/follow-ups/"):
        assert client.get(url).json()["results"] == [], url


def test_list_filters_do_not_tell_whether_an_id_exists_in_another_municipality(cast, api, ids):
    client = api(cast.coordinator_b)
    for url in (
        "/api/v1/goals/?pairing={}",
        "/api/v1/reviews/?pairing={}",
        "/api/v1/follow-ups/?pairing={}",
        "/api/v1/follow-ups/?municipality={}",
    ):
        theirs = ids["pairing"] if "pairing" in url else ids["a"]
        for value in (theirs, 999999):
            response = client.get(url.format(value))
            assert response.status_code == 200, (url, value)
            assert response.json()["results"] == [], (url, value)
    # The filters still filter for those who may see.
    mine = api(cast.coordinator_a).get(f"/api/v1/goals/?pairing={ids['pairing']}").json()
    assert [g["id"] for g in mine["results"]] == [ids["goal"]]
    assert api(cast.coordinator_a).get("/api/v1/goals/?pairing=999999").json()["results"] == []
