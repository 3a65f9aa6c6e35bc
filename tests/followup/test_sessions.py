"""Logging, correcting and confirming sessions through the services: what is saved, every bad
input refused with a field error and nothing changed, corrections as new entries that
supersede (chains and withdrawals), the participant's confirmation, and the contact's overlap
guard — also under real concurrency on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.followup import services
from kobling.followup.choices import PairingStatus, SessionStatus
from kobling.followup.models import Pairing, Session
from kobling.followup.sessions import session_confirm, session_correct, session_log
from kobling.helpers.models import Activity
from kobling.lib.errors import ConflictError
from kobling.tenancy.models import AuditEntry
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def contact(cast):
    return s.contact(cast.programme_a, capacity=2, user=cast.contact_user_a)


@pytest.fixture
def pair(cast, contact):
    return s.active_pair(s.waiting(cast.programme_a, first_name="Per"), contact)


@pytest.fixture
def walking(db):
    return Activity.objects.get(code="walking")


def snapshot():
    return {
        "sessions": list(Session.objects.order_by("pk").values()),
        "pairings": list(Pairing.objects.order_by("pk").values("pk", "status", "version")),
        "audit": AuditEntry.objects.count(),
    }


# --- logging -------------------------------------------------------------------------------


def test_a_held_session_is_saved_with_the_pairs_contact_and_municipality_and_audited(
    cast, pair, walking
):
    session = session_log(
        pairing=pair,
        by=cast.contact_user_a,
        date=days_ago(1),
        start_time=dt.time(17, 0),
        minutes=75,
        status="held",
        activity=walking,
        borg=13,
        note="Fin tur",
    )
    session.refresh_from_db()
    assert (session.helper_id, session.municipality_id) == (pair.helper_id, pair.municipality_id)
    assert (session.minutes, session.status, session.activity, session.borg) == (
        75,
        "held",
        walking,
        13,
    )
    assert session.intensity == "moderate"  # from Borg 13
    assert session.logged_by == cast.contact_user_a and not session.is_confirmed
    entry = AuditEntry.objects.get(object_type="followup.session", object_id=str(session.pk))
    assert entry.action == "create" and entry.changes["minutes"] == 75
    assert entry.username == cast.contact_user_a.username


def test_intensity_given_with_borg_is_kept_as_given(pair):
    session = s.log(pair, intensity="vigorous", borg=11)
    assert (session.intensity, session.borg) == ("vigorous", 11)


def test_a_cancellation_keeps_who_and_notice_and_drops_effort(pair):
    session = s.log(
        pair,
        status="cancelled",
        cancelled_by="participant",
        with_notice=False,
        intensity="vigorous",
        borg=15,
    )
    assert (session.cancelled_by, session.with_notice) == ("participant", False)
    assert (session.intensity, session.borg) == ("", None)


def test_a_no_show_drops_cancellation_fields(pair):
    session = s.log(pair, status="no_show", cancelled_by="contact", with_notice=True)
    assert (session.status, session.cancelled_by, session.with_notice) == ("no_show", "", None)


def test_a_session_today_and_on_the_day_the_pair_was_confirmed_are_fine(cast, contact):
    pairing = s.back_date(s.pairing(s.waiting(cast.programme_a), contact), days=3)
    s.log(pairing, date=days_ago(3))
    s.log(pairing, date=days_ago(0))
    assert Session.objects.filter(pairing=pairing).count() == 2


BAD_INPUT = [
    ({"date": TODAY + dt.timedelta(days=1)}, "date", "future"),
    ({"date": None}, "date", "Give the date"),
    ({"minutes": 0}, "minutes", "between 1 and 600"),
    ({"minutes": -30}, "minutes", "between 1 and 600"),
    ({"minutes": 601}, "minutes", "between 1 and 600"),
    ({"minutes": None}, "minutes", "length"),
    ({"minutes": "60"}, "minutes", "length"),
    ({"status": "maybe"}, "status", "held, cancelled or no-show"),
    ({"borg": 5}, "borg", "between 6 and 20"),
    ({"borg": 21}, "borg", "between 6 and 20"),
    ({"intensity": "extreme"}, "intensity", "light, moderate or vigorous"),
    ({"intensity": "", "borg": None}, "intensity", "Borg"),
    ({"status": "cancelled", "cancelled_by": "", "with_notice": True}, "cancelled_by", "who"),
    ({"status": "cancelled", "cancelled_by": "nobody", "with_notice": True}, "cancelled_by", ""),
    ({"status": "cancelled", "cancelled_by": "participant"}, "with_notice", "notice"),
    ({"note": "x" * 501}, "note", "500"),
    ({"start_time": "17:00"}, "start_time", "hours and minutes"),
    ({"activity": 1}, "activity", "activity"),
]


@pytest.mark.parametrize(("change", "field", "text"), BAD_INPUT)
def test_bad_input_is_refused_with_a_field_error_and_nothing_changes(pair, change, field, text):
    values = {
        "date": days_ago(1),
        "minutes": 60,
        "status": "held",
        "intensity": "moderate",
        **change,
    }
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        session_log(pairing=pair, by=None, **values)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert text in " ".join(caught.value.message_dict[field])
    assert snapshot() == before


def test_a_session_before_the_pairing_was_confirmed_is_refused(cast, contact):
    pairing = s.back_date(s.pairing(s.waiting(cast.programme_a), contact), days=5)
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        s.log(pairing, date=days_ago(6))
    assert "confirmed on" in caught.value.message_dict["date"][0]
    assert snapshot() == before


def test_an_ended_pairing_takes_late_logs_up_to_its_end_but_nothing_after(pair):
    s.log(pair, days_ago=10)
    services.pairing_end(
        pairing=pair,
        by=None,
        reason="goal_reached",
        handover_destination="gym",
        ended_on=days_ago(3),
    )
    s.log(pair, days_ago=3)  # logged late, on the last day: fine
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        s.log(pair, days_ago=2)
    assert "ended on" in caught.value.message_dict["date"][0]
    assert snapshot() == before


def test_a_paused_pairing_takes_sessions_up_to_the_pause_but_not_after(pair):
    services.pairing_pause(pairing=pair, by=None)
    pair.refresh_from_db()
    assert pair.paused_on == timezone.localdate()
    s.log(pair, days_ago=0)  # the pause began today; a session earlier today is fine
    Pairing.objects.filter(pk=pair.pk).update(paused_on=days_ago(4))
    s.log(pair, days_ago=4)
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        s.log(pair, days_ago=3)
    assert "paused since" in caught.value.message_dict["date"][0]
    assert snapshot() == before
    services.pairing_resume(pairing=pair, by=None)
    pair.refresh_from_db()
    assert pair.paused_on is None
    s.log(pair, days_ago=3)


def test_a_held_session_starts_a_pairing_that_was_only_confirmed(cast, contact):
    pairing = s.back_date(s.pairing(s.waiting(cast.programme_a), contact), days=10)
    s.log(pairing, status="cancelled", cancelled_by="contact", with_notice=True, days_ago=8)
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.CONFIRMED  # a cancellation is not a start
    s.log(pairing, days_ago=6, by=cast.contact_user_a)
    pairing.refresh_from_db()
    assert (pairing.status, pairing.started_on) == (PairingStatus.ACTIVE, days_ago(6))
    assert AuditEntry.objects.filter(
        object_type="followup.pairing", object_id=str(pairing.pk), changes__status__1="active"
    ).exists()


def test_ending_before_a_logged_session_is_refused(pair):
    s.log(pair, days_ago=1)
    with pytest.raises(ValidationError) as caught:
        services.pairing_end(
            pairing=pair, by=None, reason="moved", handover_destination="none", ended_on=days_ago(2)
        )
    assert "ended_on" in caught.value.message_dict
    pair.refresh_from_db()
    assert pair.status == PairingStatus.ACTIVE


# --- the contact cannot be in two places at once --------------------------------------------


@pytest.fixture
def two_pairs(cast, contact):
    first = s.active_pair(s.waiting(cast.programme_a, first_name="Per"), contact)
    second = s.active_pair(s.waiting(cast.programme_a, first_name="Kari"), contact)
    return first, second


def test_overlapping_sessions_of_the_same_contact_are_refused_across_pairings(two_pairs):
    first, second = two_pairs
    s.log(first, days_ago=1, start_time=dt.time(17, 0), minutes=60)
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        s.log(second, days_ago=1, start_time=dt.time(17, 30), minutes=60)
    message = caught.value.message_dict["start_time"][0]
    assert "17:00 to 18:00" in message and "Per" in message
    assert snapshot() == before
    with pytest.raises(ValidationError):
        s.log(second, days_ago=1, start_time=dt.time(16, 30), minutes=31, status="no_show")


def test_back_to_back_sessions_cancellations_and_other_days_do_not_overlap(two_pairs, cast):
    first, second = two_pairs
    s.log(first, days_ago=1, start_time=dt.time(17, 0), minutes=60)
    s.log(second, days_ago=1, start_time=dt.time(18, 0), minutes=60)  # starts as the other ends
    s.log(
        second,
        days_ago=1,
        start_time=dt.time(17, 0),
        status="cancelled",
        cancelled_by="participant",
        with_notice=True,
    )
    s.log(second, days_ago=2, start_time=dt.time(17, 0))
    s.log(second, days_ago=1)  # no start time: cannot overlap
    other = s.active_pair(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    s.log(other, days_ago=1, start_time=dt.time(17, 0))  # another contact
    assert Session.objects.count() == 6


def test_a_corrected_or_withdrawn_session_no_longer_blocks_the_time(two_pairs):
    first, second = two_pairs
    logged = s.log(first, days_ago=1, start_time=dt.time(17, 0), minutes=60)
    moved = session_correct(session=logged, by=None, reason="Feil tid", start_time=dt.time(15, 0))
    s.log(second, days_ago=1, start_time=dt.time(17, 0))
    session_correct(session=moved, by=None, reason="Feilregistrert", void=True)
    s.log(second, days_ago=1, start_time=dt.time(15, 0))


def test_correcting_a_session_does_not_collide_with_itself(pair):
    logged = s.log(pair, days_ago=1, start_time=dt.time(17, 0), minutes=60)
    fixed = session_correct(session=logged, by=None, reason="Lengre", minutes=90)
    assert fixed.minutes == 90


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_logs_at_the_same_moment_cannot_both_pass(cast):
    contact = s.contact(cast.programme_a, capacity=2)
    first = s.active_pair(s.waiting(cast.programme_a), contact)
    second = s.active_pair(s.waiting(cast.programme_a), contact)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def log(pairing):
        from django.db import connection as conn

        try:
            barrier.wait(timeout=10)
            s.log(pairing, days_ago=1, start_time=dt.time(17, 0), minutes=60)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=log, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert Session.objects.filter(helper=contact).count() == 1


# --- corrections ---------------------------------------------------------------------------


def test_a_correction_is_a_new_entry_and_the_old_one_stays_in_the_history(cast, pair, walking):
    logged = s.log(pair, days_ago=2, minutes=60)
    fixed = session_correct(
        session=logged, by=cast.coordinator_a, reason="Var 90 minutter", minutes=90
    )
    assert fixed.pk != logged.pk and fixed.supersedes == logged
    assert (fixed.minutes, fixed.date, fixed.intensity) == (90, logged.date, "moderate")
    assert fixed.correction_reason == "Var 90 minutter"
    logged.refresh_from_db()
    assert logged.minutes == 60  # never edited
    assert list(Session.objects.current()) == [fixed]
    assert Session.objects.filter(pairing=pair).count() == 2
    entry = AuditEntry.objects.get(object_type="followup.session", object_id=str(fixed.pk))
    assert entry.changes["supersedes"] == logged.pk and entry.changes["minutes"] == [60, 90]


def test_a_correction_of_a_correction_works_and_only_the_newest_stands(pair):
    first = s.log(pair, days_ago=2)
    second = session_correct(session=first, by=None, reason="a", minutes=45)
    third = session_correct(
        session=second, by=None, reason="b", status="no_show", start_time=dt.time(9, 0)
    )
    assert list(Session.objects.current()) == [third]
    assert (third.supersedes, third.status, third.minutes, third.intensity) == (
        second,
        "no_show",
        45,
        "",
    )


def test_only_the_newest_entry_can_be_corrected(pair):
    first = s.log(pair, days_ago=2)
    session_correct(session=first, by=None, reason="a", minutes=45)
    before = snapshot()
    with pytest.raises(ConflictError):
        session_correct(session=first, by=None, reason="b", minutes=30)
    assert snapshot() == before


def test_a_withdrawal_removes_the_session_from_everything_that_counts(pair):
    logged = s.log(pair, days_ago=2)
    void = session_correct(session=logged, by=None, reason="Feil par", void=True, minutes=1)
    assert void.is_void and void.minutes == 60  # a withdrawal copies the entry, nothing more
    assert not Session.objects.current().exists() and not Session.objects.held().exists()
    with pytest.raises(ValidationError):
        session_correct(session=void, by=None, reason="angre")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"date": TODAY + dt.timedelta(days=2)}, "date"),
        ({"status": "cancelled"}, "cancelled_by"),
        ({"borg": 30}, "borg"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
    ],
)
def test_a_bad_correction_is_refused_and_nothing_changes(pair, change, field):
    logged = s.log(pair, days_ago=2)
    before = snapshot()
    values = {"reason": "Retting", **change}
    with pytest.raises(ValidationError) as caught:
        session_correct(session=logged, by=None, **values)
    assert field in caught.value.message_dict
    assert snapshot() == before


def test_a_correction_cannot_move_a_session_past_the_end(pair):
    logged = s.log(pair, days_ago=5)
    services.pairing_end(
        pairing=pair, by=None, reason="moved", handover_destination="none", ended_on=days_ago(4)
    )
    with pytest.raises(ValidationError) as caught:
        session_correct(session=logged, by=None, reason="dato", date=days_ago(1))
    assert "ended on" in caught.value.message_dict["date"][0]
    session_correct(session=logged, by=None, reason="lengde", minutes=30)  # same date: fine


def test_correcting_an_unknown_field_is_a_programming_error(pair):
    logged = s.log(pair, days_ago=1)
    with pytest.raises(TypeError):
        session_correct(session=logged, by=None, reason="x", helper=3)


# --- confirmation ----------------------------------------------------------------------------


def test_confirming_marks_the_session_once_and_is_audited(cast, pair):
    logged = s.log(pair, days_ago=1)
    confirmed = session_confirm(session=logged, via="in_person", by=cast.contact_user_a)
    assert confirmed.is_confirmed and confirmed.confirmed_via == "in_person"
    first_at = confirmed.confirmed_at
    again = session_confirm(session=logged, via="link")
    assert (again.confirmed_at, again.confirmed_via) == (first_at, "in_person")
    assert (
        AuditEntry.objects.filter(
            object_type="followup.session", object_id=str(logged.pk), action="update"
        ).count()
        == 1
    )


def test_only_a_standing_held_session_can_be_confirmed(pair):
    cancelled = s.log(
        pair, days_ago=1, status="cancelled", cancelled_by="participant", with_notice=True
    )
    with pytest.raises(ValidationError):
        session_confirm(session=cancelled, via="in_person")
    held = s.log(pair, days_ago=2)
    session_correct(session=held, by=None, reason="x", minutes=30)
    with pytest.raises(ValidationError):
        session_confirm(session=held, via="in_person")
    with pytest.raises(ValidationError):
        session_confirm(session=s.log(pair, days_ago=3), via="carrier pigeon")
    assert not Session.objects.filter(confirmed_at__isnull=False).exists()


def test_a_correction_is_not_confirmed_even_if_the_old_entry_was(pair):
    logged = s.log(pair, days_ago=1)
    session_confirm(session=logged, via="in_person")
    fixed = session_correct(session=logged, by=None, reason="x", minutes=30)
    assert not fixed.is_confirmed


def test_held_and_current_leave_out_corrected_and_withdrawn_entries(pair):
    kept = s.log(pair, days_ago=1)
    corrected = s.log(pair, days_ago=2)
    fixed = session_correct(session=corrected, by=None, reason="x", status="no_show")
    withdrawn = s.log(pair, days_ago=3)
    session_correct(session=withdrawn, by=None, reason="x", void=True)
    assert set(Session.objects.current()) == {kept, fixed}
    assert list(Session.objects.held()) == [kept]
    assert fixed.status == SessionStatus.NO_SHOW


def test_logging_a_session_does_not_check_again_what_the_service_checked(cast, pair):
    """The pairing, contact, municipality and course come from the locked pairing and the
    values were held to the table's ranges: ``full_clean`` does not look them up again (each a
    query), and the audit entry's wording needs no query for the contact."""
    with CaptureQueriesContext(connection) as queries:
        s.log(pair, minutes=45, borg=12)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if '"_check"' in q or 'FROM "referrals_episode"' in q], sql
    assert len([q for q in sql if q.startswith("SELECT")]) <= 2, sql  # the two locks
