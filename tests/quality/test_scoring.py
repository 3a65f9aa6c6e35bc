"""The checklist as defined in code, and the scores and trend against hand-computed numbers."""

from decimal import Decimal

from kobling.quality.checklist import CHECKLIST, CHECKLISTS, checklist_for
from kobling.quality.scoring import score, trend


def test_the_checklist_has_the_six_domains_and_twenty_items_of_domain_section_5():
    assert [d.number for d in CHECKLIST.domains] == [1, 2, 3, 4, 5, 6]
    assert [len(d.items) for d in CHECKLIST.domains] == [5, 4, 3, 4, 2, 2]
    assert len(CHECKLIST.items) == 20
    assert len(set(CHECKLIST.item_codes)) == 20
    assert CHECKLIST.item("evaluation.dose").number == "6.2"
    assert CHECKLIST.domain_of("team.roles").number == 1
    assert all(str(i.text) and str(i.guidance) for i in CHECKLIST.items)
    assert checklist_for(CHECKLIST.version) is CHECKLIST and CHECKLIST.version in CHECKLISTS


def test_scores_per_domain_total_and_items_not_in_place_are_the_hand_computed_ones():
    # Domain 1 (5 items): 3, 3, 0, 1, 2 = 9 of 15 = 60.0 %; domain 6: 0 and 1 = 1 of 6 = 16.7 %;
    # every other item 2 (13 items = 26 points). Total 36 of 60 = 60.0 %; 2 items not in place.
    answers = {i.code: 2 for i in CHECKLIST.items}
    answers.update(
        {
            "team.steering_group": 3,
            "team.leaders": 3,
            "team.specialists": 0,
            "team.advisory_council": 1,
            "team.roles": 2,
            "evaluation.adherence": 0,
            "evaluation.dose": 1,
        }
    )
    s = score(CHECKLIST, answers)
    team, evaluation = s.domain("team"), s.domain("evaluation")
    assert (team.points, team.max_points, team.percent) == (9, 15, Decimal("60.0"))
    assert (evaluation.points, evaluation.max_points, evaluation.percent) == (
        1,
        6,
        Decimal("16.7"),
    )
    assert s.domain("plan").percent == Decimal("66.7")
    assert (s.points, s.max_points, s.percent) == (36, 60, Decimal("60.0"))
    assert s.not_in_place == 2 and s.complete


def test_unanswered_items_score_nothing_and_are_not_counted_as_not_in_place():
    s = score(CHECKLIST, {"team.roles": 3, "plan.timeline": 0, "unknown.item": 3})
    assert (s.points, s.answered, s.not_in_place, s.complete) == (3, 2, 1, False)
    assert s.domain("team").percent == Decimal("20.0")


def test_the_trend_compares_each_domain_with_the_year_assessed_before():
    low = score(CHECKLIST, {i.code: 1 for i in CHECKLIST.items})
    mixed = score(
        CHECKLIST, {i.code: (2 if i.code.startswith("team") else 1) for i in CHECKLIST.items}
    )
    dropped = score(
        CHECKLIST, {i.code: (2 if i.code.startswith("team") else 0) for i in CHECKLIST.items}
    )
    years = trend([(2025, 3, dropped), (2022, 1, low), (2023, 2, mixed)])
    assert [y.year for y in years] == [2022, 2023, 2025]
    assert years[0].changes["team"] is None and years[0].total_change is None
    assert years[1].changes["team"] == "up" and years[1].changes["plan"] == "same"
    assert years[1].total_change == "up" and years[1].previous_year == 2022
    assert years[2].changes["team"] == "same" and years[2].changes["plan"] == "down"
    assert years[2].previous_year == 2023
