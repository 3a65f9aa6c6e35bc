"""Reviews at the start, every N weeks and at the end: scores on the programme's instruments,
each stored with the instrument's code and version, checked against its range; corrections
supersede; the weekly minutes are compared with the recommendation for the participant's age;
and which reviews are due."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kobling.followup import services as followup
from kobling.followup.models import Pairing
from kobling.lib.errors import ConflictError
from kobling.outcomes import selectors, services
from kobling.outcomes.models import Instrument, Review, ReviewScore
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def post_review(client, pairing, **body):
    body.setdefault("kind", "periodic")
    body.setdefault("date", timezone.localdate().isoformat())
    return client.post(f"/api/v1/pairings/{pairing.pk}/reviews/", body, format="json")


def snapshot():
    return (Review.objects.count(), ReviewScore.objects.count())


# --- recording ----------------------------------------------------------------------------------


def test_a_review_stores_each_score_with_the_instruments_code_version_and_unit(cast, api, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå til butikken")
    response = post_review(
        api(cast.contact_user_a),
        pair,
        kind="start",
        date=b.days_ago(180).isoformat(),
        scores=[
            {"instrument": "activity_minutes", "value": 90},
            {"instrument": "self_rated_health", "value": 3},
            {"instrument": "mastery", "value": 5},
            {"instrument": "goal_attainment", "value": -1, "goal": goal.pk},
        ],
    )
    assert response.status_code == 201, response.data
    review = Review.objects.get()
    assert (review.kind, review.recorded_by) == ("start", cast.contact_user_a)
    rows = list(
        review.scores.order_by("instrument__position").values_list(
            "instrument_code", "instrument_version", "unit", "value", "goal"
        )
    )
    assert rows == [
        ("activity_minutes", "1", "min/uke", Decimal("90.00"), None),
        ("self_rated_health", "1", "1–5", Decimal("3.00"), None),
        ("mastery", "1", "1–10", Decimal("5.00"), None),
        ("goal_attainment", "1", "−2 til +2", Decimal("-1.00"), goal.pk),
    ]
    assert {s["instrument"]: s["version"] for s in response.data["scores"]} == {
        "activity_minutes": "1",
        "self_rated_health": "1",
        "mastery": "1",
        "goal_attainment": "1",
    }
    assert AuditEntry.objects.filter(object_type="outcomes.review", action="create").exists()


def test_a_new_instrument_version_leaves_old_scores_with_the_version_they_were_taken_with(pair):
    b.review(pair, kind="start", on=b.days_ago(100), mastery=4)
    Instrument.objects.filter(code="mastery").update(version="2")
    b.review(pair, on=b.days_ago(50), mastery=6)
    versions = list(
        ReviewScore.objects.order_by("review__date").values_list("instrument_version", flat=True)
    )
    assert versions == ["1", "2"]


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ({"instrument": "activity_minutes", "value": 3001}, "from 0 to 3000"),
        ({"instrument": "activity_minutes", "value": -1}, "from 0 to 3000"),
        ({"instrument": "activity_minutes", "value": "150.5"}, "Whole numbers only"),
        ({"instrument": "self_rated_health", "value": 6}, "from 1 to 5"),
        ({"instrument": "mastery", "value": 0}, "from 1 to 10"),
        ({"instrument": "six_minute_walk", "value": 400}, "not used by this programme"),
        ({"instrument": "no_such_thing", "value": 1}, "not used by this programme"),
        ({"instrument": "goal_attainment", "value": 0}, "per goal"),
        ({"instrument": "mastery", "value": 5, "goal": 1}, "not given per goal"),
    ],
)
def test_a_bad_score_is_400_naming_the_instrument_and_nothing_is_saved(
    cast, api, pair, score, message
):
    before = snapshot()
    response = post_review(api(cast.coordinator_a), pair, scores=[score])
    assert response.status_code == 400, response.data
    assert any(message in str(m) for m in response.data["scores"]), response.data
    assert snapshot() == before


def test_one_bad_score_among_good_ones_saves_none_of_them(cast, api, pair):
    response = post_review(
        api(cast.coordinator_a),
        pair,
        scores=[{"instrument": "mastery", "value": 5}, {"instrument": "mastery", "value": 6}],
    )
    assert response.status_code == 400 and "given twice" in str(response.data["scores"])
    assert snapshot() == (0, 0)


def test_goal_attainment_for_another_pairings_goal_is_refused(cast, api, pair, contact):
    other = b.pairing(cast.programme_a, contact)
    goal = services.goal_create(pairing=other, by=None, text="Sykle")
    response = post_review(
        api(cast.coordinator_a),
        pair,
        scores=[{"instrument": "goal_attainment", "value": 0, "goal": goal.pk}],
    )
    assert response.status_code == 400 and snapshot() == (0, 0)


def test_a_review_needs_at_least_one_score(cast, api, pair):
    response = post_review(api(cast.coordinator_a), pair, scores=[])
    assert response.status_code == 400 and "scores" in response.data


def test_no_review_before_the_pairing_has_started(cast, api, contact):
    confirmed = b.pairing(cast.programme_a, contact, started_days_ago=None)
    response = post_review(
        api(cast.coordinator_a),
        confirmed,
        kind="start",
        scores=[{"instrument": "mastery", "value": 5}],
    )
    assert response.status_code == 400 and "pairing" in response.data
    assert snapshot() == (0, 0)


def test_no_review_in_the_future_or_before_the_start(cast, api, pair):
    client = api(cast.coordinator_a)
    score = [{"instrument": "mastery", "value": 5}]
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    future = post_review(client, pair, date=tomorrow, scores=score)
    assert future.status_code == 400 and "future" in str(future.data["date"])
    early = post_review(client, pair, date=b.days_ago(191).isoformat(), scores=score)
    assert early.status_code == 400 and "before the pairing started" in str(early.data["date"])
    assert snapshot() == (0, 0)


def test_after_the_end_only_the_end_review_can_be_recorded(cast, contact):
    ended = b.pairing(cast.programme_a, contact, ended_days_ago=10)
    with pytest.raises(ValidationError) as error:
        b.review(ended, kind="periodic", mastery=5)
    assert "kind" in error.value.message_dict
    b.review(ended, kind="periodic", on=b.days_ago(20), mastery=5)  # while it lasted: fine
    end = b.review(ended, kind="end", mastery=8)
    assert end.kind == "end"


def test_a_second_start_review_is_refused_but_a_correction_replaces_it(cast, api, pair):
    start = b.review(pair, kind="start", on=b.days_ago(180), mastery=4)
    with pytest.raises(ValidationError) as error:
        b.review(pair, kind="start", on=b.days_ago(170), mastery=5)
    assert "kind" in error.value.message_dict
    client = api(cast.contact_user_a)
    no_reason = post_review(
        client,
        pair,
        kind="start",
        date=b.days_ago(180).isoformat(),
        supersedes=start.pk,
        scores=[{"instrument": "mastery", "value": 5}],
    )
    assert no_reason.status_code == 400 and "correction_reason" in no_reason.data
    corrected = post_review(
        client,
        pair,
        kind="start",
        date=b.days_ago(180).isoformat(),
        supersedes=start.pk,
        correction_reason="Skrev feil tall",
        scores=[{"instrument": "mastery", "value": 5}],
    )
    assert corrected.status_code == 201, corrected.data
    assert corrected.data["supersedes"] == start.pk
    assert list(Review.objects.current().values_list("pk", flat=True)) == [corrected.data["id"]]
    # The old one stays, marked as replaced.
    old = client.get(f"/api/v1/reviews/{start.pk}/").data
    assert old["superseded_by"] == corrected.data["id"]
    again = post_review(
        client,
        pair,
        kind="start",
        date=b.days_ago(180).isoformat(),
        supersedes=start.pk,
        correction_reason="Igjen",
        scores=[{"instrument": "mastery", "value": 6}],
    )
    assert again.status_code == 409
    assert Review.objects.count() == 2


def test_a_review_recorded_by_mistake_is_withdrawn_not_deleted(pair):
    review = b.review(pair, on=b.days_ago(30), mastery=5)
    void = services.review_withdraw(review=review, by=None, reason="Feil par")
    assert void.is_void and void.supersedes == review
    assert not Review.objects.current().exists()
    assert Review.objects.count() == 2
    with pytest.raises(ConflictError):
        services.review_withdraw(review=review, by=None, reason="Igjen")


# --- the recommendation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born_years_ago", "minutes", "meets", "recommended"),
    [
        (40, 150, True, 150),
        (40, 149, False, 150),
        (15, 300, False, 420),
        (15, 420, True, 420),
    ],
)
def test_weekly_minutes_are_compared_with_the_recommendation_for_the_age(
    cast, contact, born_years_ago, minutes, meets, recommended
):
    today = timezone.localdate()
    pairing = b.pairing(
        cast.programme_a,
        contact,
        birth_date=today.replace(year=today.year - born_years_ago) - dt.timedelta(days=200),
        guardian_email="forelder@example.test",
    )
    b.review(pairing, kind="start", on=b.days_ago(10), activity_minutes=minutes)
    latest = selectors.latest_review(pairing)
    assert (latest["meets_recommendation"], latest["recommended_minutes"]) == (meets, recommended)


def test_the_age_on_the_review_date_decides_the_recommendation(cast, contact):
    # 18 in 100 days: at the start review a minor, at the end an adult.
    today = timezone.localdate()
    birth = today.replace(year=today.year - 18) + dt.timedelta(days=100)
    pairing = b.pairing(
        cast.programme_a, contact, birth_date=birth, guardian_email="forelder@example.test"
    )
    b.review(pairing, kind="start", on=b.days_ago(180), activity_minutes=200)
    summary = selectors.outcome_summary(pairing)
    assert summary["start"]["recommended_minutes"] == 420
    assert summary["start"]["meets_recommendation"] is False


def test_without_minutes_the_recommendation_is_unknown(pair):
    b.review(pair, kind="start", on=b.days_ago(10), mastery=5)
    assert selectors.latest_review(pair)["meets_recommendation"] is None


# --- selectors for the referrer report ----------------------------------------------------------


def test_goal_progress_latest_review_and_summary(pair):
    walk = services.goal_create(pairing=pair, by=None, text="Gå til jobben")
    swim = services.goal_create(pairing=pair, by=None, text="Svømme")
    services.goal_update(goal=swim, by=None, status="dropped")
    b.review(
        pair,
        kind="start",
        on=b.days_ago(180),
        activity_minutes=60,
        mastery=3,
        self_rated_health=2,
        **{f"goal_{walk.pk}": -2},
    )
    b.review(pair, on=b.days_ago(130), activity_minutes=120, mastery=6, **{f"goal_{walk.pk}": -1})
    wrong = b.review(pair, on=b.days_ago(90), activity_minutes=999, **{f"goal_{walk.pk}": 2})
    services.review_withdraw(review=wrong, by=None, reason="Feil")

    progress = selectors.goal_progress(pair)
    assert [(g["text"], g["status"]) for g in progress] == [
        ("Gå til jobben", "open"),
        ("Svømme", "dropped"),
    ]
    assert progress[0]["latest_attainment"]["value"] == Decimal("-1")
    assert progress[0]["latest_attainment"]["date"] == b.days_ago(130)
    assert progress[0]["latest_attainment"]["label"]
    assert progress[1]["latest_attainment"] is None

    latest = selectors.latest_review(pair)
    assert (latest["date"], latest["kind"]) == (b.days_ago(130), "periodic")
    assert {s["instrument"]: s["value"] for s in latest["scores"] if not s["goal_id"]} == {
        "activity_minutes": Decimal("120"),
        "mastery": Decimal("6"),
    }
    assert all({"instrument", "version", "value", "unit"} <= set(s) for s in latest["scores"])
    assert latest["meets_recommendation"] is False

    summary = selectors.outcome_summary(pair)
    assert summary["start"]["date"] == b.days_ago(180)
    assert summary["end"] is None
    changes = {c["instrument"]: c["change"] for c in summary["changes"]}
    assert changes == {"activity_minutes": Decimal("60"), "mastery": Decimal("3")}


def test_a_pairing_without_reviews_has_empty_summaries(pair):
    assert selectors.latest_review(pair) is None
    assert selectors.goal_progress(pair) == []
    assert selectors.outcome_summary(pair) == {
        "start": None,
        "latest": None,
        "end": None,
        "changes": [],
    }


# --- due reviews --------------------------------------------------------------------------------


def test_which_reviews_are_due(cast, contact):
    today = timezone.localdate()
    no_start = b.pairing(cast.programme_a, contact, started_days_ago=3)
    recent = b.pairing(cast.programme_a, contact)
    b.review(recent, kind="start", on=b.days_ago(20), mastery=5)
    overdue = b.pairing(cast.programme_a, contact)
    b.review(overdue, kind="start", on=b.days_ago(180), mastery=5)
    b.review(overdue, on=b.days_ago(43), mastery=5)
    not_started = b.pairing(cast.programme_a, contact, started_days_ago=None)
    paused = b.pairing(cast.programme_a, contact, started_days_ago=3)
    followup.pairing_pause(pairing=paused, by=None)
    ended = b.pairing(cast.programme_a, contact, ended_days_ago=2)
    ended_reviewed = b.pairing(cast.programme_a, contact, ended_days_ago=2)
    b.review(ended_reviewed, kind="end", mastery=8)
    long_ago = b.pairing(cast.programme_a, contact, ended_days_ago=100)

    due = selectors.reviews_due(Pairing.objects.all(), today)

    assert due == {
        no_start.pk: b.days_ago(3),
        overdue.pk: b.days_ago(1),
        ended.pk: b.days_ago(2),
    }
    upcoming = selectors.next_reviews(Pairing.objects.all(), today)
    assert upcoming[recent.pk] == ("periodic", b.days_ago(20) + dt.timedelta(weeks=6))
    assert upcoming[paused.pk] == ("start", b.days_ago(3))
    for pk in (not_started.pk, ended_reviewed.pk, long_ago.pk):
        assert pk not in upcoming


def test_the_review_interval_comes_from_the_programme(cast, contact):
    cast.programme_a.review_interval_weeks = 4
    cast.programme_a.save()
    pairing = b.pairing(cast.programme_a, contact)
    b.review(pairing, kind="start", on=b.days_ago(29), mastery=5)
    assert selectors.reviews_due(Pairing.objects.all(), timezone.localdate()) == {
        pairing.pk: b.days_ago(1)
    }


def test_due_reviews_cost_the_same_queries_for_many_pairings(
    cast, contact, django_assert_max_num_queries
):
    for _ in range(3):
        b.review(b.pairing(cast.programme_a, contact), kind="start", on=b.days_ago(100), mastery=5)
    with django_assert_max_num_queries(1):
        selectors.next_reviews(Pairing.objects.all(), timezone.localdate())


def test_review_due_alerts_are_plain_dicts_for_those_who_record(cast, contact):
    mine = b.pairing(cast.programme_a, contact, started_days_ago=5)
    other_contact = b.roomy(f.make_active(cast.helper_a2))
    theirs = b.pairing(cast.programme_a, other_contact, started_days_ago=5)

    for_coordinator = selectors.review_due_alerts(cast.coordinator_a, [cast.a.pk])
    assert [a["pairing_id"] for a in for_coordinator] == sorted([mine.pk, theirs.pk])
    alert = for_coordinator[0]
    assert alert["kind"] == "review_due" and alert["review_kind"] == "start"
    assert alert["due_on"] == b.days_ago(5) and alert["municipality_id"] == cast.a.pk
    assert alert["url"] == reverse("web:review_create", args=[alert["pairing_id"]])

    assert [
        a["pairing_id"] for a in selectors.review_due_alerts(cast.contact_user_a, [cast.a.pk])
    ] == [mine.pk]
    assert selectors.review_due_alerts(cast.coordinator_b, [cast.a.pk, cast.b.pk]) == []
    assert selectors.review_due_alerts(cast.referrer_a, [cast.a.pk]) == []
    assert selectors.review_due_alerts(cast.coordinator_a, [cast.b.pk]) == []


# --- the pages ----------------------------------------------------------------------------------


def test_the_review_form_shows_the_programmes_instruments_with_ranges_and_the_goals(cast, pair):
    services.goal_create(pairing=pair, by=None, text="Gå opp trappa uten pause")
    page = signed_in(cast.contact_user_a).get(reverse("web:review_create", args=[pair.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for shown in (
        "Weekly minutes of moderate activity",
        "0–3000 min/uke",
        "Self-rated health",
        "Mastery and well-being",
        "Gå opp trappa uten pause",
        "Goal reached",
    ):
        assert shown in html, shown
    assert "6-minute walk" not in html  # functional tests are off by default
    assert 'name="score_activity_minutes"' in html and 'inputmode="numeric"' in html
    # No review yet: the start review is suggested.
    assert page.context["form"].initial["kind"] == "start"


def test_the_review_form_saves_a_review(cast, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    response = signed_in(cast.contact_user_a).post(
        reverse("web:review_create", args=[pair.pk]),
        {
            "kind": "start",
            "date": b.days_ago(1).isoformat(),
            "score_activity_minutes": "75",
            "score_self_rated_health": "3",
            "score_mastery": "",
            f"goal_{goal.pk}": "-1",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert {s.instrument_code: s.value for s in review.scores.all()} == {
        "activity_minutes": Decimal("75"),
        "self_rated_health": Decimal("3"),
        "goal_attainment": Decimal("-1"),
    }


def test_the_review_form_refuses_out_of_range_and_empty_answers(cast, pair):
    client = signed_in(cast.contact_user_a)
    url = reverse("web:review_create", args=[pair.pk])
    out_of_range = client.post(
        url, {"kind": "start", "date": b.days_ago(1).isoformat(), "score_activity_minutes": "5000"}
    )
    assert out_of_range.status_code == 400
    empty = client.post(url, {"kind": "start", "date": b.days_ago(1).isoformat()})
    assert empty.status_code == 400 and "at least one score" in empty.content.decode()
    future = client.post(
        url,
        {
            "kind": "start",
            "date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "score_mastery": "5",
        },
    )
    assert future.status_code == 400 and "future" in future.content.decode()
    assert snapshot() == (0, 0)


def test_the_review_page_says_when_the_pairing_has_not_started(cast, contact):
    confirmed = b.pairing(cast.programme_a, contact, started_days_ago=None)
    client = signed_in(cast.coordinator_a)
    page = client.get(reverse("web:review_create", args=[confirmed.pk]))
    assert "has not started" in page.content.decode()
    posted = client.post(
        reverse("web:review_create", args=[confirmed.pk]),
        {"kind": "start", "date": timezone.localdate().isoformat(), "score_mastery": "5"},
    )
    assert posted.status_code == 400 and snapshot() == (0, 0)


def test_the_correction_page_prefills_and_replaces_the_review(cast, pair):
    review = b.review(pair, kind="start", on=b.days_ago(100), mastery=4, activity_minutes=60)
    client = signed_in(cast.contact_user_a)
    url = reverse("web:review_correct", args=[review.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["score_mastery"] == "4"
    saved = client.post(
        url,
        {
            "kind": "start",
            "date": b.days_ago(100).isoformat(),
            "score_mastery": "5",
            "score_activity_minutes": "60",
            "correction_reason": "Feil tall",
        },
    )
    assert saved.status_code == 302
    current = Review.objects.current().get()
    assert current.supersedes == review
    # The corrected review cannot be corrected again.
    again = client.get(url)
    assert again.status_code == 302


def test_the_correction_page_withdraws_a_review(cast, pair):
    review = b.review(pair, kind="start", on=b.days_ago(100), mastery=4)
    response = signed_in(cast.coordinator_a).post(
        reverse("web:review_correct", args=[review.pk]),
        {"withdraw": "1", "correction_reason": "Feil par"},
    )
    assert response.status_code == 302
    assert not Review.objects.current().exists()


def test_the_review_due_provider_fits_the_alerts_page(cast, contact):
    from kobling.core.alerts import alerts_for
    from kobling.followup.alerts import AlertKind
    from kobling.outcomes.alerts import review_due_provider

    due = b.pairing(cast.programme_a, contact, started_days_ago=5)
    reviewed = b.pairing(cast.programme_a, contact, started_days_ago=5)
    b.review(reviewed, kind="start", on=b.days_ago(4), mastery=5)

    found = alerts_for(cast.coordinator_a, providers=[review_due_provider])

    assert [(a.kind, a.pairing.pk, a.since) for a in found] == [
        (AlertKind.GOAL_REVIEW_DUE, due.pk, b.days_ago(5))
    ]
    assert "start review was due" in found[0].text
    assert alerts_for(cast.coordinator_b, providers=[review_due_provider]) == []


def test_a_due_review_shows_on_the_coordinators_alerts_page(cast, contact):
    from kobling.core.alerts import ALERT_PROVIDERS, alerts_for
    from kobling.followup.alerts import AlertKind
    from kobling.outcomes.alerts import review_due_provider

    assert review_due_provider in ALERT_PROVIDERS  # registered when the app is ready
    due = b.pairing(cast.programme_a, contact, started_days_ago=5)
    assert (AlertKind.GOAL_REVIEW_DUE, due.pk) in [
        (a.kind, a.pairing.pk) for a in alerts_for(cast.coordinator_a)
    ]
    html = signed_in(cast.coordinator_a).get(reverse("web:alerts")).content.decode()
    assert "Goal review due" in html and "start review was due" in html
