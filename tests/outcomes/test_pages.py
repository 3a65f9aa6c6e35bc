"""The goals-and-reviews panel on the pairing page, the pair's outcome page, and fixed query
counts for every list (2 rows cost what 20 rows cost)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kobling.outcomes import followups, services
from kobling.tenancy.models import AuditEntry, User
from tests.conftest import signed_in
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db


def detail(user, pairing):
    return signed_in(User.objects.get(pk=user.pk)).get(
        reverse("web:pairing_detail", args=[pairing.pk])
    )


def test_the_contact_sees_goals_the_latest_review_and_a_record_review_link(cast, pair):
    services.goal_create(pairing=pair, by=None, text="Gå rundt vannet")
    b.review(pair, kind="start", on=b.days_ago(60), activity_minutes=160, mastery=6)
    html = detail(cast.contact_user_a, pair).content.decode()
    assert "Goals and reviews" in html
    assert "Gå rundt vannet" in html
    assert "Meets the recommendation (150 min/week)" in html
    assert reverse("web:review_create", args=[pair.pk]) in html
    assert reverse("web:goal_create", args=[pair.pk]) in html
    # 60 days after the start review, the periodic one is overdue.
    assert "Overdue" in html
    # Not an admin: no link to the programme's settings.
    assert reverse("web:programme_instruments", args=[cast.programme_a.pk]) not in html


def test_the_admin_also_gets_the_link_to_the_programmes_instruments(cast, pair):
    html = detail(cast.admin_a, pair).content.decode()
    assert reverse("web:programme_instruments", args=[cast.programme_a.pk]) in html


def test_the_referrer_sees_the_pairing_but_not_its_goals_and_reviews(cast, pair):
    services.goal_create(pairing=pair, by=None, text="Gå rundt vannet")
    response = detail(cast.referrer_a, pair)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Goals and reviews" not in html and "Gå rundt vannet" not in html


def test_a_pairing_not_started_offers_goals_but_no_review(cast, contact):
    confirmed = b.pairing(cast.programme_a, contact, started_days_ago=None)
    html = detail(cast.coordinator_a, confirmed).content.decode()
    assert reverse("web:goal_create", args=[confirmed.pk]) in html
    assert reverse("web:review_create", args=[confirmed.pk]) not in html


def test_the_outcome_page_shows_history_corrections_and_follow_ups_to_the_coordinator(
    cast, contact
):
    pairing = b.pairing(cast.programme_a, contact, ended_days_ago=5)
    start = b.review(pairing, kind="start", on=b.days_ago(150), activity_minutes=30, mastery=3)
    services.review_record(
        pairing=pairing,
        by=None,
        kind="start",
        date=b.days_ago(150),
        scores=[services.ScoreInput("activity_minutes", 40), services.ScoreInput("mastery", 3)],
        supersedes=start,
        correction_reason="Feil minutter",
    )
    b.review(pairing, kind="end", on=b.days_ago(5), activity_minutes=200, mastery=8)
    followups.followups_create_missing(now=timezone.now())
    url = reverse("web:pairing_outcomes", args=[pairing.pk])

    html = signed_in(cast.coordinator_a).get(url).content.decode()
    assert "Replaced by a correction" in html and "Feil minutter" in html
    assert "160" in html  # 200 − 40 minutes
    assert "Follow-up after the end" in html
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, action="view", object_type="followup.pairing"
    ).exists()

    contact_html = signed_in(cast.contact_user_a).get(url).content.decode()
    assert "Follow-up after the end" not in contact_html
    assert pairing.participant.last_name not in contact_html


# --- fixed query counts -------------------------------------------------------------------------


def grow(cast, contact, pairing, n):
    for i in range(n):
        goal = services.goal_create(pairing=pairing, by=cast.coordinator_a, text=f"Mål {i}")
        b.review(
            pairing,
            on=b.days_ago(180 - i),
            by=cast.coordinator_a,
            activity_minutes=100 + i,
            mastery=5,
            **{f"goal_{goal.pk}": 0},
        )
        b.pairing(
            cast.programme_a,
            contact,
            confirmed_days_ago=300,
            started_days_ago=290,
            ended_days_ago=100,
        )
    followups.followups_create_missing(now=timezone.now())


def count(url, *, api):
    """Queries for one request by a coordinator, signed in afresh (roles not yet cached)."""
    user = User.objects.get(pk=User.objects.get(username="koordinator@a.test").pk)
    if api:
        client = APIClient()
        client.force_authenticate(user)
    else:
        client = signed_in(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_lists_keep_a_fixed_number_of_queries(cast, contact, pair):
    urls = [
        "/api/v1/goals/",
        "/api/v1/reviews/",
        f"/api/v1/pairings/{pair.pk}/goals/",
        f"/api/v1/pairings/{pair.pk}/reviews/",
        "/api/v1/follow-ups/",
        "/api/v1/instruments/",
    ]
    pages = [
        reverse("web:followup_list"),
        reverse("web:pairing_outcomes", args=[pair.pk]),
        reverse("web:pairing_detail", args=[pair.pk]),
        reverse("web:review_create", args=[pair.pk]),
    ]
    grow(cast, contact, pair, 2)
    before = {url: count(url, api=url.startswith("/api/")) for url in urls + pages}
    grow(cast, contact, pair, 18)
    after = {url: count(url, api=url.startswith("/api/")) for url in urls + pages}
    assert after == before
