"""The matching pages: choosing participants and weights, starting a run, the run with every
factor in words and the unmatched with the reason, locking and forbidding in place (htmx),
confirming and rejecting; fixed query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.followup.models import Pairing
from kobling.matching.choices import ProposalStatus
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"web:{name}", args=args)


@pytest.fixture
def client(cast):
    return signed_in(cast.coordinator_a)


def _run(client, cast, referrals=()):
    data = {"programme": cast.programme_a.pk}
    if referrals:
        data["referrals"] = [r.pk for r in referrals]
    return client.post(url("matching_run_start"), data)


def test_the_matching_page_lists_who_is_waiting_and_the_weights(cast, client):
    s.waiting(cast.programme_a, first_name="Venter")
    s.waiting(cast.programme_b, first_name="Utenbys")
    html = client.get(url("matching")).content.decode()
    assert "Venter" in html and "Utenbys" not in html
    assert 'name="referrals"' in html and 'name="activity"' in html
    assert "1 participant waiting" in html
    assert 'class="k-table-wrap"' in html
    # Reading the page saves nothing.
    assert not MatchingWeights.objects.exists()


def test_starting_a_run_from_the_page_shows_the_proposals_in_words(cast, client):
    s.contact(cast.programme_a, first_name="Solveig", activities=["walking", "swimming"])
    s.waiting(cast.programme_a, first_name="Per", activities=["walking", "swimming"])
    s.waiting(cast.programme_a, first_name="Alene", preferred_gender="male", gender_is_must=True)

    response = _run(client, cast)

    run = MatchingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        "matching_run_detail", run.pk
    )
    html = client.get(response["Location"]).content.decode()
    assert "Solveig" in html and "Per" in html
    assert "Both like walking and swimming (+3.0)" in html
    assert "Overlap Tuesday 17–19 (+2.0)" in html
    assert "<meter" in html
    assert "Alene" in html and "Ruled out by: the gender that is a must (1 contact)" in html
    assert "hx-headers" in html and "<script" not in html.split("</head>")[1]
    assert ' style="' not in html


def test_a_run_over_the_ticked_participants_only(cast, client):
    s.contact(cast.programme_a, capacity=2)
    chosen = s.waiting(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast, referrals=[chosen])
    assert list(MatchingRun.objects.get().referrals.all()) == [chosen]


def test_a_run_with_nobody_waiting_explains_why(cast, client):
    response = _run(client, cast)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Nobody is waiting for a contact in this programme." in html
    assert not MatchingRun.objects.exists()


def test_the_weights_are_saved_from_the_page(cast, client):
    data = {
        "programme": cast.programme_a.pk,
        "activity": "5",
        "distance": "1",
        "availability": "2",
        "target_group": "2",
        "preferences": "1",
        "language": "0",
        "min_score": "1",
    }
    response = client.post(url("matching_weights"), data)
    assert response.status_code == 302
    weights = MatchingWeights.objects.get(municipality=cast.a)
    assert (weights.activity, weights.language) == (5, 0)


def test_all_zero_weights_are_refused_on_the_page_with_the_reason(cast, client):
    data = dict.fromkeys(
        ["activity", "distance", "availability", "target_group", "preferences", "language"], "0"
    )
    response = client.post(
        url("matching_weights"), {**data, "programme": cast.programme_a.pk, "min_score": "0"}
    )
    assert response.status_code == 400
    assert "At least one weight must be above zero." in response.content.decode()
    assert MatchingWeights.objects.get(municipality=cast.a).activity == 3


def test_negative_weights_are_refused_on_the_page(cast, client):
    response = client.post(
        url("matching_weights"),
        {
            "programme": cast.programme_a.pk,
            "activity": "-1",
            "distance": "2",
            "availability": "2",
            "target_group": "2",
            "preferences": "1",
            "language": "1",
            "min_score": "0",
        },
    )
    assert response.status_code == 400
    assert MatchingWeights.objects.get(municipality=cast.a).activity == 3


def test_locking_a_pair_with_htmx_swaps_the_card_in_place(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    proposal = Proposal.objects.get()

    response = client.post(
        url("matching_proposal_rule", proposal.pk), {"kind": "lock"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<article") and "<html" not in html
    assert "Locked for the next run" in html and "Remove the lock" in html
    rule = PairRule.objects.get()
    assert (rule.kind, rule.referral_id, rule.helper_id) == (
        "lock",
        proposal.referral_id,
        proposal.helper_id,
    )

    removed = client.post(
        url("matching_rule_delete", rule.pk), {"proposal": proposal.pk}, HTTP_HX_REQUEST="true"
    )
    assert "Locked for the next run" not in removed.content.decode()
    assert not PairRule.objects.exists()


def test_forbidding_without_javascript_goes_back_to_the_run(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    proposal = Proposal.objects.get()
    response = client.post(url("matching_proposal_rule", proposal.pk), {"kind": "forbid"})
    assert response.status_code == 302
    assert response["Location"] == url("matching_run_detail", proposal.run_id)
    assert PairRule.objects.get().kind == "forbid"


def test_confirming_on_the_page_makes_the_pair_and_opens_it(cast, client):
    s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    _run(client, cast)
    proposal = Proposal.objects.get()

    response = client.post(
        url("matching_proposal_confirm", proposal.pk),
        {
            f"p{proposal.pk}-intro_meeting_at": "2031-04-05T17:00",
            f"p{proposal.pk}-intro_meeting_place": "Rådhuset",
        },
    )

    pairing = Pairing.objects.get()
    assert response["Location"] == url("pairing_detail", pairing.pk)
    assert pairing.intro_meeting_place == "Rådhuset"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PAIRED


def test_confirming_from_a_superseded_run_on_the_page_says_why(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    old = Proposal.objects.get()
    _run(client, cast)
    response = client.post(url("matching_proposal_confirm", old.pk), follow=True)
    assert "superseded by a newer run" in response.content.decode()
    assert not Pairing.objects.exists()


def test_rejecting_on_the_page(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    proposal = Proposal.objects.get()
    client.post(
        url("matching_proposal_reject", proposal.pk),
        {f"r{proposal.pk}-reason": "Naboer", f"r{proposal.pk}-forbid": "on"},
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert PairRule.objects.get().kind == "forbid"


def test_a_superseded_run_shows_no_action_buttons(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    old = MatchingRun.objects.get()
    _run(client, cast)
    html = client.get(url("matching_run_detail", old.pk)).content.decode()
    assert "A newer run has replaced this one" in html
    assert "Confirm the pair" not in html


def test_opening_a_run_is_audited(cast, client):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    _run(client, cast)
    run = MatchingRun.objects.get()
    client.get(url("matching_run_detail", run.pk))
    assert AuditEntry.objects.filter(
        action="view", object_type="matching.matchingrun", object_id=str(run.pk)
    ).exists()


def test_the_nav_shows_matching_and_pairings_to_managers_only(cast):
    assert 'href="/matching/"' in signed_in(cast.coordinator_a).get("/").content.decode()
    html = signed_in(cast.referrer_a).get("/").content.decode()
    assert 'href="/matching/"' not in html and 'href="/par/"' not in html


# --- query counts ------------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def _waiting_and_rules(cast, n):
    helper = s.contact(cast.programme_a, capacity=20)
    for _ in range(n):
        referral = s.waiting(cast.programme_a, activities=["walking", "running"])
        PairRule.objects.create(
            municipality=cast.a, referral=referral, helper=helper, kind="forbid"
        )


def test_the_matching_page_costs_the_same_for_2_and_20_waiting(cast, client):
    _waiting_and_rules(cast, 2)
    MatchingRun.objects.create(municipality=cast.a, programme=cast.programme_a)
    few = _queries(client, url("matching"))
    _waiting_and_rules(cast, 18)
    MatchingRun.objects.create(municipality=cast.a, programme=cast.programme_a)
    many = _queries(client, url("matching"))
    assert many == few


def test_the_run_page_costs_the_same_for_2_and_20_proposals(cast, client):
    helper = s.contact(cast.programme_a, capacity=30)
    runs = []
    for n in (2, 20):
        run = MatchingRun.objects.create(
            municipality=cast.a, programme=cast.programme_a, weights={"activity": 3.0}
        )
        for _ in range(n):
            referral = s.waiting(cast.programme_a)
            s.proposal(referral, helper, run=run)
            PairRule.objects.create(
                municipality=cast.a, referral=referral, helper=helper, kind="lock"
            )
        run.unmatched = [{"referral": referral.pk, "reason": "no_capacity", "details": {}}]
        run.save()
        runs.append(run)
    few, many = (_queries(client, url("matching_run_detail", r.pk)) for r in runs)
    assert many == few
    html = client.get(url("matching_run_detail", runs[1].pk)).content.decode()
    assert len(re.findall(r"<article", html)) == 20
