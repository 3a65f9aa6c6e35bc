"""The Django side of matching at the service layer: models translated into the engine's data,
who may be matched, runs with their proposals and the unmatched, the coordinator's locks,
forbids and weights, and every factor said in words."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.courses.models import Qualification
from kobling.helpers.choices import HelperStatus
from kobling.lib.errors import ConflictError
from kobling.matching import services
from kobling.matching.choices import PairRuleKind, ProposalStatus, RunStatus
from kobling.matching.engine import reasons
from kobling.matching.engine.types import TimeWindow
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.matching.selectors import (
    Names,
    contact_spec,
    eligible_contacts,
    explain_factor,
    explain_unmatched,
    participant_spec,
    referral_matching_queryset,
)
from kobling.referrals.choices import ReferralStatus
from kobling.referrals.models import Referral
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _run(cast, **kwargs):
    return services.matching_run_create(by=cast.coordinator_a, programme=cast.programme_a, **kwargs)


def _pairs(run):
    return {(p.referral_id, p.helper_id) for p in run.proposals.all()}


# --- translation into the engine's data ---------------------------------------------------------


def test_a_waiting_referral_becomes_a_participant_spec_with_codes_minutes_and_floats(cast):
    old = s.contact(cast.programme_a)
    referral = s.waiting(
        cast.programme_a,
        activities=["walking", "swimming"],
        target_groups=["mental_health"],
        windows=[(1, "17:00", "19:30"), (5, "10:00", "12:00")],
        lat="61.45210",
        lon="5.85700",
        max_travel_km=8,
        preferred_gender="female",
        gender_is_must=True,
        contact_age_min=30,
        contact_age_max=50,
        age_is_must=False,
        languages=["ar", "nb"],
        language_is_must=True,
        avoid_helper=old,
    )

    spec = participant_spec(
        referral_matching_queryset(Referral.objects.filter(pk=referral.pk)).get()
    )

    assert spec.id == referral.pk
    assert spec.activities == frozenset({"walking", "swimming"})
    assert spec.target_groups == frozenset({"mental_health"})
    assert spec.windows == (TimeWindow(1, 17 * 60, 19 * 60 + 30), TimeWindow(5, 600, 720))
    assert (spec.lat, spec.lon) == (61.4521, 5.857)
    assert isinstance(spec.lat, float)
    assert spec.postcode == referral.participant.postcode
    assert spec.max_travel_km == 8.0
    assert (spec.preferred_gender, spec.gender_must) == ("female", True)
    assert (spec.contact_age_min, spec.contact_age_max, spec.age_must) == (30, 50, False)
    assert (spec.languages, spec.language_must) == (frozenset({"ar", "nb"}), True)
    assert spec.avoid_contacts == frozenset({old.pk})


def test_a_wish_without_a_value_is_no_must_and_unspecified_gender_is_no_gender(cast):
    referral = s.waiting(
        cast.programme_a,
        preferred_gender="unspecified",
        gender_is_must=True,
        age_is_must=True,
        language_is_must=True,
        lat=None,
        lon=None,
    )
    spec = participant_spec(referral)
    assert (spec.preferred_gender, spec.gender_must) == ("", False)
    assert spec.age_must is False and spec.language_must is False
    assert spec.lat is None and spec.avoid_contacts == frozenset()


def test_a_contact_spec_has_the_places_left_and_the_age_from_the_birth_year(cast):
    helper = s.contact(
        cast.programme_a,
        capacity=3,
        activities=["running"],
        target_groups=["youth"],
        windows=[(2, "08:15", "09:00")],
        birth_year=TODAY.year - 40,
        gender="male",
        languages=["nb", "pl"],
    )
    s.pairing(s.waiting(cast.programme_a), helper)

    loaded = eligible_contacts(programme=cast.programme_a).get(pk=helper.pk)
    spec = contact_spec(loaded, today=TODAY)

    assert spec.capacity == 2
    assert spec.age == 40 and spec.gender == "male"
    assert spec.activities == frozenset({"running"})
    assert spec.target_groups == frozenset({"youth"})
    assert spec.windows == (TimeWindow(2, 495, 540),)
    assert spec.languages == frozenset({"nb", "pl"})
    assert (spec.lat, spec.lon) == (61.45, 5.85)


# --- who may be matched --------------------------------------------------------------------------


def test_only_active_confirmed_qualified_contacts_with_a_place_left_are_eligible(cast):
    eligible = s.contact(cast.programme_a)
    s.contact(cast.programme_a, is_unconfirmed=True)
    paused = s.contact(cast.programme_a)
    paused.status, paused.paused_until = HelperStatus.PAUSED, TODAY + dt.timedelta(days=9)
    paused.save()
    unqualified = s.contact(cast.programme_a)
    Qualification.objects.filter(helper=unqualified).update(
        valid_until=TODAY - dt.timedelta(days=1)
    )
    full = s.contact(cast.programme_a, capacity=1)
    s.pairing(s.waiting(cast.programme_a), full)
    s.contact(cast.programme_a, active=False)  # an applicant
    s.contact(cast.programme_b)  # another municipality

    ids = set(eligible_contacts(programme=cast.programme_a).values_list("pk", flat=True))

    assert ids == {eligible.pk}


def test_a_programme_without_a_qualification_rule_takes_unqualified_contacts(cast):
    cast.programme_a.requires_qualification = False
    cast.programme_a.save()
    helper = s.contact(cast.programme_a)
    Qualification.objects.filter(helper=helper).delete()
    assert list(eligible_contacts(programme=cast.programme_a)) == [helper]


def test_an_ended_pairing_gives_the_place_back(cast):
    helper = s.contact(cast.programme_a, capacity=1)
    pairing = s.pairing(s.waiting(cast.programme_a), helper)
    assert not eligible_contacts(programme=cast.programme_a).filter(pk=helper.pk).exists()
    from kobling.followup.services import pairing_end

    pairing_end(pairing=pairing, by=None, reason="goal_reached", handover_destination="gym")
    assert eligible_contacts(programme=cast.programme_a).get(pk=helper.pk).places_left == 1


def test_reading_the_eligible_contacts_costs_the_same_for_2_and_20(cast):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            helpers = list(eligible_contacts(programme=cast.programme_a))
            [contact_spec(h, today=TODAY) for h in helpers]
        return len(helpers), len(ctx.captured_queries)

    for _ in range(2):
        s.contact(cast.programme_a, target_groups=["youth"])
    few = queries()
    for _ in range(18):
        s.contact(cast.programme_a, target_groups=["youth"])
    many = queries()
    assert (few[0], many[0]) == (2, 20)
    assert few[1] == many[1]


# --- runs ----------------------------------------------------------------------------------------


def test_a_run_stores_proposals_with_every_factor_and_the_unmatched_with_the_reason(cast):
    helper = s.contact(
        cast.programme_a, activities=["walking", "swimming"], windows=[(1, "17:00", "19:00")]
    )
    liked = s.waiting(
        cast.programme_a, activities=["walking", "swimming"], windows=[(1, "16:00", "20:00")]
    )
    nobody = s.waiting(cast.programme_a, preferred_gender="male", gender_is_must=True)

    run = _run(cast)

    assert run.status == RunStatus.OPEN
    assert run.contact_count == 1
    assert set(run.referrals.all()) == {liked, nobody}
    assert run.weights == {
        "activity": 3.0,
        "distance": 2.0,
        "availability": 2.0,
        "target_group": 2.0,
        "preferences": 1.0,
        "language": 1.0,
    }
    (proposal,) = run.proposals.all()
    assert (proposal.referral, proposal.helper) == (liked, helper)
    assert proposal.status == ProposalStatus.PROPOSED and not proposal.locked
    factors = {row["factor"]: row for row in proposal.factors}
    assert set(factors) == {
        "activity",
        "distance",
        "availability",
        "target_group",
        "preferences",
        "language",
    }
    assert set(factors["activity"]) == {
        "factor",
        "value",
        "weight",
        "contribution",
        "reason",
        "details",
    }
    assert factors["activity"]["reason"] == reasons.SHARED_ACTIVITIES
    assert sorted(factors["activity"]["details"]["shared"]) == ["swimming", "walking"]
    # The weekly windows they share are kept with the run, for the explanation.
    assert factors["availability"]["details"]["overlaps"] == [
        {"weekday": 1, "start": 17 * 60, "end": 19 * 60}
    ]
    assert proposal.score == pytest.approx(sum(r["contribution"] for r in proposal.factors))
    assert run.objective == pytest.approx(proposal.score)
    assert run.unmatched == [
        {
            "referral": nobody.pk,
            "reason": reasons.NO_ACCEPTABLE_CONTACT,
            "details": {"excluded_by": {reasons.GENDER_MUST_NOT_MET: 1}},
        }
    ]
    assert run.duration_ms >= 0


def test_a_run_over_chosen_participants_leaves_the_others_out(cast):
    s.contact(cast.programme_a, capacity=3)
    chosen = s.waiting(cast.programme_a)
    s.waiting(cast.programme_a)
    run = _run(cast, referrals=[chosen.pk])
    assert list(run.referrals.all()) == [chosen]
    assert [p.referral_id for p in run.proposals.all()] == [chosen.pk]


def test_a_run_never_gives_a_contact_more_participants_than_places_left(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    s.pairing(s.waiting(cast.programme_a), helper)  # one place already taken
    first, second = s.waiting(cast.programme_a), s.waiting(cast.programme_a)

    run = _run(cast, referrals=[first.pk, second.pk])

    assert run.proposals.filter(helper=helper).count() == 1
    (unmatched,) = run.unmatched
    assert unmatched["reason"] == reasons.NO_CAPACITY


def test_a_contact_with_capacity_two_may_take_two(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    run = _run(cast, referrals=[s.waiting(cast.programme_a).pk, s.waiting(cast.programme_a).pk])
    assert run.proposals.filter(helper=helper).count() == 2


def test_unconfirmed_paused_and_unqualified_contacts_are_never_proposed(cast):
    unconfirmed = s.contact(cast.programme_a, is_unconfirmed=True)
    unqualified = s.contact(cast.programme_a)
    Qualification.objects.filter(helper=unqualified).delete()
    paused = s.contact(cast.programme_a)
    Referral.objects.none()
    paused.status, paused.paused_until = HelperStatus.PAUSED, TODAY + dt.timedelta(days=5)
    paused.save()
    referral = s.waiting(cast.programme_a)

    run = _run(cast)

    assert run.contact_count == 0
    assert not run.proposals.exists()
    assert run.unmatched == [{"referral": referral.pk, "reason": "no_contacts", "details": {}}]
    assert {unconfirmed.pk, unqualified.pk, paused.pk}.isdisjoint(
        run.proposals.values_list("helper_id", flat=True)
    )


def test_a_lock_gives_the_locked_pair_even_when_another_fits_better(cast):
    good = s.contact(cast.programme_a, activities=["walking"])
    poor = s.contact(cast.programme_a, activities=["climbing"], windows=[])
    referral = s.waiting(cast.programme_a, activities=["walking"])
    assert _pairs(_run(cast)) == {(referral.pk, good.pk)}

    services.pair_rule_create(
        by=cast.coordinator_a, referral=referral, helper=poor, kind=PairRuleKind.LOCK
    )
    run = _run(cast)

    (proposal,) = run.proposals.all()
    assert (proposal.helper, proposal.locked) == (poor, True)


def test_a_forbid_keeps_the_pair_out_of_every_later_run(cast):
    good = s.contact(cast.programme_a, activities=["walking"])
    second = s.contact(cast.programme_a, activities=["climbing"])
    referral = s.waiting(cast.programme_a, activities=["walking"])

    services.pair_rule_create(
        by=cast.coordinator_a, referral=referral, helper=good, kind=PairRuleKind.FORBID
    )
    assert _pairs(_run(cast)) == {(referral.pk, second.pk)}

    services.pair_rule_delete(rule=PairRule.objects.get(), by=cast.coordinator_a)
    assert _pairs(_run(cast)) == {(referral.pk, good.pk)}


def test_the_previous_contact_after_a_broken_pair_is_never_proposed(cast):
    previous = s.contact(cast.programme_a, activities=["walking"])
    other = s.contact(cast.programme_a, activities=["climbing"])
    referral = s.waiting(cast.programme_a, activities=["walking"], avoid_helper=previous)

    run = _run(cast)

    assert _pairs(run) == {(referral.pk, other.pk)}
    Referral.objects.filter(pk=referral.pk).update(avoid_helper=None)
    assert _pairs(_run(cast)) == {(referral.pk, previous.pk)}


def test_only_the_avoided_contact_left_means_unmatched_with_the_reason(cast):
    previous = s.contact(cast.programme_a)
    s.waiting(cast.programme_a, avoid_helper=previous)
    (entry,) = _run(cast).unmatched
    assert entry["reason"] == reasons.NO_ACCEPTABLE_CONTACT
    assert entry["details"]["excluded_by"] == {reasons.AVOID_CONTACT: 1}


def test_a_new_run_supersedes_the_open_run_and_its_proposals(cast):
    s.contact(cast.programme_a, capacity=2)
    s.waiting(cast.programme_a)
    s.waiting(cast.programme_a)
    first = _run(cast)
    rejected = first.proposals.first()
    services.proposal_reject(proposal=rejected, by=cast.coordinator_a)
    s.waiting(cast.programme_b)
    other_programme = services.matching_run_create(
        by=cast.coordinator_b, programme=cast.programme_b
    )

    second = _run(cast)

    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED
    statuses = dict(first.proposals.values_list("pk", "status"))
    assert statuses[rejected.pk] == ProposalStatus.REJECTED
    assert set(statuses.values()) == {ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED}
    assert second.status == RunStatus.OPEN
    other_programme.refresh_from_db()
    assert other_programme.status == RunStatus.OPEN


def test_weights_for_one_run_are_used_and_kept_with_the_run(cast):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    run = _run(cast, weights_override={"activity": 7, "language": 0}, min_score=0.5)
    assert run.weights["activity"] == 7.0 and run.weights["language"] == 0.0
    assert run.min_score == Decimal("0.50")
    activity = next(r for r in run.proposals.get().factors if r["factor"] == "activity")
    assert activity["weight"] == 7.0
    assert MatchingWeights.objects.get(municipality=cast.a).activity == Decimal("3")


def test_a_participant_below_the_lowest_acceptable_score_is_left_unmatched(cast):
    s.contact(cast.programme_a, activities=["climbing"], windows=[], lat=None, lon=None)
    s.waiting(cast.programme_a, activities=["walking"])
    run = _run(cast, min_score=9)
    assert not run.proposals.exists()
    assert run.unmatched[0]["reason"] == reasons.BELOW_MINIMUM_SCORE


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"activity": -1}, "activity"),
        ({"distance": "lots"}, "distance"),
        ({"activity": 11}, "activity"),
        ({"colour": 1}, "colour"),
        (
            dict.fromkeys(
                ["activity", "distance", "availability", "target_group", "preferences", "language"],
                0,
            ),
            "non_field_errors",
        ),
    ],
)
def test_a_run_with_bad_weights_is_refused_and_nothing_is_saved(cast, override, field):
    s.contact(cast.programme_a)
    s.waiting(cast.programme_a)
    with pytest.raises(ValidationError) as caught:
        _run(cast, weights_override=override)
    assert field in caught.value.message_dict
    assert not MatchingRun.objects.exists()


def test_a_run_over_a_referral_from_another_municipality_is_refused_without_naming_it(cast):
    s.contact(cast.programme_a)
    own = s.waiting(cast.programme_a)
    foreign = s.waiting(cast.programme_b, first_name="Utenbys")
    with pytest.raises(ValidationError) as caught:
        _run(cast, referrals=[own.pk, foreign.pk])
    messages = caught.value.message_dict["referrals"]
    assert messages == ["1 of the chosen participants are not in this programme."]
    assert "Utenbys" not in str(messages)
    assert not MatchingRun.objects.exists() and not Proposal.objects.exists()


def test_a_run_over_a_participant_who_is_not_waiting_names_them_and_the_status(cast):
    referral = s.waiting(
        cast.programme_a, first_name="Mottatt", status=ReferralStatus.RECEIVED, granted_at=None
    )
    with pytest.raises(ValidationError) as caught:
        _run(cast, referrals=[referral.pk])
    (message,) = caught.value.message_dict["referrals"]
    assert "Mottatt" in message and "Received" in message


def test_a_run_with_nobody_waiting_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        _run(cast)
    assert "referrals" in caught.value.message_dict


def test_starting_a_run_is_audited_with_what_it_considered(cast):
    s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    run = _run(cast)
    entry = AuditEntry.objects.get(object_type="matching.matchingrun", object_id=str(run.pk))
    assert entry.action == "create" and entry.user == cast.coordinator_a
    assert entry.municipality_id == cast.a.pk
    assert entry.changes["participants"] == [referral.pk]
    assert entry.changes["proposals"] == 1


# --- weights -----------------------------------------------------------------------------------


def test_weights_are_created_with_the_defaults_on_first_use(cast):
    weights = services.matching_weights_for(municipality=cast.a)
    assert (weights.activity, weights.distance, weights.language) == (
        Decimal("3"),
        Decimal("2"),
        Decimal("1"),
    )
    assert services.matching_weights_for(municipality=cast.a).pk == weights.pk


def test_changing_weights_is_validated_saved_and_audited(cast):
    weights = services.matching_weights_update(
        municipality=cast.a, by=cast.coordinator_a, data={"activity": 5, "min_score": 1.5}
    )
    assert (weights.activity, weights.min_score) == (Decimal("5"), Decimal("1.5"))
    entry = AuditEntry.objects.get(object_type="matching.matchingweights")
    assert entry.changes["activity"] == ["3.00", "5"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"activity": -0.5}, "activity"),
        ({"min_score": -1}, "min_score"),
        (
            dict.fromkeys(
                ["activity", "distance", "availability", "target_group", "preferences", "language"],
                0,
            ),
            "non_field_errors",
        ),
    ],
)
def test_negative_or_all_zero_weights_are_refused_and_nothing_changes(cast, data, field):
    services.matching_weights_for(municipality=cast.a)
    with pytest.raises(ValidationError) as caught:
        services.matching_weights_update(municipality=cast.a, by=cast.coordinator_a, data=data)
    assert field in caught.value.message_dict
    weights = MatchingWeights.objects.get(municipality=cast.a)
    assert (weights.activity, weights.min_score) == (Decimal("3"), Decimal("0"))


def test_zeroing_the_last_weight_above_zero_is_refused(cast):
    services.matching_weights_update(
        municipality=cast.a,
        by=None,
        data={"activity": 0, "distance": 0, "availability": 0, "target_group": 0, "preferences": 0},
    )
    with pytest.raises(ValidationError):
        services.matching_weights_update(municipality=cast.a, by=None, data={"language": 0})


# --- locks, forbids and rejects ----------------------------------------------------------------


def test_locking_another_contact_replaces_the_earlier_lock(cast):
    first, second = s.contact(cast.programme_a), s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    services.pair_rule_create(by=None, referral=referral, helper=first, kind=PairRuleKind.LOCK)
    services.pair_rule_create(by=None, referral=referral, helper=second, kind=PairRuleKind.LOCK)
    assert list(PairRule.objects.values_list("helper_id", "kind")) == [(second.pk, "lock")]


def test_forbidding_a_locked_pair_turns_the_lock_into_a_forbid(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    services.pair_rule_create(by=None, referral=referral, helper=helper, kind=PairRuleKind.LOCK)
    services.pair_rule_create(by=None, referral=referral, helper=helper, kind=PairRuleKind.FORBID)
    assert list(PairRule.objects.values_list("kind", flat=True)) == ["forbid"]


def test_a_rule_for_a_contact_in_another_programme_is_refused(cast):
    referral = s.waiting(cast.programme_a)
    with pytest.raises(ValidationError) as caught:
        services.pair_rule_create(
            by=None, referral=referral, helper=cast.helper_b, kind=PairRuleKind.LOCK
        )
    assert "helper" in caught.value.message_dict
    assert not PairRule.objects.exists()


def test_rules_are_audited(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    rule = services.pair_rule_create(
        by=cast.coordinator_a, referral=referral, helper=helper, kind=PairRuleKind.FORBID
    )
    services.pair_rule_delete(rule=rule, by=cast.coordinator_a)
    actions = list(
        AuditEntry.objects.filter(object_type="matching.pairrule")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete"]


def test_rejecting_a_proposal_keeps_the_participant_waiting(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    proposal = _run(cast).proposals.get()

    services.proposal_reject(proposal=proposal, by=cast.coordinator_a, reason="Kjenner hverandre")

    proposal.refresh_from_db()
    referral.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert referral.status == ReferralStatus.WAITING
    assert not PairRule.objects.filter(helper=helper).exists()
    assert AuditEntry.objects.filter(
        object_type="matching.proposal", object_id=str(proposal.pk), action="update"
    ).exists()


def test_rejecting_with_forbid_keeps_the_pair_out_of_the_next_run(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    proposal = _run(cast).proposals.get()
    services.proposal_reject(proposal=proposal, by=cast.coordinator_a, forbid=True)
    assert PairRule.objects.get().kind == PairRuleKind.FORBID
    assert (referral.pk, helper.pk) not in _pairs(_run(cast))


def test_a_proposal_cannot_be_rejected_twice_or_from_a_superseded_run(cast):
    s.contact(cast.programme_a, capacity=2)
    s.waiting(cast.programme_a)
    s.waiting(cast.programme_a)
    first, second = _run(cast).proposals.all()
    services.proposal_reject(proposal=first, by=None)
    with pytest.raises(ConflictError, match="already been handled"):
        services.proposal_reject(proposal=first, by=None)
    _run(cast)
    with pytest.raises(ConflictError, match="superseded"):
        services.proposal_reject(proposal=second, by=None)


# --- explanations -------------------------------------------------------------------------------

NAMES = Names(
    activities={"walking": "Walking", "swimming": "Swimming"},
    target_groups={"mental_health": "Mental health"},
)


def _say(reason, details, contribution=1.0, factor="activity", value=0.5):
    return explain_factor(
        {
            "factor": factor,
            "value": value,
            "weight": 2.0,
            "contribution": contribution,
            "reason": reason,
            "details": details,
        },
        NAMES,
    )


def test_shared_activities_are_named():
    assert (
        _say(reasons.SHARED_ACTIVITIES, {"shared": ["walking", "swimming"]}, 2.0)
        == "Both like walking and swimming (+2.0)"
    )


def test_the_distance_is_said_in_kilometres():
    assert _say(reasons.BY_DISTANCE, {"km": 3.24, "limit_km": 15}, 1.6) == "3.2 km apart (+1.6)"


def test_overlapping_times_name_the_day_and_the_hours():
    details = {"minutes": 120, "overlaps": [{"weekday": 1, "start": 1020, "end": 1140}]}
    assert _say(reasons.OVERLAPPING_TIME, details, 1.3) == "Overlap Tuesday 17–19 (+1.3)"


def test_overlap_without_windows_says_how_many_hours():
    text = _say(reasons.OVERLAPPING_TIME, {"minutes": 90, "of_minutes": 240}, 0.8)
    assert text == "1.5 of 4 hours a week in common (+0.8)"


@pytest.mark.parametrize(
    ("reason", "details", "expected"),
    [
        (reasons.NO_SHARED_ACTIVITIES, {"shared": []}, "No activities in common (+0.0)"),
        (reasons.BY_POSTCODE, {"match": "same_postcode"}, "Same postcode (+0.0)"),
        (reasons.LOCATION_UNKNOWN, {"missing": "contact"}, "no address for the contact"),
        (reasons.NO_AVAILABILITY_GIVEN, {"missing": "participant"}, "No times given by the"),
        (reasons.TARGET_GROUP_COMPETENCE, {"shared": ["mental_health"]}, "with mental health"),
        (
            reasons.SOME_WISHES_MET,
            {"met": ["gender"], "unmet": ["age"]},
            "Meets the wish about the contact's gender, not about the contact's age",
        ),
        (reasons.SHARED_LANGUAGE, {"shared": ["ar"]}, "Both speak Arabic"),
        (reasons.NO_SHARED_LANGUAGE, {"asked": ["so"]}, "Does not speak Somali"),
        (reasons.NO_WISHES, {}, "No wishes about the contact"),
    ],
)
def test_each_reason_reads_as_a_sentence(reason, details, expected):
    assert expected in _say(reason, details, 0.0)


@pytest.mark.parametrize(
    "reason", [code for codes in reasons.FACTOR_REASONS.values() for code in codes]
)
def test_every_reason_code_of_the_engine_has_its_own_sentence(reason):
    text = _say(reason, {}, 0.5)
    assert text.endswith("(+0.5)")
    assert "fit" not in text  # not the generic fallback


def test_an_unknown_reason_code_falls_back_to_a_plain_sentence():
    assert (
        _say("new_code_2027", {"x": 1}, 0.7, factor="distance", value=0.35)
        == "Distance: 35 % fit (+0.7)"
    )


def test_a_negative_contribution_is_shown_with_its_sign():
    assert _say(reasons.NO_SHARED_LANGUAGE, {}, -0.26).endswith("(−0.3)")


@pytest.mark.parametrize(
    ("reason", "details", "expected"),
    [
        (
            reasons.NO_ACCEPTABLE_CONTACT,
            {"excluded_by": {reasons.GENDER_MUST_NOT_MET: 3, reasons.AVOID_CONTACT: 1}},
            "Ruled out by: the gender that is a must (3 contacts) and the previous contact",
        ),
        (
            reasons.BELOW_MINIMUM_SCORE,
            {"best_score": 2.04, "min_score": 4},
            "scores 2.0, below the lowest acceptable 4.0",
        ),
        (reasons.NO_CAPACITY, {"acceptable_contacts": 2, "full": 2}, "All 2 suitable contacts"),
        (
            reasons.LOCKED_PAIR_NOT_POSSIBLE,
            {"contact_id": 3, "why": [reasons.NO_PLACES]},
            "The locked pair is not possible. Because of no places left.",
        ),
        ("no_contacts", {}, "No contact is available"),
        ("something_new", {}, "Not matched (something new)."),
    ],
)
def test_unmatched_participants_get_the_reason_in_words(reason, details, expected):
    assert expected in explain_unmatched(reason, details)


def test_a_participant_with_two_programmes_is_matched_per_referral(cast):
    other = f.ProgrammeFactory(municipality=cast.a, name="Frisklivsresept")
    s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    s.waiting(other, participant=referral.participant)
    run = _run(cast)
    assert [p.referral_id for p in run.proposals.all()] == [referral.pk]


def test_numbers_follow_the_language_of_the_page():
    from django.utils import translation

    with translation.override("nb"):
        text = _say(reasons.BY_DISTANCE, {"km": 3.24}, 1.6)
    assert "3,2 km" in text and text.endswith("(+1,6)")
