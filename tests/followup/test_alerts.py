"""Coordinator alerts: no held session in three weeks, repeated no-shows, a contact paused or
unconfirmed with open pairings; only for the municipalities the reader manages; a fixed number
of queries however many pairings; an extension point for other kinds; and the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.core import alerts
from kobling.core.alerts import Alert, alerts_for, register_alert_provider
from kobling.followup.alerts import BUILT_IN_PROVIDERS, AlertKind
from kobling.followup.sessions import session_correct
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.models import AuditEntry, User
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _built_in_kinds_only(monkeypatch):
    """These tests are about this app's kinds; other apps' providers (goal review due) are
    tested where they live."""
    monkeypatch.setattr(alerts, "ALERT_PROVIDERS", list(BUILT_IN_PROVIDERS))


def kinds(user, **kwargs) -> list[tuple[str, int]]:
    return [(a.kind, a.pairing.pk) for a in alerts_for(user, **kwargs)]


@pytest.fixture
def contact(cast):
    return s.contact(cast.programme_a, capacity=10)


def pair(cast, contact, **kwargs):
    return s.active_pair(s.waiting(cast.programme_a), contact, **kwargs)


def test_an_active_pair_without_a_held_session_for_three_weeks_is_flagged(cast, contact):
    quiet = pair(cast, contact)
    s.log(quiet, days_ago=22)
    s.log(quiet, days_ago=5, status="cancelled", cancelled_by="participant", with_notice=True)
    busy = pair(cast, contact)
    s.log(busy, days_ago=21 - 1)
    never = pair(cast, contact, started_days_ago=30)
    fresh = pair(cast, contact, started_days_ago=10)  # started ten days ago, no session yet
    found = {a.pairing.pk: a for a in alerts_for(cast.coordinator_a)}
    assert set(found) == {quiet.pk, never.pk}
    assert found[quiet.pk].kind == AlertKind.NO_SESSION
    assert found[quiet.pk].since == timezone.localdate() - dt.timedelta(days=22)
    assert "No session since" in found[quiet.pk].text
    assert "since the start" in found[never.pk].text
    assert fresh.pk not in found and busy.pk not in found


def test_a_corrected_away_session_does_not_count_as_held(cast, contact):
    p = pair(cast, contact, started_days_ago=40)
    recent = s.log(p, days_ago=2)
    assert kinds(cast.coordinator_a) == []
    session_correct(session=recent, by=None, reason="Feil", void=True)
    assert kinds(cast.coordinator_a) == [(AlertKind.NO_SESSION, p.pk)]


def test_two_no_shows_among_the_last_three_sessions_are_flagged(cast, contact):
    flaky = pair(cast, contact)
    s.log(flaky, days_ago=9, status="no_show")
    s.log(flaky, days_ago=5)
    s.log(flaky, days_ago=2, status="no_show")
    recovered = pair(cast, contact)
    s.log(recovered, days_ago=12, status="no_show")
    s.log(recovered, days_ago=10, status="no_show")
    s.log(recovered, days_ago=5)
    s.log(recovered, days_ago=3)
    s.log(recovered, days_ago=1)
    found = [a for a in alerts_for(cast.coordinator_a) if a.kind == AlertKind.NO_SHOWS]
    assert [a.pairing.pk for a in found] == [flaky.pk]
    assert found[0].since == timezone.localdate() - dt.timedelta(days=9)
    assert "2 of the last 3" in found[0].text


def test_a_paused_or_unconfirmed_contact_with_open_pairs_is_flagged_per_pair(cast, contact):
    first, second = pair(cast, contact), pair(cast, contact)
    for p in (first, second):
        s.log(p, days_ago=1)
    Helper.objects.filter(pk=contact.pk).update(
        status=HelperStatus.PAUSED, paused_until=timezone.localdate() + dt.timedelta(days=30)
    )
    silent = s.contact(cast.programme_a)
    third = pair(cast, silent)
    s.log(third, days_ago=1)
    Helper.objects.filter(pk=silent.pk).update(is_unconfirmed=True)
    idle = s.contact(cast.programme_a)  # unconfirmed, but no pairs: nothing to say
    Helper.objects.filter(pk=idle.pk).update(is_unconfirmed=True)
    assert sorted(kinds(cast.coordinator_a)) == sorted(
        [
            (AlertKind.CONTACT_PAUSED, first.pk),
            (AlertKind.CONTACT_PAUSED, second.pk),
            (AlertKind.CONTACT_UNCONFIRMED, third.pk),
        ]
    )


def test_only_managers_get_alerts_and_only_for_their_municipalities(cast, contact):
    quiet = pair(cast, contact, started_days_ago=40)
    assert kinds(cast.admin_a) == [(AlertKind.NO_SESSION, quiet.pk)]
    assert kinds(cast.coordinator_a, municipality_ids=[cast.a.pk, cast.b.pk]) == [
        (AlertKind.NO_SESSION, quiet.pk)
    ]
    for user in (cast.coordinator_b, cast.referrer_a, cast.contact_user_a, cast.analyst):
        assert alerts_for(user) == []
    assert alerts_for(cast.coordinator_a, municipality_ids=[cast.b.pk]) == []


def test_alerts_run_a_fixed_number_of_queries(cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            found = alerts_for(User.objects.get(pk=cast.coordinator_a.pk))
            for alert in found:  # what the page shows
                str(alert.pairing.participant), str(alert.pairing.helper)
        return len(captured), len(found)

    def add(n: int) -> None:
        for _ in range(n):
            helper = s.contact(cast.programme_a, capacity=2)
            quiet = pair(cast, helper, started_days_ago=40)
            flaky = pair(cast, helper)
            for days in (3, 2, 1):
                s.log(flaky, days_ago=days, status="no_show")
            Helper.objects.filter(pk=helper.pk).update(is_unconfirmed=True)
            assert quiet

    add(1)
    few, found = queries()
    assert found == 5  # 2× no session (the flaky pair holds none), no-shows, 2× unconfirmed
    add(5)
    many, found = queries()
    assert found == 6 * 5 and many == few


def test_another_app_can_add_a_kind_of_alert(cast, contact):
    p = pair(cast, contact)
    s.log(p, days_ago=1)

    def goal_review_due(municipality_ids, today):
        return [Alert(AlertKind.GOAL_REVIEW_DUE, p, today, "Review due")]

    assert register_alert_provider(goal_review_due) is goal_review_due
    register_alert_provider(goal_review_due)  # once is enough
    assert kinds(cast.coordinator_a) == [(AlertKind.GOAL_REVIEW_DUE, p.pk)]
    assert kinds(cast.coordinator_a, providers=[]) == []
    assert alerts_for(cast.coordinator_a)[0].label == "Goal review due"


def test_the_alerts_page_lists_them_by_kind_and_is_audited(cast, contact):
    quiet = pair(cast, contact, started_days_ago=40)
    html = signed_in(cast.coordinator_a).get(reverse("web:alerts")).content.decode()
    assert "No session for three weeks" in html and quiet.participant.full_name in html
    assert reverse("web:pairing_detail", args=[quiet.pk]) in html
    entry = AuditEntry.objects.filter(action="view", object_type="followup.pairing").get()
    assert entry.changes == {"ids": [str(quiet.pk)]}
    empty = signed_in(cast.coordinator_b).get(reverse("web:alerts")).content.decode()
    assert "No alerts" in empty


def test_the_alerts_page_runs_a_fixed_number_of_queries(cast):
    def queries() -> int:
        client = signed_in(User.objects.get(pk=cast.coordinator_a.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:alerts")).status_code == 200
        return len(captured)

    helper = s.contact(cast.programme_a, capacity=20)
    pair(cast, helper, started_days_ago=40)
    few = queries()
    for _ in range(10):
        pair(cast, helper, started_days_ago=40)
    assert queries() == few
