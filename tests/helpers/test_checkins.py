"""Check-ins replace chasing, end to end through a real local SMTP server: the tick e-mails due
helpers, the one-click link answers, silence brings one reminder and then makes the helper
unconfirmed, and a failed send is retried without ever e-mailing twice.

Tasks run immediately here (conftest's default); tests/test_worker.py runs the real worker."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.helpers import checkins, services
from kobling.helpers.choices import CheckInStatus, HelperStatus
from kobling.helpers.models import CheckIn, Helper, HelperStatusChange
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


@pytest.fixture
def clock(moving_clock):
    """Moves time for everything (the tick, the sends, the answer page) at once."""
    return moving_clock


@pytest.fixture
def place(db):
    municipality = f.MunicipalityFactory(name="Aby", contact_email="koordinator@aby.test")
    return SimpleNamespace(
        municipality=municipality, programme=f.ProgrammeFactory(municipality=municipality)
    )


def due_helper(programme, **fields) -> Helper:
    """An active helper who last confirmed longer ago than the default eight weeks."""
    helper = f.make_active(f.HelperFactory(programme=programme, **fields))
    helper.availability_confirmed_at = timezone.now() - dt.timedelta(weeks=9)
    helper.save()
    return helper


def tick(clock) -> dict[str, int]:
    return checkins.checkins_tick(now=clock.now)


def sent_mail(checkin: CheckIn) -> OutboxMessage:
    """The check-in's first e-mail in the outbox (attempts and errors live there)."""
    return OutboxMessage.objects.get(subject_key=f"checkin:{checkin.pk}", sequence=0)


def answer_url(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def post_url(link: str) -> str:
    return urlsplit(link).path


def links_by_answer(received) -> dict[str, str]:
    return {re.search(r"svar=(\w+)", link).group(1): link for link in received.links()}


def snapshot(helper: Helper) -> dict:
    helper.refresh_from_db()
    return {
        "helper": (
            helper.status,
            helper.paused_until,
            helper.left_reason,
            helper.availability_confirmed_at,
            helper.is_unconfirmed,
            helper.version,
        ),
        "checkins": list(CheckIn.objects.filter(helper=helper).values_list("status", "answer")),
        "history": HelperStatusChange.objects.filter(helper=helper).count(),
        "audit": AuditEntry.objects.count(),
    }


# --- who is asked ---------------------------------------------------------------------------


def test_tick_emails_a_checkin_only_to_active_helpers_who_are_due(place, smtp_server, clock):
    due = due_helper(place.programme)
    never_confirmed = due_helper(place.programme)
    never_confirmed.availability_confirmed_at = None
    never_confirmed.save()
    recently_confirmed = f.make_active(f.HelperFactory(programme=place.programme))
    paused = due_helper(place.programme)
    paused.status, paused.paused_until = (
        HelperStatus.PAUSED,
        timezone.localdate() + dt.timedelta(30),
    )
    paused.save()
    left = due_helper(place.programme)
    left.status, left.left_reason = HelperStatus.LEFT, "moved"
    left.save()
    applicant = f.HelperFactory(programme=place.programme)
    asked_recently = due_helper(place.programme)
    CheckIn.objects.create(
        helper=asked_recently,
        municipality=place.municipality,
        created_at=clock.now - dt.timedelta(weeks=2),
        status=CheckInStatus.LAPSED,
        expires_at=clock.now + dt.timedelta(weeks=6),
    )
    slow_town = f.MunicipalityFactory(checkin_interval_weeks=12)
    not_due_there = due_helper(f.ProgrammeFactory(municipality=slow_town))

    report = tick(clock)

    assert report["created"] == 2
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(
        [due.email, never_confirmed.email]
    )
    assert set(
        CheckIn.objects.filter(status=CheckInStatus.SENT).values_list("helper", flat=True)
    ) == {
        due.pk,
        never_confirmed.pk,
    }
    for helper in (recently_confirmed, paused, left, applicant, not_due_there):
        assert not helper.checkins.exists(), helper
    assert asked_recently.checkins.count() == 1


def test_checkin_mail_has_three_personal_links_in_plain_text_and_html(place, smtp_server, clock):
    helper = due_helper(place.programme, first_name="Solveig", phone="40000000")

    tick(clock)

    [received] = smtp_server.messages
    assert received.rcpt_tos == [helper.email]
    assert "Aby" in received.subject
    assert received.message["Reply-To"] == "koordinator@aby.test"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert "Solveig" in received.text
    links = links_by_answer(received)
    assert set(links) == {"available", "pause", "stop"}
    tokens = {urlsplit(link).path for link in links.values()}
    assert len(tokens) == 1
    assert all(link.startswith("http://testserver/innsjekk/") for link in links.values())
    for link in links.values():
        assert link in received.html
    # Nothing beyond what the helper needs: no phone, no surname, no other helpers.
    assert "40000000" not in received.prose + received.html_prose
    assert helper.last_name not in received.prose + received.html_prose


def test_mail_is_written_in_the_site_language_unless_the_helper_chose_another(
    place, smtp_server, clock, settings
):
    settings.LANGUAGE_CODE = "nb"
    plain = due_helper(place.programme)
    english = due_helper(place.programme, user=f.UserFactory(preferred_language="en"))

    tick(clock)

    assert '<html lang="nb">' in smtp_server.to(plain.email)[0].html
    assert '<html lang="en">' in smtp_server.to(english.email)[0].html


# --- answering ------------------------------------------------------------------------------


@pytest.fixture
def mailed(place, smtp_server, clock):
    """A due helper who has just received their check-in e-mail."""
    helper = due_helper(place.programme)
    tick(clock)
    [received] = smtp_server.to(helper.email)
    return SimpleNamespace(
        helper=helper, links=links_by_answer(received), checkin=helper.checkins.get()
    )


def test_opening_a_link_shows_the_answer_preselected_and_changes_nothing(client, mailed, clock):
    before = snapshot(mailed.helper)

    response = client.get(answer_url(mailed.links["pause"]))
    scanner = client.head(answer_url(mailed.links["stop"]))

    assert response.status_code == 200 and scanner.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*value="pause"[^>]*\bchecked', html)
    assert not re.search(r'<input[^>]*value="stop"[^>]*\bchecked', html)
    default_until = timezone.localdate() + dt.timedelta(weeks=4)
    assert f'value="{default_until:%Y-%m-%d}"' in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert snapshot(mailed.helper) == before


def test_answering_still_available_confirms_the_helper_and_is_audited(client, mailed, clock):
    Helper.objects.filter(pk=mailed.helper.pk).update(is_unconfirmed=True)
    clock.advance(hours=3)

    response = client.post(post_url(mailed.links["available"]), {"answer": "available"})

    assert response.status_code == 200
    helper = Helper.objects.get(pk=mailed.helper.pk)
    assert helper.availability_confirmed_at == clock.now
    assert helper.is_unconfirmed is False
    assert helper.status == HelperStatus.ACTIVE
    checkin = CheckIn.objects.get(pk=mailed.checkin.pk)
    assert (checkin.status, checkin.answer, checkin.answered_at) == (
        CheckInStatus.ANSWERED,
        "available",
        clock.now,
    )
    entries = AuditEntry.objects.filter(via="checkin link")
    assert entries.filter(object_type="helpers.helper", object_id=str(helper.pk)).exists()
    assert entries.filter(object_type="helpers.checkin", object_id=str(checkin.pk)).exists()
    assert all(entry.user_id is None for entry in entries)


def test_answering_pause_with_a_date_pauses_the_helper_until_then(client, mailed, clock):
    until = timezone.localdate() + dt.timedelta(days=45)

    response = client.post(
        post_url(mailed.links["pause"]), {"answer": "pause", "pause_until": until.isoformat()}
    )

    assert response.status_code == 200
    helper = Helper.objects.get(pk=mailed.helper.pk)
    assert (helper.status, helper.paused_until) == (HelperStatus.PAUSED, until)
    step = HelperStatusChange.objects.filter(helper=helper).first()
    assert (step.from_status, step.to_status, step.paused_until, step.by) == (
        HelperStatus.ACTIVE,
        HelperStatus.PAUSED,
        until,
        None,
    )
    checkin = CheckIn.objects.get(pk=mailed.checkin.pk)
    assert (checkin.status, checkin.answer, checkin.pause_until) == (
        CheckInStatus.ANSWERED,
        "pause",
        until,
    )
    assert AuditEntry.objects.filter(
        via="checkin link", object_type="helpers.helper", object_id=str(helper.pk)
    ).exists()


@pytest.mark.parametrize("days_ahead", [None, 0, -3, 400])
def test_pause_without_a_sensible_future_date_is_a_form_error_and_changes_nothing(
    client, mailed, days_ahead
):
    before = snapshot(mailed.helper)
    data = {"answer": "pause"}
    if days_ahead is not None:
        data["pause_until"] = (timezone.localdate() + dt.timedelta(days=days_ahead)).isoformat()

    response = client.post(post_url(mailed.links["pause"]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["pause_until"]
    assert snapshot(mailed.helper) == before


def test_answering_stop_marks_the_helper_as_left_through_the_checkin(client, mailed):
    response = client.post(post_url(mailed.links["stop"]), {"answer": "stop"})

    assert response.status_code == 200
    helper = Helper.objects.get(pk=mailed.helper.pk)
    assert (helper.status, helper.left_reason) == (HelperStatus.LEFT, "checkin_stop")
    assert HelperStatusChange.objects.filter(helper=helper).first().to_status == HelperStatus.LEFT
    assert CheckIn.objects.get(pk=mailed.checkin.pk).answer == "stop"


def test_a_used_link_cannot_be_used_again(client, mailed):
    assert (
        client.post(post_url(mailed.links["available"]), {"answer": "available"}).status_code == 200
    )
    before = snapshot(mailed.helper)

    again = client.post(post_url(mailed.links["stop"]), {"answer": "stop"})
    opened = client.get(answer_url(mailed.links["stop"]))

    assert again.status_code == 409 and opened.status_code == 409
    assert "already answered" in again.content.decode()
    assert snapshot(mailed.helper) == before
    assert Helper.objects.get(pk=mailed.helper.pk).status == HelperStatus.ACTIVE


def test_an_expired_link_is_refused_with_a_friendly_page(client, mailed, clock):
    before = snapshot(mailed.helper)
    clock.now = mailed.checkin.expires_at + dt.timedelta(seconds=1)

    opened = client.get(answer_url(mailed.links["available"]))
    posted = client.post(post_url(mailed.links["available"]), {"answer": "available"})

    assert opened.status_code == 410 and posted.status_code == 410
    assert "expired" in posted.content.decode()
    assert snapshot(mailed.helper) == before


def test_a_link_stops_working_when_the_coordinator_pauses_the_helper_meanwhile(client, mailed):
    services.helper_change_status(
        helper=mailed.helper,
        by=None,
        to_status=HelperStatus.PAUSED,
        paused_until=timezone.localdate() + dt.timedelta(days=20),
    )

    response = client.post(post_url(mailed.links["stop"]), {"answer": "stop"})

    assert response.status_code == 410
    assert CheckIn.objects.get(pk=mailed.checkin.pk).status == CheckInStatus.CANCELLED
    assert Helper.objects.get(pk=mailed.helper.pk).status == HelperStatus.PAUSED


def test_a_tampered_token_is_not_found(client, mailed):
    path = post_url(mailed.links["available"])
    token = path.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_purpose = outbox.link_issue(
        purpose="not-a-checkin", subject="checkin:1", expires_at=timezone.now()
    )[1]  # a real link, but not a check-in link
    before = snapshot(mailed.helper)

    for bad in (flipped, f"x{token}", token[:-1], other_purpose, "nonsense"):
        assert client.get(f"/innsjekk/{bad}/?svar=stop").status_code == 404, bad
        assert client.post(f"/innsjekk/{bad}/", {"answer": "stop"}).status_code == 404, bad
    assert snapshot(mailed.helper) == before


def test_answering_needs_the_csrf_token_from_the_page(mailed):
    browser = Client(enforce_csrf_checks=True)
    before = snapshot(mailed.helper)

    forged = browser.post(post_url(mailed.links["stop"]), {"answer": "stop"})
    assert forged.status_code == 403
    assert snapshot(mailed.helper) == before

    browser.get(answer_url(mailed.links["stop"]))
    token = browser.cookies["csrftoken"].value
    confirmed = browser.post(
        post_url(mailed.links["stop"]), {"answer": "stop", "csrfmiddlewaretoken": token}
    )
    assert confirmed.status_code == 200
    assert Helper.objects.get(pk=mailed.helper.pk).status == HelperStatus.LEFT


# --- silence ----------------------------------------------------------------------------------


def test_silence_brings_one_reminder_and_then_makes_the_helper_unconfirmed(
    place, smtp_server, clock, client
):
    helper = due_helper(place.programme)
    tick(clock)
    [first] = smtp_server.messages

    clock.advance(days=6, hours=23)
    tick(clock)
    assert len(smtp_server.messages) == 1

    clock.advance(hours=2)  # seven days after sending
    tick(clock)
    tick(clock)
    assert len(smtp_server.messages) == 2
    reminder = smtp_server.messages[1]
    assert reminder.subject.startswith("Reminder")
    assert links_by_answer(reminder) == links_by_answer(first)
    assert helper.checkins.get().status == CheckInStatus.REMINDED

    clock.advance(days=6, hours=23)
    tick(clock)
    helper.refresh_from_db()
    assert not helper.is_unconfirmed

    clock.advance(hours=2)  # seven days after the reminder
    tick(clock)
    helper.refresh_from_db()
    checkin = helper.checkins.get()
    assert (checkin.status, checkin.lapsed_at) == (CheckInStatus.LAPSED, clock.now)
    assert helper.is_unconfirmed and not helper.is_available_for_matching
    assert helper.status == HelperStatus.ACTIVE
    assert AuditEntry.objects.filter(
        object_type="helpers.helper", object_id=str(helper.pk), via="checkin tick"
    ).exists()

    clock.advance(days=3)
    tick(clock)
    assert len(smtp_server.messages) == 2

    # A late answer through the same link still counts and confirms the helper again.
    late = client.post(post_url(links_by_answer(first)["available"]), {"answer": "available"})
    assert late.status_code == 200
    helper.refresh_from_db()
    assert not helper.is_unconfirmed and helper.is_available_for_matching


def test_a_helper_who_answered_is_asked_again_only_after_the_interval(
    place, smtp_server, clock, client
):
    helper = due_helper(place.programme)
    tick(clock)
    link = links_by_answer(smtp_server.messages[0])["available"]
    client.post(post_url(link), {"answer": "available"})

    clock.advance(weeks=7, days=6)
    tick(clock)
    assert len(smtp_server.messages) == 1

    clock.advance(days=1, minutes=1)
    tick(clock)
    assert len(smtp_server.messages) == 2
    assert helper.checkins.count() == 2
    # The old link belongs to an answered check-in; the new one works.
    new_link = links_by_answer(smtp_server.messages[1])["available"]
    assert new_link != link
    assert client.get(answer_url(new_link)).status_code == 200


def test_a_newer_checkin_replaces_the_link_of_a_lapsed_one(place, smtp_server, clock, client):
    helper = due_helper(place.programme)
    tick(clock)
    old_link = links_by_answer(smtp_server.messages[0])["available"]
    for _ in range(3):  # reminder, lapse, and then the next round after the interval
        clock.advance(days=7, minutes=1)
        tick(clock)
    clock.advance(weeks=8)
    tick(clock)
    assert helper.checkins.count() == 2

    assert client.get(answer_url(old_link)).status_code == 410


# --- sending exactly once -------------------------------------------------------------------


def test_a_refused_send_is_retried_and_the_helper_gets_exactly_one_mail(place, smtp_server, clock):
    helper = due_helper(place.programme)
    smtp_server.fail_next(1)

    tick(clock)
    checkin = helper.checkins.get()
    assert smtp_server.messages == [] and smtp_server.handler.refused == 1
    assert (checkin.status, sent_mail(checkin).attempts, checkin.sent_at) == (
        CheckInStatus.PENDING,
        1,
        None,
    )
    assert "451" in sent_mail(checkin).last_error

    clock.advance(minutes=1)
    tick(clock)
    clock.advance(minutes=1)
    tick(clock)

    assert [m.rcpt_tos for m in smtp_server.messages] == [[helper.email]]
    checkin.refresh_from_db()
    assert (checkin.status, sent_mail(checkin).attempts, sent_mail(checkin).last_error) == (
        CheckInStatus.SENT,
        2,
        "",
    )


def test_a_send_while_the_mail_server_is_down_goes_out_once_it_is_back(place, smtp_server, clock):
    helper = due_helper(place.programme)
    smtp_server.stop()

    tick(clock)
    checkin = helper.checkins.get()
    assert checkin.status == CheckInStatus.PENDING and sent_mail(checkin).last_error

    smtp_server.start()
    clock.advance(minutes=5)
    tick(clock)
    tick(clock)

    assert len(smtp_server.to(helper.email)) == 1
    assert len(smtp_server.messages) == 1


def test_sending_gives_up_after_the_last_attempt_and_asks_afresh_later(place, smtp_server, clock):
    helper = due_helper(place.programme)
    smtp_server.fail_next(100)

    for _ in range(outbox.MAX_ATTEMPTS + 2):
        tick(clock)
        clock.advance(hours=7)

    first = helper.checkins.get()
    assert smtp_server.handler.refused == outbox.MAX_ATTEMPTS
    assert (first.status, sent_mail(first).attempts) == (CheckInStatus.PENDING, outbox.MAX_ATTEMPTS)

    smtp_server.fail_next(0)
    clock.now = first.expires_at + dt.timedelta(minutes=1)
    tick(clock)

    first.refresh_from_db()
    assert first.status == CheckInStatus.CANCELLED
    assert helper.checkins.count() == 2
    assert len(smtp_server.to(helper.email)) == 1


def test_running_the_tick_twice_never_creates_two_checkins_or_sends_two_mails(
    place, smtp_server, clock
):
    helper = due_helper(place.programme)

    first = tick(clock)
    second = tick(clock)

    assert (first["created"], second["created"]) == (1, 0)
    assert helper.checkins.count() == 1
    assert len(smtp_server.messages) == 1


def test_sending_the_same_checkin_again_is_skipped(place, smtp_server, clock):
    helper = due_helper(place.programme)
    tick(clock)
    checkin = helper.checkins.get()

    again = checkins.checkin_send(checkin_id=checkin.pk)

    assert again.outcome == "skipped"
    assert len(smtp_server.messages) == 1


def test_the_database_allows_only_one_open_checkin_per_helper(place, clock):
    helper = due_helper(place.programme)
    CheckIn.objects.create(helper=helper, municipality=place.municipality, expires_at=clock.now)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            helper=helper,
            municipality=place.municipality,
            expires_at=clock.now,
            status=CheckInStatus.SENT,
        )


# --- the rest of the tick, and what coordinators see ------------------------------------------


def test_the_tick_puts_helpers_whose_pause_has_ended_back_to_active(place, clock):
    helper = f.make_active(f.HelperFactory(programme=place.programme))
    helper.status, helper.paused_until = HelperStatus.PAUSED, timezone.localdate()
    helper.save()

    report = tick(clock)

    helper.refresh_from_db()
    assert report["resumed"] == 1 and helper.status == HelperStatus.ACTIVE


def test_coordinators_see_the_checkins_of_their_helpers_in_the_api(place, smtp_server, clock, api):
    helper = due_helper(place.programme)
    tick(clock)
    coordinator = f.member(f.UserFactory(), place.municipality, Role.COORDINATOR)
    outsider = f.member(f.UserFactory(), f.MunicipalityFactory(), Role.COORDINATOR)

    mine = api(coordinator).get("/api/v1/checkins/").json()
    theirs = api(outsider).get("/api/v1/checkins/").json()

    rows = mine["results"] if isinstance(mine, dict) else mine
    assert [(r["helper"], r["status"]) for r in rows] == [(helper.pk, "sent")]
    assert (theirs["results"] if isinstance(theirs, dict) else theirs) == []
