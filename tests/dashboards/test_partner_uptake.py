"""Adoption → partner uptake: partners with an agreement in force (by kind), partners that took
participants over in the year, hand-overs by destination, referring organisations by source.
Partner and organisation counts are organisations, not persons: shown as they are, except where
the persons behind them are 1–4 (rule 4); hand-overs are persons, under the small-cell rule."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.dashboards.refresh import refresh_municipality, source_mark
from kobling.dashboards.selectors import build_report
from kobling.followup import services as followup
from kobling.followup.models import Pairing
from kobling.referrals.models import Referral
from tests import factories as f
from tests.conftest import signed_in
from tests.dashboards.builders import build_year
from tests.partners.builders import agreement, partner

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1


@pytest.fixture
def world(cast):
    built = build_year(cast.programme_a, YEAR)
    other = f.ProgrammeFactory(municipality=cast.a, name="Aktiv på dagtid")
    gym = partner(cast.a, name="Aby Treningssenter", kind="gym", programmes=[cast.programme_a])
    agreement(gym, ends=400)  # in force
    club = partner(cast.a, name="Aby IL", kind="sports_club")  # no programmes: all of them
    agreement(club, ends=30)  # ending soon: still in force
    centre = partner(cast.a, name="Frisklivssentralen", kind="frisklivssentral")
    agreement(centre, starts=-700, ends=-5)  # expired
    agreement(partner(cast.b, name="Bestad IL"), ends=400)
    # Pairs 2–5 end in July: two to the gym, two to the club.
    for i, (destination, taker) in enumerate(
        [("gym", gym), ("gym", gym), ("sports_club", club), ("sports_club", club)], start=1
    ):
        followup.pairing_end(
            pairing=built.pairings[i],
            by=None,
            reason="goal_reached",
            handover_destination=destination,
            handover_partner=taker,
            ended_on=dt.date(YEAR, 7, 1),
        )
    organisations = ["Aby legesenter", " aby  LEGESENTER", "Fjell legekontor", "", "", "", ""]
    for referral, name in zip(built.referrals, organisations, strict=True):
        Referral.objects.filter(pk=referral.pk).update(referrer_organisation=name)
    return {"built": built, "gym": gym, "club": club, "other": other}


def rows(report, key):
    return {row[0]: row[1:] for row in report.table(key).rows}


def _report(cast, programme=None):  # noqa: ANN001, ANN202
    refresh_municipality(cast.a.pk)
    return build_report(programme or cast.programme_a, YEAR)


def test_partners_in_force_count_organisations_by_kind_and_programme(cast, world):
    report = _report(cast)
    summary = rows(report, "adoption_partners")
    assert summary["Partners with an agreement in force now (organisations)"] == [2]
    by_kind = rows(report, "adoption_partners_kind")
    assert by_kind["Gym or training centre"][0] == 1
    assert by_kind["Sports club"][0] == 1
    assert "Healthy life centre" not in by_kind  # expired, and took nobody over
    assert by_kind["All kinds"][0] == 2
    # The club lists no programme, so it counts for the other programme too; the gym does not.
    other = rows(_report(cast, world["other"]), "adoption_partners_kind")
    assert other["All kinds"][0] == 1
    assert other["Sports club"][0] == 1


def test_few_persons_hide_the_partners_that_took_them_over(cast, world):
    # Four persons went to partners: "<5" — and "2 partners took them over" is hidden too,
    # since it describes those four.
    summary = rows(_report(cast), "adoption_partners")
    assert summary["Participants handed over to a partner in the year (persons)"] == ["<5"]
    assert summary["Partners that took participants over in the year (organisations)"] == ["<5"]


def test_partners_that_took_over_five_or_more_persons_are_shown(cast, world):
    first = world["built"].pairings[0]  # ended 1 June to a gym, no partner recorded
    Pairing.objects.filter(pk=first.pk).update(handover_partner=world["gym"])
    report = _report(cast)
    summary = rows(report, "adoption_partners")
    assert summary["Participants handed over to a partner in the year (persons)"] == [5]
    assert summary["Partners that took participants over in the year (organisations)"] == [2]
    by_kind = rows(report, "adoption_partners_kind")
    # Three persons to the gym, two to the club: each kind describes fewer than five.
    assert by_kind["Gym or training centre"] == [1, "<5"]
    assert by_kind["Sports club"] == [1, "<5"]
    assert by_kind["All kinds"] == [2, 2]


def test_hand_overs_by_destination_are_persons_under_the_small_cell_rule(cast, world):
    handovers = rows(_report(cast), "adoption_handovers")
    # Six ended pairings: three to a gym, two to a club, one to nowhere — all 1–4.
    assert handovers == {
        "Gym / fitness centre": ["<5", "<5"],
        "Sports club or team": ["<5", "<5"],
        "None": ["<5", "<5"],
        "All ended pairings": [6, None],
    }


def test_hand_over_shares_are_shown_when_the_cells_are_large_enough(cast):
    # Two built years' worth of pairs in one year: each ends pair 1 to a gym and pair 6 to
    # nowhere; pairs 2–5 end to a gym in the first, to nowhere in the second.
    for destination in ("gym", "none"):
        built = build_year(cast.programme_a, YEAR)
        for p in built.pairings[1:5]:
            followup.pairing_end(
                pairing=p,
                by=None,
                reason="goal_reached",
                handover_destination=destination,
                ended_on=dt.date(YEAR, 7, 1),
            )
    handovers = rows(_report(cast), "adoption_handovers")
    assert handovers == {
        "Gym / fitness centre": [6, Decimal("50.0")],
        "None": [6, Decimal("50.0")],
        "All ended pairings": [12, None],
    }


def test_a_lone_small_destination_takes_the_next_smallest_with_it(cast):
    built = build_year(cast.programme_a, YEAR)
    for p in built.pairings[1:5]:
        followup.pairing_end(
            pairing=p,
            by=None,
            reason="goal_reached",
            handover_destination="gym",
            ended_on=dt.date(YEAR, 7, 1),
        )
    handovers = rows(_report(cast), "adoption_handovers")
    # Five to a gym, one to nowhere: the lone one hides, and takes the gym with it (rule 2).
    assert handovers["None"] == ["<5", "<5"]
    assert handovers["Gym / fitness centre"] == ["<5", "<5"]
    assert handovers["All ended pairings"] == [6, None]


def test_referring_organisations_are_distinct_names_per_source(cast, world):
    referrers = rows(_report(cast), "adoption_referrers")
    # "Aby legesenter" twice (case and spaces differ) and "Fjell legekontor": two, from
    # seven GP referrals.
    assert referrers == {
        "General practitioner (fastlege)": [2],
        "All sources (distinct)": [2],
    }


def test_referring_organisations_hide_when_the_referrals_behind_them_are_few(cast):
    for i in range(3):
        r = f.ReferralFactory(programme=cast.programme_a, source="nav")
        Referral.objects.filter(pk=r.pk).update(
            referrer_organisation=f"NAV kontor {i}",
            received_at=timezone.make_aware(dt.datetime(YEAR, 2, 1, 12)),
        )
    referrers = rows(_report(cast), "adoption_referrers")
    assert referrers["NAV"] == ["<5"]
    assert referrers["All sources (distinct)"] == ["<5"]


def test_changing_a_partner_or_an_agreement_moves_the_refresh_mark(cast, world):
    before = source_mark(cast.a.pk)
    agreement(world["gym"], starts=-10, kind="oral")
    after = source_mark(cast.a.pk)
    assert before["agreements"] != after["agreements"]
    partner(cast.a, name="Ny partner")
    assert after["partners"] != source_mark(cast.a.pk)["partners"]


def test_the_tables_reach_the_page_the_csv_and_the_api(cast, api, world):
    refresh_municipality(cast.a.pk)
    client = signed_in(cast.coordinator_a)
    page = client.get(reverse("web:dashboard", args=[cast.programme_a.pk]) + f"?year={YEAR}")
    html = page.content.decode()
    assert "Partner uptake" in html
    assert "Hand-overs by destination (persons)" in html
    csv_url = reverse("web:dashboard_csv", args=[cast.programme_a.pk])
    body = client.get(f"{csv_url}?year={YEAR}&table=adoption_partners").content.decode()
    assert "Partners with an agreement in force now (organisations),2" in body
    assert "Participants handed over to a partner in the year (persons),<5" in body
    response = api(cast.coordinator_a).get(
        f"/api/v1/dashboards/reaim/?programme={cast.programme_a.pk}&year={YEAR}"
    )
    adoption = next(s for s in response.json()["sections"] if s["key"] == "adoption")
    keys = [t["key"] for t in adoption["tables"]]
    assert keys == [
        "adoption",
        "adoption_status",
        "adoption_partners",
        "adoption_partners_kind",
        "adoption_handovers",
        "adoption_referrers",
    ]
    partners = next(t for t in adoption["tables"] if t["key"] == "adoption_partners")
    assert partners["rows"][2] == [
        "Participants handed over to a partner in the year (persons)",
        "<5",
    ]
