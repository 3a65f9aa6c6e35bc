"""The summary of a pair's sessions (last held, this month, unconfirmed) is computed in Python
from the pair's entries (followup.selectors.summarise_sessions): it must say what the database's
own rule says — held entries that stand (``Session.objects.held()``): not withdrawn, not
superseded by a correction — and the contact's screen reads it in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.followup.models import Session
from kobling.followup.selectors import (
    SessionSummary,
    contact_pairings,
    summarise_sessions,
    with_session_summary,
)
from kobling.followup.sessions import session_correct
from tests import factories as f
from tests.followup import scenario as s

TODAY = dt.date(2026, 3, 10)


def entry(pk, date, *, minutes=60, status="held", void=False, confirmed=None, supersedes=None):  # noqa: ANN001, ANN201
    return (pk, date, minutes, None, "moderate", status, void, confirmed, supersedes)


def test_an_empty_history_has_no_last_session_and_zero_counts():
    assert summarise_sessions([], today=TODAY) == SessionSummary()


def test_only_held_entries_that_stand_count_and_the_newest_is_the_last():
    entries = [  # newest first, as the database orders them
        entry(6, TODAY, minutes=45, void=True, supersedes=5),  # withdraws 5
        entry(5, TODAY, minutes=30),
        entry(4, dt.date(2026, 3, 9), minutes=90, status="cancelled", supersedes=3),
        entry(3, dt.date(2026, 3, 9), minutes=75),  # corrected into a cancellation
        entry(2, dt.date(2026, 3, 2), minutes=50, confirmed=timezone.now()),
        entry(1, dt.date(2026, 2, 27), minutes=40),  # last month, not confirmed
    ]
    summary = summarise_sessions(entries, today=TODAY)
    assert summary.last_held == dt.date(2026, 3, 2)
    assert summary.last_minutes == 50
    assert summary.held_this_month == 1
    assert summary.unconfirmed_count == 1


def test_a_session_dated_after_today_is_not_this_months():
    summary = summarise_sessions([entry(1, dt.date(2026, 3, 11))], today=TODAY)
    assert summary.held_this_month == 0 and summary.last_held == dt.date(2026, 3, 11)


@pytest.mark.django_db
def test_the_contacts_screen_and_the_pair_page_agree_with_the_databases_rule(cast):
    helper = f.make_active(cast.helper_a)
    helper.capacity = 20
    helper.save()
    pair = s.active_pair(s.waiting(cast.programme_a, first_name="Per"), helper)
    empty = s.active_pair(s.waiting(cast.programme_a, first_name="Anne"), helper)
    today = timezone.localdate()
    s.log(pair, days_ago=3, minutes=40)
    corrected = s.log(pair, days_ago=2, minutes=50)
    session_correct(session=corrected, by=None, reason="typo", minutes=55)
    withdrawn = s.log(pair, days_ago=1, minutes=70)
    session_correct(session=withdrawn, by=None, reason="mistake", void=True)
    s.log(pair, days_ago=1, status="cancelled", cancelled_by="participant", with_notice=True)

    with CaptureQueriesContext(connection) as queries:
        listed = contact_pairings(cast.contact_user_a, today=today)
    assert len(queries) == 2  # the memberships, and one query for pairings with their entries
    assert [p.participant.first_name for p in listed] == ["Anne", "Per"]
    assert listed[0].pk == empty.pk and listed[0].last_held is None
    assert listed[0].unconfirmed_count == 0

    held = Session.objects.held().filter(pairing=pair).order_by("-date", "-start_time", "-id")
    month = held.filter(date__gte=today.replace(day=1), date__lte=today).count()
    for got in (listed[1], with_session_summary(pair, today=today)):
        assert got.last_held == held[0].date
        assert got.last_minutes == 55
        assert got.held_this_month == month
        assert got.unconfirmed_count == held.filter(confirmed_at__isnull=True).count() == 2
    # Only what the screen shows was loaded; the rest comes on access, as with .only().
    assert listed[1].helper_id == helper.pk
