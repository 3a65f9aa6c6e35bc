"""The matching API: starting a run returns its proposals with every factor's contribution and
explanation; bad input is refused with the reason and nothing changed; confirming and rejecting;
locks and forbids; the weights; lists at a fixed number of queries; the OpenAPI schema."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kobling.followup.models import Pairing
from kobling.matching.choices import ProposalStatus
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry, User
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/matching/runs/"
WEIGHTS = "/api/v1/matching/weights/"
RULES = "/api/v1/matching/rules/"
ALL_ZERO = dict.fromkeys(
    ["activity", "distance", "availability", "target_group", "preferences", "language"], 0
)


def _start(api, cast, **body):
    return api(cast.coordinator_a).post(
        RUNS, {"programme": cast.programme_a.pk, **body}, format="json"
    )


def test_starting_a_run_returns_its_proposals_with_factors_and_explanations(cast, api):
    helper = s.contact(
        cast.programme_a, activities=["walking", "swimming"], windows=[(1, "17:00", "19:00")]
    )
    referral = s.waiting(
        cast.programme_a, activities=["walking", "swimming"], windows=[(1, "17:00", "19:00")]
    )
    lonely = s.waiting(cast.programme_a, preferred_gender="male", gender_is_must=True)

    response = _start(api, cast)

    assert response.status_code == 201, response.data
    body = response.json()
    assert body["status"] == "open" and body["contact_count"] == 1
    assert body["participant_count"] == 2 and body["proposal_count"] == 1
    (proposal,) = body["proposals"]
    assert (proposal["referral"], proposal["helper"]) == (referral.pk, helper.pk)
    assert proposal["participant_name"] == referral.participant.full_name
    factors = {row["factor"]: row for row in proposal["factors"]}
    assert len(factors) == 6
    assert factors["activity"]["explanation"] == "Both like walking and swimming (+3.0)"
    assert factors["availability"]["explanation"] == "Overlap Tuesday 17–19 (+2.0)"
    assert factors["activity"]["contribution"] == pytest.approx(3.0)
    assert proposal["explanation"][0] == factors["activity"]["explanation"]
    assert proposal["score"] == pytest.approx(sum(r["contribution"] for r in factors.values()))
    (unmatched,) = body["unmatched"]
    assert unmatched["referral"] == lonely.pk
    assert unmatched["reason"] == "no_acceptable_contact"
    assert "must" in unmatched["explanation"]


def test_a_run_over_chosen_referrals_with_weights_for_this_run(cast, api):
    s.contact(cast.programme_a, capacity=2)
    chosen = s.waiting(cast.programme_a)
    s.waiting(cast.programme_a)
    response = _start(api, cast, referrals=[chosen.pk], weights={"activity": 6}, min_score=0.5)
    assert response.status_code == 201, response.data
    assert [p["referral"] for p in response.json()["proposals"]] == [chosen.pk]
    assert response.json()["weights"]["activity"] == 6.0
    assert response.json()["min_score"] == "0.50"


def test_a_run_over_a_referral_from_another_municipality_is_400_naming_the_field(cast, api):
    s.contact(cast.programme_a)
    own = s.waiting(cast.programme_a)
    foreign = s.waiting(cast.programme_b, first_name="Utenbys")
    response = _start(api, cast, referrals=[own.pk, foreign.pk])
    assert response.status_code == 400
    assert "referrals" in response.data and "Utenbys" not in str(response.data)
    # An id that does not exist at all gets the very same answer.
    missing = _start(api, cast, referrals=[own.pk, foreign.pk + 1000])
    assert missing.data == response.data
    assert not MatchingRun.objects.exists()


def test_a_run_for_another_municipalitys_programme_is_400_naming_the_field(cast, api):
    s.waiting(cast.programme_b)
    response = api(cast.coordinator_a).post(RUNS, {"programme": cast.programme_b.pk}, format="json")
    assert response.status_code == 400 and "programme" in response.data
    assert not MatchingRun.objects.exists()


def test_a_run_over_a_participant_who_is_not_waiting_is_400_with_the_status(cast, api):
    referral = s.waiting(cast.programme_a, status=ReferralStatus.PAIRED)
    response = _start(api, cast, referrals=[referral.pk])
    assert response.status_code == 400
    assert "not waiting" in response.data["referrals"][0]


@pytest.mark.parametrize(
    ("weights", "field"), [({"activity": -1}, "activity"), (ALL_ZERO, "non_field_errors")]
)
def test_a_run_with_negative_or_all_zero_weights_is_400(cast, api, weights, field):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    response = _start(api, cast, weights=weights)
    assert response.status_code == 400 and field in response.data
    assert not MatchingRun.objects.exists()


def test_a_run_can_be_read_back_and_the_read_is_audited(cast, api):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    run_id = _start(api, cast).json()["id"]
    response = api(cast.admin_a).get(f"{RUNS}{run_id}/")
    assert response.status_code == 200 and len(response.json()["proposals"]) == 1
    assert AuditEntry.objects.filter(
        user=cast.admin_a, action="view", object_type="matching.matchingrun"
    ).exists()


def test_confirming_a_proposal_creates_the_pairing(cast, api, django_capture_on_commit_callbacks):
    helper = s.contact(cast.programme_a, email="k@example.test")
    referral = s.waiting(cast.programme_a, email="p@example.test")
    proposal_id = _start(api, cast).json()["proposals"][0]["id"]
    meeting = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.coordinator_a).post(
            f"/api/v1/matching/proposals/{proposal_id}/confirm",
            {"intro_meeting_at": meeting.isoformat(), "intro_meeting_place": "Rådhuset"},
            format="json",
        )

    assert response.status_code == 201, response.data
    assert response.json()["status"] == "confirmed"
    assert (response.json()["helper"], response.json()["referral"]) == (helper.pk, referral.pk)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PAIRED
    assert sorted(m.to[0] for m in mail.outbox) == ["k@example.test", "p@example.test"]


def test_confirming_a_proposal_from_a_superseded_run_is_409_with_the_reason(cast, api):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    old = _start(api, cast).json()["proposals"][0]["id"]
    _start(api, cast)
    response = api(cast.coordinator_a).post(f"/api/v1/matching/proposals/{old}/confirm/")
    assert response.status_code == 409
    assert "superseded" in response.json()["detail"]
    assert not Pairing.objects.exists()


def test_confirming_for_a_full_contact_is_409_and_nothing_changes(cast, api):
    helper = s.contact(cast.programme_a, capacity=1)
    run_body = _start(api, cast, referrals=[s.waiting(cast.programme_a).pk]).json()
    run = MatchingRun.objects.get(pk=run_body["id"])
    extra = s.proposal(s.waiting(cast.programme_a), helper, run=run)
    client = api(cast.coordinator_a)
    assert (
        client.post(
            f"/api/v1/matching/proposals/{run_body['proposals'][0]['id']}/confirm"
        ).status_code
        == 201
    )
    response = client.post(f"/api/v1/matching/proposals/{extra.pk}/confirm")
    assert response.status_code == 409 and "no free place" in response.json()["detail"]
    assert Proposal.objects.get(pk=extra.pk).status == ProposalStatus.PROPOSED


def test_rejecting_a_proposal(cast, api):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    proposal_id = _start(api, cast).json()["proposals"][0]["id"]
    response = api(cast.coordinator_a).post(
        f"/api/v1/matching/proposals/{proposal_id}/reject", {"forbid": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert PairRule.objects.get().kind == "forbid"
    again = api(cast.coordinator_a).post(f"/api/v1/matching/proposals/{proposal_id}/reject/")
    assert again.status_code == 409


def test_confirming_through_the_pairings_endpoint(cast, api):
    proposal = s.proposal(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    response = api(cast.coordinator_a).post(
        "/api/v1/pairings/", {"proposal": proposal.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["proposal"] == proposal.pk
    foreign = s.proposal(s.waiting(cast.programme_b), s.contact(cast.programme_b))
    response = api(cast.coordinator_a).post(
        "/api/v1/pairings/", {"proposal": foreign.pk}, format="json"
    )
    assert response.status_code == 400 and "proposal" in response.data


# --- locks and forbids ---------------------------------------------------------------------------


def test_locking_forbidding_and_removing_rules(cast, api):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    client = api(cast.coordinator_a)

    created = client.post(
        RULES, {"referral": referral.pk, "helper": helper.pk, "kind": "lock"}, format="json"
    )
    assert created.status_code == 201, created.data
    assert created.json()["participant_name"] == referral.participant.full_name
    assert client.get(RULES).json()["results"][0]["kind"] == "lock"
    forbid = client.post(
        RULES, {"referral": referral.pk, "helper": helper.pk, "kind": "forbid"}, format="json"
    )
    assert forbid.json()["id"] == created.json()["id"] and forbid.json()["kind"] == "forbid"
    assert client.delete(f"{RULES}{created.json()['id']}/").status_code == 204
    assert not PairRule.objects.exists()


def test_a_rule_with_another_municipalitys_contact_is_400_without_a_leak(cast, api):
    referral = s.waiting(cast.programme_a)
    response = api(cast.coordinator_a).post(
        RULES,
        {"referral": referral.pk, "helper": cast.helper_b.pk, "kind": "forbid"},
        format="json",
    )
    assert response.status_code == 400 and "helper" in response.data
    assert not PairRule.objects.exists()


# --- weights -------------------------------------------------------------------------------------


def test_the_weights_are_read_and_changed_for_the_callers_municipality(cast, api):
    client = api(cast.coordinator_a)
    read = client.get(WEIGHTS)
    assert read.status_code == 200
    assert read.json()["municipality"] == cast.a.pk and read.json()["activity"] == 3.0

    changed = client.put(WEIGHTS, {"activity": 4.5, "min_score": 1}, format="json")

    assert changed.status_code == 200, changed.data
    assert changed.json()["activity"] == 4.5 and changed.json()["distance"] == 2.0
    weights = MatchingWeights.objects.get(municipality=cast.a)
    assert (weights.activity, weights.min_score) == (Decimal("4.5"), Decimal("1"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"activity": -2}, "activity"),
        ({"min_score": -1}, "min_score"),
        (ALL_ZERO, "non_field_errors"),
        ({"activity": "many"}, "activity"),
    ],
)
def test_negative_or_all_zero_weights_are_400_with_the_reason_and_nothing_changes(
    cast, api, body, field
):
    assert api(cast.coordinator_a).get(WEIGHTS).status_code == 200  # the defaults, saved
    response = api(cast.coordinator_a).put(WEIGHTS, body, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert MatchingWeights.objects.get(municipality=cast.a).activity == Decimal("3")


def test_weights_of_a_municipality_the_caller_does_not_manage_are_400(cast, api):
    response = api(cast.coordinator_a).get(WEIGHTS, {"municipality": cast.b.pk})
    assert response.status_code == 400 and "municipality" in response.data
    response = api(cast.coordinator_a).put(
        WEIGHTS, {"municipality": cast.b.pk, "activity": 1}, format="json"
    )
    assert response.status_code == 400 and "municipality" in response.data
    assert not MatchingWeights.objects.filter(municipality=cast.b).exists()


def test_someone_managing_two_municipalities_must_say_which(cast, api):
    f.member(cast.coordinator_a, cast.b, "coordinator")
    user = User.objects.get(pk=cast.coordinator_a.pk)
    assert "municipality" in api(user).get(WEIGHTS).data
    assert api(user).get(WEIGHTS, {"municipality": cast.b.pk}).json()["municipality"] == cast.b.pk


# --- fixed query counts --------------------------------------------------------------------------


def _queries(user, url):
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def _grow(cast, n):
    helper = s.contact(cast.programme_a, capacity=n)
    for _ in range(n):
        referral = s.waiting(cast.programme_a, target_groups=["youth"])
        PairRule.objects.create(
            municipality=cast.a, referral=referral, helper=helper, kind="forbid"
        )
    run = MatchingRun.objects.create(municipality=cast.a, programme=cast.programme_a)
    for referral in run.programme.referrals.exclude(proposals__isnull=False):
        s.proposal(referral, helper, run=run)
        run.referrals.add(referral)


@pytest.mark.parametrize("url", [RUNS, "/api/v1/matching/proposals/", RULES, "/api/v1/pairings/"])
def test_lists_cost_the_same_for_2_and_20_rows(cast, url):
    _grow(cast, 2)
    for proposal in Proposal.objects.all()[:1]:
        s.pairing(proposal.referral, s.contact(cast.programme_a))
    few, body_few = _queries(cast.coordinator_a, url)
    _grow(cast, 18)
    for proposal in Proposal.objects.filter(referral__pairings__isnull=True)[:10]:
        s.pairing(proposal.referral, s.contact(cast.programme_a))
    many, body_many = _queries(cast.coordinator_a, url)
    assert body_many["count"] > body_few["count"]
    assert many == few


def test_a_run_with_20_proposals_costs_as_much_as_one_with_2(cast):
    _grow(cast, 2)
    small = MatchingRun.objects.get()
    _grow(cast, 20)
    large = MatchingRun.objects.exclude(pk=small.pk).get()
    few, _body = _queries(cast.coordinator_a, f"{RUNS}{small.pk}/")
    many, body = _queries(cast.coordinator_a, f"{RUNS}{large.pk}/")
    assert len(body["proposals"]) == 20
    assert many == few


def test_the_openapi_schema_has_the_matching_and_pairing_endpoints_without_warnings():
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", "/dev/null"
    )
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in [
        "/api/v1/matching/runs/",
        "/api/v1/matching/runs/{id}/",
        "/api/v1/matching/proposals/{id}/confirm/",
        "/api/v1/matching/proposals/{id}/reject/",
        "/api/v1/matching/rules/",
        "/api/v1/matching/weights/",
        "/api/v1/pairings/",
        "/api/v1/pairings/{id}/end/",
        "/api/v1/pairings/{id}/schedule-intro/",
    ]:
        assert path in paths, path
