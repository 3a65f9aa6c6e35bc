"""The pure matching engine: each factor and hard constraint by hand, the assignment, locks and
forbids, and — on small random problems — equality with brute force (hypothesis)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kobling.matching.engine import (
    Constraints,
    ContactSpec,
    ParticipantSpec,
    TimeWindow,
    Weights,
    explain_pair,
    match,
    match_with_problem,
    reasons,
)
from kobling.matching.engine.scoring import (
    DEFAULT_LIMIT_KM,
    SCORE_EPS,
    distance_km,
    pair_violations,
    score_matrix,
)
from kobling.matching.engine.synthetic import generate

ONLY_ACTIVITY = Weights(
    activity=1, distance=0, availability=0, target_group=0, preferences=0, language=0
)
KM_PER_DEG_LAT = 6371.0088 * math.pi / 180


def person(pid: int = 1, **kw) -> ParticipantSpec:
    return ParticipantSpec(id=pid, **kw)


def contact(cid: int = 100, capacity: int = 1, **kw) -> ContactSpec:
    return ContactSpec(id=cid, capacity=capacity, **kw)


def factor(p: ParticipantSpec, c: ContactSpec, name: str, weights: Weights = Weights()):
    found = {f.factor: f for f in explain_pair(p, c, weights).factors}[name]
    # The vectorised path (used for the assignment and for proposals) says the same.
    table = score_matrix([p], [c], weights)
    assert table.score[0, 0] == pytest.approx(explain_pair(p, c, weights).score, abs=1e-9)
    return found


def same_factors(a, b) -> bool:
    """Equal factors, with values equal up to rounding (the vectorised and the one-pair paths
    add the same terms in a different order)."""
    return len(a) == len(b) and all(
        (x.factor, x.weight, x.reason, x.details) == (y.factor, y.weight, y.reason, y.details)
        and math.isclose(x.value, y.value, abs_tol=1e-12)
        and math.isclose(x.contribution, y.contribution, abs_tol=1e-11)
        for x, y in zip(a, b, strict=True)
    )


def pairs(result) -> set[tuple[int, int]]:
    return {(x.participant_id, x.contact_id) for x in result.proposals}


def unmatched(result) -> dict[int, str]:
    return {u.participant_id: u.reason for u in result.unmatched}


# --- factors ---------------------------------------------------------------------------------


def test_activity_is_the_share_of_the_participants_activities_the_contact_shares():
    p = person(activities=frozenset({"walking", "swimming", "yoga", "dance"}))
    c = contact(activities=frozenset({"swimming", "walking", "skiing"}))
    f = factor(p, c, "activity")
    assert f.value == 0.5
    assert f.reason == reasons.SHARED_ACTIVITIES
    assert f.details == {"shared": ["swimming", "walking"]}
    assert f.contribution == 0.5 * Weights().activity


def test_no_activity_in_common_scores_zero_and_no_activities_asked_is_neutral():
    c = contact(activities=frozenset({"skiing"}))
    none_shared = factor(person(activities=frozenset({"walking"})), c, "activity")
    assert (none_shared.value, none_shared.reason) == (0.0, reasons.NO_SHARED_ACTIVITIES)
    neutral = factor(person(), c, "activity")
    assert (neutral.value, neutral.reason) == (0.5, reasons.NO_ACTIVITY_PREFERENCE)


def test_distance_falls_linearly_to_zero_at_the_participants_limit():
    p = person(lat=63.0, lon=10.0, max_travel_km=10.0)
    c = contact(lat=63.0 + 5 / KM_PER_DEG_LAT, lon=10.0)
    f = factor(p, c, "distance")
    assert f.value == pytest.approx(0.5, abs=1e-4)
    assert f.reason == reasons.BY_DISTANCE
    assert f.details == {"km": 5.0, "limit_km": 10.0}


def test_distance_uses_the_default_limit_when_the_participant_gave_none():
    p = person(lat=63.0, lon=10.0)
    c = contact(lat=63.0, lon=10.3)
    km = distance_km(63.0, 10.0, 63.0, 10.3)
    f = factor(p, c, "distance")
    assert f.value == pytest.approx(max(0.0, 1 - km / DEFAULT_LIMIT_KM))
    far = factor(p, contact(lat=64.0, lon=10.0), "distance")
    assert far.value == 0.0


def test_without_coordinates_distance_falls_back_to_postcode_proximity():
    p = person(postcode="7010", lat=63.0, lon=10.0)
    cases = {"7010": 1.0, "7015": 0.6, "7500": 0.2, "5003": 0.0}
    for code, value in cases.items():
        f = factor(p, contact(postcode=code), "distance")
        assert (f.value, f.reason) == (value, reasons.BY_POSTCODE)
    assert factor(p, contact(postcode="7015"), "distance").details == {"match": "same_area"}


def test_a_missing_location_is_neutral():
    f = factor(person(), contact(postcode="7010"), "distance")
    assert (f.value, f.reason, f.details) == (
        0.5,
        reasons.LOCATION_UNKNOWN,
        {"missing": "participant"},
    )


def test_availability_is_the_overlap_over_the_participants_own_minutes():
    p = person(
        windows=(
            TimeWindow(0, 600, 720),  # Monday 10–12
            TimeWindow(0, 660, 700),  # inside the first: counted once
            TimeWindow(2, 600, 660),  # Wednesday 10–11
        )
    )
    c = contact(windows=(TimeWindow(0, 660, 780), TimeWindow(2, 630, 900)))
    f = factor(p, c, "availability")
    assert f.value == pytest.approx(90 / 180)
    assert f.reason == reasons.OVERLAPPING_TIME
    assert f.details == {"minutes": 90, "of_minutes": 180}


def test_no_overlap_scores_zero_and_missing_windows_are_neutral():
    p = person(windows=(TimeWindow(0, 600, 720),))
    apart = factor(p, contact(windows=(TimeWindow(1, 600, 720),)), "availability")
    assert (apart.value, apart.reason) == (0.0, reasons.NO_OVERLAPPING_TIME)
    unknown = factor(p, contact(), "availability")
    assert (unknown.value, unknown.details) == (0.5, {"missing": "contact"})
    assert factor(person(), contact(), "availability").details == {"missing": "participant"}


def test_target_group_is_the_share_of_the_participants_groups_the_contact_knows():
    p = person(target_groups=frozenset({"elderly", "mental_health"}))
    c = contact(target_groups=frozenset({"elderly", "youth"}))
    f = factor(p, c, "target_group")
    assert (f.value, f.reason, f.details) == (
        0.5,
        reasons.TARGET_GROUP_COMPETENCE,
        {"shared": ["elderly"]},
    )
    assert factor(person(), c, "target_group").value == 0.5


def test_preferences_count_only_soft_wishes():
    p = person(preferred_gender="female", contact_age_min=30, contact_age_max=40)
    c = contact(gender="female", age=55)
    f = factor(p, c, "preferences")
    assert (f.value, f.reason, f.details) == (
        0.5,
        reasons.SOME_WISHES_MET,
        {"met": ["gender"], "unmet": ["age"]},
    )
    must = person(preferred_gender="female", gender_must=True)
    assert factor(must, c, "preferences").reason == reasons.NO_WISHES
    assert factor(person(), c, "preferences").value == 1.0
    unknown_age = factor(person(contact_age_min=30), contact(age=None), "preferences")
    assert (unknown_age.value, unknown_age.reason) == (0.0, reasons.NO_WISHES_MET)


def test_language_is_one_when_the_contact_speaks_a_language_asked_for():
    p = person(languages=frozenset({"ar", "so"}))
    yes = factor(p, contact(languages=frozenset({"nb", "ar"})), "language")
    assert (yes.value, yes.reason, yes.details) == (
        1.0,
        reasons.SHARED_LANGUAGE,
        {"shared": ["ar"]},
    )
    no = factor(p, contact(languages=frozenset({"nb"})), "language")
    assert (no.value, no.reason, no.details) == (
        0.0,
        reasons.NO_SHARED_LANGUAGE,
        {"asked": ["ar", "so"]},
    )
    assert factor(person(), contact(), "language").value == 1.0


def test_the_score_is_the_weighted_sum_of_the_factors():
    p = person(activities=frozenset({"walking", "yoga"}), languages=frozenset({"nb"}))
    c = contact(activities=frozenset({"walking"}), languages=frozenset({"nb"}))
    weights = Weights(
        activity=4, distance=1, availability=0, target_group=2, preferences=1, language=3
    )
    explained = explain_pair(p, c, weights)
    # activity ½, distance unknown ½, target group neutral ½, no wishes 1, language 1
    assert explained.score == pytest.approx(4 * 0.5 + 1 * 0.5 + 2 * 0.5 + 1 * 1 + 3 * 1)
    assert [f.factor for f in explained.factors] == [
        "activity",
        "distance",
        "availability",
        "target_group",
        "preferences",
        "language",
    ]
    [proposal] = match([p], [c], weights).proposals
    assert proposal.score == pytest.approx(explained.score)
    assert same_factors(proposal.factors, explained.factors)


# --- hard constraints --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("participant", "contact_kw", "code"),
    [
        (
            person(preferred_gender="male", gender_must=True),
            {"gender": "female"},
            "gender_must_not_met",
        ),
        (person(preferred_gender="male", gender_must=True), {"gender": ""}, "gender_must_not_met"),
        (
            person(contact_age_min=20, contact_age_max=30, age_must=True),
            {"age": 31},
            "age_must_not_met",
        ),
        (person(contact_age_max=30, age_must=True), {"age": None}, "age_must_not_met"),
        (
            person(languages=frozenset({"so"}), language_must=True),
            {"languages": frozenset({"nb"})},
            "language_must_not_met",
        ),
        (
            person(lat=63.0, lon=10.0, max_travel_km=5),
            {"lat": 63.1, "lon": 10.0},
            "beyond_max_travel",
        ),
        (person(avoid_contacts=frozenset({100})), {}, "avoid_contact"),
    ],
)
def test_a_pair_breaking_a_hard_constraint_is_never_proposed(participant, contact_kw, code):
    c = contact(**contact_kw)
    assert code in pair_violations(participant, c)
    result = match([participant], [c])
    assert result.proposals == ()
    [u] = result.unmatched
    assert u.reason == reasons.NO_ACCEPTABLE_CONTACT
    assert u.details == {"excluded_by": {code: 1}}


def test_met_musts_and_a_distance_within_the_limit_are_fine():
    p = person(
        preferred_gender="female",
        gender_must=True,
        contact_age_min=20,
        contact_age_max=30,
        age_must=True,
        languages=frozenset({"so"}),
        language_must=True,
        lat=63.0,
        lon=10.0,
        max_travel_km=5,
    )
    c = contact(gender="female", age=30, languages=frozenset({"so", "nb"}), lat=63.01, lon=10.0)
    assert pair_violations(p, c) == ()
    assert pairs(match([p], [c])) == {(1, 100)}


def test_the_travel_limit_is_not_applied_without_coordinates_on_both_sides():
    p = person(lat=63.0, lon=10.0, max_travel_km=1, postcode="7010")
    assert pairs(match([p], [contact(postcode="9000")])) == {(1, 100)}


def test_a_forbidden_pair_is_never_proposed_but_others_are():
    p = person(activities=frozenset({"walking"}))
    best = contact(100, activities=frozenset({"walking"}))
    other = contact(101)
    result = match([p], [best, other], constraints=Constraints(forbidden=frozenset({(1, 100)})))
    assert pairs(result) == {(1, 101)}


def test_a_contact_without_places_takes_nobody():
    result = match([person()], [contact(capacity=0)])
    assert result.proposals == ()
    assert unmatched(result) == {1: reasons.NO_CAPACITY}
    assert result.unmatched[0].details == {"acceptable_contacts": 1}


# --- the assignment ----------------------------------------------------------------------------


def test_the_assignment_is_optimal_for_everyone_at_once_not_greedy():
    # Greedy would give contact 100 to participant 1 (3 > 2 shared activities) and leave 2
    # with nothing; together they do better when 1 takes 101.
    p1 = person(1, activities=frozenset({"a", "b", "c"}))
    p2 = person(2, activities=frozenset({"a", "b", "c"}))
    c1 = contact(100, activities=frozenset({"a", "b", "c"}))
    c2 = contact(101, activities=frozenset({"a", "b"}))
    result = match([p1, p2], [c1, c2], ONLY_ACTIVITY, min_score=0.5)
    assert len(result.proposals) == 2
    assert result.objective == pytest.approx(1 + 2 / 3)
    blocked = Constraints(forbidden=frozenset({(2, 101)}))
    assert pairs(match([p1, p2], [c1, c2], ONLY_ACTIVITY, blocked)) == {(1, 101), (2, 100)}


def test_a_contact_with_two_places_may_take_two():
    ps = [person(i, activities=frozenset({"a"})) for i in (1, 2, 3)]
    c = contact(100, capacity=2, activities=frozenset({"a"}))
    result = match(ps, [c], ONLY_ACTIVITY)
    assert len(result.proposals) == 2
    assert unmatched(result) == {3: reasons.NO_CAPACITY}


def test_below_the_minimum_score_the_participant_is_left_unmatched():
    p = person(activities=frozenset({"a", "b"}))
    c = contact(activities=frozenset({"a"}))
    result = match([p], [c], ONLY_ACTIVITY, min_score=0.75)
    assert result.proposals == ()
    [u] = result.unmatched
    assert (u.reason, u.details) == (
        reasons.BELOW_MINIMUM_SCORE,
        {"best_score": 0.5, "min_score": 0.75},
    )
    assert pairs(match([p], [c], ONLY_ACTIVITY, min_score=0.5)) == {(1, 100)}


def test_a_zero_score_pair_is_still_given_when_a_place_is_free():
    zero = Weights(
        activity=0, distance=0, availability=0, target_group=0, preferences=0, language=0
    )
    result = match([person(1), person(2)], [contact(100, capacity=2)], zero)
    assert pairs(result) == {(1, 100), (2, 100)}
    assert result.objective == 0


def test_a_locked_pair_is_kept_even_when_another_would_score_higher():
    p = person(activities=frozenset({"a"}))
    good, plain = contact(100, activities=frozenset({"a"})), contact(101)
    result = match([p], [good, plain], constraints=Constraints(locked=frozenset({(1, 101)})))
    [proposal] = result.proposals
    assert (proposal.contact_id, proposal.locked) == (101, True)


def test_a_locked_pair_takes_one_of_the_contacts_places():
    ps = [person(1), person(2, activities=frozenset({"a"}))]
    c = contact(100, capacity=1, activities=frozenset({"a"}))
    result = match(ps, [c], constraints=Constraints(locked=frozenset({(1, 100)})))
    assert pairs(result) == {(1, 100)}
    assert unmatched(result) == {2: reasons.NO_CAPACITY}


@pytest.mark.parametrize(
    ("participant", "contacts", "why"),
    [
        (
            person(preferred_gender="male", gender_must=True),
            [contact(gender="female")],
            ["gender_must_not_met"],
        ),
        (person(), [contact(capacity=0)], ["no_places"]),
        (person(), [], ["contact_not_in_run"]),
    ],
)
def test_an_impossible_lock_leaves_the_participant_unmatched_with_the_reason(
    participant, contacts, why
):
    result = match(
        [participant],
        [*contacts, contact(101)],
        constraints=Constraints(locked=frozenset({(1, 100)})),
    )
    assert result.proposals == ()
    [u] = result.unmatched
    assert (u.reason, u.details) == (
        reasons.LOCKED_PAIR_NOT_POSSIBLE,
        {"contact_id": 100, "why": why},
    )


def test_a_forbidden_lock_is_not_possible():
    both = Constraints(locked=frozenset({(1, 100)}), forbidden=frozenset({(1, 100)}))
    [u] = match([person()], [contact()], constraints=both).unmatched
    assert u.details == {"contact_id": 100, "why": ["forbidden_pair"]}


def test_the_result_is_sorted_and_does_not_depend_on_the_order_of_the_input():
    problem = generate(30, 20, seed=3)
    a = match(problem.participants, problem.contacts, constraints=problem.constraints)
    b = match(problem.participants[::-1], problem.contacts[::-1], constraints=problem.constraints)
    assert a == b
    ids = [x.participant_id for x in a.proposals]
    assert ids == sorted(ids)
    assert a.objective == pytest.approx(sum(x.score for x in a.proposals))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="appears twice"):
        match([person(1), person(1)], [])
    with pytest.raises(ValueError, match="weight"):
        match([], [], Weights(activity=-1))
    with pytest.raises(ValueError, match="ends before"):
        match([person(windows=(TimeWindow(0, 600, 500),))], [contact()])
    with pytest.raises(ValueError, match="outside"):
        match([person(windows=(TimeWindow(7, 600, 700),))], [contact()])


def test_nothing_to_match_gives_an_empty_result():
    assert match([], [contact()]).proposals == ()
    result = match([person()], [])
    assert unmatched(result) == {1: reasons.NO_ACCEPTABLE_CONTACT}


def test_a_few_hundred_on_each_side_are_matched_quickly_and_validly():
    problem = generate(300, 300, seed=1)
    solved = match_with_problem(
        problem.participants, problem.contacts, constraints=problem.constraints
    )
    result = solved.result
    by_id = {c.id: c for c in problem.contacts}
    people = {p.id: p for p in problem.participants}
    taken: dict[int, int] = {}
    for x in result.proposals:
        taken[x.contact_id] = taken.get(x.contact_id, 0) + 1
        assert not pair_violations(
            people[x.participant_id], by_id[x.contact_id], problem.constraints.forbidden
        )
    assert all(n <= by_id[c].capacity for c, n in taken.items())
    assert len(result.proposals) + len(result.unmatched) == 300
    # The matrix the solver saw: one row per free participant, slots plus unmatched columns.
    cost = solved.problem.cost
    assert cost.shape[1] == len(solved.problem.slot_contact) + cost.shape[0]


# --- property tests: small random problems against brute force -------------------------------

CODES = ("a", "b", "c", "d")
LANGS = ("nb", "ar", "so")
# Pairwise 0 to ~30 km apart, so that travel limits of 0.5–20 km and the default 15 km bite.
PLACES = (
    None,
    (63.0, 10.0),
    (63.0, 10.0),
    (63.01, 10.02),
    (63.04, 10.0),
    (63.1, 10.0),
    (63.2, 10.4),
)
POSTCODES = ("", "7010", "7011", "7020", "7100", "5000")

codes = st.frozensets(st.sampled_from(CODES), max_size=3)
windows = st.lists(
    st.builds(
        lambda d, s, n: TimeWindow(d, s * 60, min(s * 60 + n * 30, 1440)),
        st.integers(0, 2),
        st.integers(8, 12),
        st.integers(0, 6),
    ),
    max_size=3,
).map(tuple)


@st.composite
def people(draw, cls, pid, **extra):
    place = draw(st.sampled_from(PLACES))
    return cls(
        id=pid,
        activities=draw(codes),
        target_groups=draw(codes),
        windows=draw(windows),
        lat=place[0] if place else None,
        lon=place[1] if place else None,
        postcode=draw(st.sampled_from(POSTCODES)),
        languages=draw(st.frozensets(st.sampled_from(LANGS), max_size=2)),
        **{k: draw(v) for k, v in extra.items()},
    )


@st.composite
def problems(draw):
    n_p = draw(st.integers(0, 5))
    n_c = draw(st.integers(0, 4))
    c_ids = [100 + j for j in range(n_c)]
    maybe_age = st.one_of(st.none(), st.integers(20, 70))
    sometimes = st.sampled_from([False, False, False, True])  # musts rule out a lot
    ps = [
        draw(
            people(
                ParticipantSpec,
                1 + i,
                max_travel_km=st.one_of(st.none(), st.sampled_from([0.5, 3.0, 8.0, 20.0])),
                preferred_gender=st.sampled_from(["", "female", "male"]),
                gender_must=sometimes,
                contact_age_min=maybe_age,
                contact_age_max=maybe_age,
                age_must=sometimes,
                language_must=sometimes,
                avoid_contacts=st.frozensets(st.sampled_from(c_ids), max_size=1)
                if c_ids
                else st.just(frozenset()),
            )
        )
        for i in range(n_p)
    ]
    cs = [
        draw(
            people(
                ContactSpec,
                c_id,
                capacity=st.integers(0, 2),
                gender=st.sampled_from(["", "female", "male"]),
                age=maybe_age,
            )
        )
        for c_id in c_ids
    ]
    all_pairs = [(p.id, c) for p in ps for c in c_ids] + [(1, 999)]
    pair_sets = st.frozensets(st.sampled_from(all_pairs), max_size=3)
    constraints = Constraints(locked=draw(pair_sets), forbidden=draw(pair_sets))
    weights = draw(
        st.one_of(
            st.just(Weights()),
            st.builds(Weights, *[st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])] * 6),
        )
    )
    min_score = draw(st.sampled_from([0.0, 0.0, 2.0, 4.0, 6.0]))
    return ps, cs, weights, constraints, min_score


def brute_force_objective(ps, cs, weights, constraints, min_score) -> float:
    """The best objective by enumeration, with the engine's lock rule: locks in (participant,
    contact) order, the first possible lock of a participant holds and takes a place; a
    participant whose locks are all impossible is not matched."""
    places = {c.id: c.capacity for c in cs}
    by_id = {c.id: c for c in cs}
    people_by_id = {p.id: p for p in ps}
    held: dict[int, int] = {}
    tried: set[int] = set()
    for pid, cid in sorted(constraints.locked):
        if pid not in people_by_id or pid in held:
            continue
        tried.add(pid)
        c = by_id.get(cid)
        if (
            c is None
            or pair_violations(people_by_id[pid], c, constraints.forbidden)
            or places[cid] <= 0
        ):
            continue
        held[pid] = cid
        places[cid] -= 1
    fixed = sum(explain_pair(people_by_id[p], by_id[c], weights).score for p, c in held.items())
    free = [p for p in ps if p.id not in tried]
    options = []
    for p in free:
        good = [None]
        for c in cs:
            e = explain_pair(p, c, weights, constraints.forbidden)
            if not e.violations and e.score >= min_score - SCORE_EPS:
                good.append((c.id, e.score))
        options.append(good)
    best = 0.0
    for combo in itertools.product(*options):
        used: dict[int, int] = {}
        total = 0.0
        for choice in combo:
            if choice is not None:
                used[choice[0]] = used.get(choice[0], 0) + 1
                total += choice[1]
        if all(n <= places[c] for c, n in used.items()):
            best = max(best, total)
    return fixed + best


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_small_problems_match_brute_force_and_respect_every_rule(problem):
    ps, cs, weights, constraints, min_score = problem
    result = match(ps, cs, weights, constraints, min_score)
    # (a) optimal
    expected = brute_force_objective(ps, cs, weights, constraints, min_score)
    assert result.objective == pytest.approx(expected, abs=1e-9)
    people_by_id = {p.id: p for p in ps}
    by_id = {c.id: c for c in cs}
    # (b) capacity
    taken: dict[int, int] = {}
    for x in result.proposals:
        taken[x.contact_id] = taken.get(x.contact_id, 0) + 1
    assert all(n <= by_id[c].capacity for c, n in taken.items())
    # (c) hard constraints and forbids; the minimum score outside locks
    for x in result.proposals:
        p, c = people_by_id[x.participant_id], by_id[x.contact_id]
        assert pair_violations(p, c, constraints.forbidden) == ()
        assert (x.participant_id, x.contact_id) not in constraints.forbidden
        assert x.locked or x.score >= min_score - SCORE_EPS
        reference = explain_pair(p, c, weights)
        assert x.score == pytest.approx(reference.score, abs=1e-9)
        assert same_factors(x.factors, reference.factors)
    # (d) every lock that can hold does, in (participant, contact) order
    places = {c.id: c.capacity for c in cs}
    held: set[int] = set()
    for pid, cid in sorted(constraints.locked):
        if pid not in people_by_id or pid in held or cid not in by_id:
            continue
        if (
            pair_violations(people_by_id[pid], by_id[cid], constraints.forbidden)
            or places[cid] <= 0
        ):
            continue
        held.add(pid)
        places[cid] -= 1
        assert any(
            x.participant_id == pid and x.contact_id == cid and x.locked for x in result.proposals
        )
    # everyone is either proposed or unmatched, once
    seen = [x.participant_id for x in result.proposals] + [
        u.participant_id for u in result.unmatched
    ]
    assert sorted(seen) == sorted(people_by_id)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_the_vectorised_scores_equal_the_one_pair_reference(problem):
    ps, cs, weights, constraints, _ = problem
    table = score_matrix(ps, cs, weights, constraints.forbidden)
    for i, p in enumerate(ps):
        for j, c in enumerate(cs):
            e = explain_pair(p, c, weights, constraints.forbidden)
            assert table.score[i, j] == pytest.approx(e.score, abs=1e-9)
            assert bool(table.feasible[i, j]) == (not e.violations)
    if ps and cs:
        for name, n in table.excluded_by.items():
            expected = [
                sum(
                    name in explain_pair(p, c, weights, constraints.forbidden).violations
                    for c in cs
                )
                for p in ps
            ]
            assert n.tolist() == expected


def test_the_solved_cost_matrix_gives_the_engine_objective():
    from scipy.optimize import linear_sum_assignment

    problem = generate(80, 60, seed=5)
    solved = match_with_problem(
        problem.participants, problem.contacts, constraints=problem.constraints, min_score=3.0
    )
    rows, cols = linear_sum_assignment(solved.problem.cost)
    bare = solved.locked_score + solved.problem.objective(rows, cols)
    assert bare == pytest.approx(solved.result.objective, abs=1e-6)
    assert np.isfinite(solved.problem.cost).all()
