"""The coordinators' alerts include partner agreements that end within 60 days or whose review
date has come — only the reader's own municipalities, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.core.alerts import ALERT_PROVIDERS, alerts_for
from kobling.partners.alerts import AGREEMENT_DUE, agreement_due_provider
from tests.conftest import signed_in
from tests.partners.builders import agreement, partner

pytestmark = pytest.mark.django_db


def test_the_provider_is_registered():
    assert agreement_due_provider in ALERT_PROVIDERS


@pytest.fixture
def agreements(cast):
    return {
        "far": agreement(partner(cast.a, name="Far"), ends=61),
        "soon": agreement(partner(cast.a, name="Soon"), ends=60),
        "review": agreement(partner(cast.a, name="Review"), review=0),
        "expired": agreement(partner(cast.a, name="Expired"), starts=-300, ends=-1),
        "upcoming": agreement(partner(cast.a, name="Upcoming"), starts=10, ends=20),
        "open": agreement(partner(cast.a, name="Open")),
        "b": agreement(partner(cast.b, name="Bestad"), ends=5),
    }


def test_agreements_ending_within_60_days_or_due_for_review_are_alerts(cast, agreements):
    found = [a for a in alerts_for(cast.coordinator_a) if a.kind == AGREEMENT_DUE]
    assert [a.subject.split(" · ")[0] for a in found] == ["Review", "Soon"]
    review, soon = found
    assert review.pairing is None
    assert review.since == timezone.localdate()
    assert "to be reviewed" in review.text
    assert "ends on" in soon.text
    assert soon.url == f"/partnere/{agreements['soon'].partner_id}/"


def test_only_the_readers_municipalities_and_only_managers(cast, agreements):
    found_b = [a for a in alerts_for(cast.coordinator_b) if a.kind == AGREEMENT_DUE]
    assert [a.subject.split(" · ")[0] for a in found_b] == ["Bestad"]
    assert alerts_for(cast.referrer_a) == []


def test_the_provider_runs_one_query_however_many_agreements(cast, agreements):
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as few:
        agreement_due_provider([cast.a.pk], today)
    for i in range(10):
        agreement(partner(cast.a, name=f"More {i}"), ends=i)
    with CaptureQueriesContext(connection) as many:
        assert len(agreement_due_provider([cast.a.pk], today)) == 12
    assert len(few) == len(many) == 1


def test_the_alerts_page_links_the_partner(cast, agreements):
    response = signed_in(cast.coordinator_a).get("/varsler/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Partner agreement to follow up" in page
    assert f'href="/partnere/{agreements["soon"].partner_id}/"' in page
    assert "Bestad" not in page
