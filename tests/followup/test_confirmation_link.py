"""The participant confirms sessions through a signed, single-use link, end to end through a
real local SMTP server: the contact asks for it on the page, the e-mail (no health details)
reaches the participant — or a minor's guardian — the page lists the sessions and confirms the
ticked ones, and the link then stops working. The real worker sends each link once."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.core.models import OutboxMessage
from kobling.followup import confirmations
from kobling.followup.models import Session, SessionConfirmationLink
from kobling.followup.sessions import session_correct
from kobling.referrals.models import Participant
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


@pytest.fixture
def pair(cast):
    helper = f.make_active(cast.helper_a)
    referral = s.waiting(cast.programme_a, first_name="Per", email="per@example.test")
    return s.active_pair(referral, helper)


@pytest.fixture
def logged(pair):
    return [
        s.log(pair, days_ago=3, minutes=45, note="Vondt i kneet", borg=16),
        s.log(pair, days_ago=1, minutes=60, note="Panikkanfall i bakken"),
    ]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block queues "on commit" (the e-mail), as a committed request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def send_link(cast, committed):
    def send(pair) -> str:
        with committed():
            response = signed_in(cast.contact_user_a).post(
                reverse("web:session_confirmation_send", args=[pair.pk]), follow=True
            )
        return response.content.decode()

    return send


def path_of(link: str) -> str:
    return urlsplit(link).path


def test_the_participant_gets_a_link_without_health_details(
    cast, pair, logged, smtp_server, send_link
):
    html = send_link(pair)
    assert "on its way to the participant" in html
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["per@example.test"]
    assert "Per" in mail.text and cast.helper_a.first_name in mail.text
    assert "2 sessions" in mail.text
    for secret in ("kneet", "Panikk", "16", "Borg", "vigorous", "moderate"):
        assert secret not in mail.prose and secret not in mail.subject
    [link] = mail.links()
    assert path_of(link).startswith("/bekreft-okter/")
    entry = AuditEntry.objects.get(object_type="followup.sessionconfirmationlink")
    assert entry.user == cast.contact_user_a and len(entry.changes["sessions"]) == 2


def test_the_page_lists_the_sessions_and_confirms_the_ticked_ones_once(
    cast, pair, logged, smtp_server, send_link
):
    send_link(pair)
    link = path_of(smtp_server.messages[0].links()[0])
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and html.count('name="session"') == 2
    assert "kneet" not in html and "Panikk" not in html and "Borg" not in html
    assert not Session.objects.filter(confirmed_at__isnull=False).exists()  # GET changes nothing

    token = browser.cookies["csrftoken"].value
    done = browser.post(link, {"session": [logged[0].pk], "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "You confirmed 1 session." in done.content.decode()
    first, second = (Session.objects.get(pk=x.pk) for x in logged)
    assert (first.confirmed_via, second.confirmed_at) == ("link", None)
    assert AuditEntry.objects.filter(
        object_type="followup.session", object_id=str(first.pk), via="session confirmation link"
    ).exists()

    again = browser.post(link, {"session": [logged[1].pk], "csrfmiddlewaretoken": token})
    assert again.status_code == 409 and "works only once" in again.content.decode()
    assert browser.get(link).status_code == 409
    assert Session.objects.get(pk=logged[1].pk).confirmed_at is None


def test_confirming_needs_the_csrf_token_and_a_ticked_session(
    cast, pair, logged, smtp_server, send_link
):
    send_link(pair)
    link = path_of(smtp_server.messages[0].links()[0])
    forged = Client(enforce_csrf_checks=True).post(link, {"session": [logged[0].pk]})
    assert forged.status_code == 403
    nothing = Client().post(link, {})
    assert nothing.status_code == 200 and "Tick the sessions" in nothing.content.decode()
    assert not Session.objects.filter(confirmed_at__isnull=False).exists()
    assert SessionConfirmationLink.objects.get().used_at is None


def test_a_minors_link_goes_to_the_guardian(cast, pair, logged, smtp_server, send_link):
    Participant.objects.filter(pk=pair.participant_id).update(
        birth_date=timezone.localdate() - dt.timedelta(days=365 * 15),
        guardian_name="Mor",
        guardian_email="mor@example.test",
    )
    send_link(pair)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mor@example.test"]]


def test_without_an_e_mail_address_or_anything_to_confirm_no_link_is_made(
    cast, pair, smtp_server, send_link
):
    assert "no unconfirmed sessions" in send_link(pair)
    s.log(pair, days_ago=1)
    Participant.objects.filter(pk=pair.participant_id).update(email="")
    assert "no e-mail address" in send_link(pair)
    assert not SessionConfirmationLink.objects.exists() and smtp_server.messages == []


def test_an_expired_a_tampered_and_a_changed_session_link(
    cast, pair, logged, smtp_server, send_link
):
    send_link(pair)
    link = path_of(smtp_server.messages[0].links()[0])
    # A session corrected after the e-mail drops out: its facts are not the ones sent.
    session_correct(session=logged[1], by=None, reason="Kortere", minutes=30)
    html = Client().get(link).content.decode()
    assert html.count('name="session"') == 1
    assert Client().get(link[:-3] + "xx/").status_code == 404
    SessionConfirmationLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = Client().get(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_a_link_is_only_sent_once_even_if_the_send_runs_twice(pair, logged, smtp_server, committed):
    with committed():
        link = confirmations.confirmation_link_create(pairing=pair, by=None)
    assert confirmations.confirmation_send(link_id=link.pk) == ("skipped", None)  # sent on commit
    assert len(smtp_server.messages) == 1


def test_a_refused_send_is_recorded_and_sent_by_the_next_try(pair, logged, smtp_server, committed):
    smtp_server.fail_next(1)
    with committed():
        link = confirmations.confirmation_link_create(pairing=pair, by=None)
    mail = OutboxMessage.objects.get(subject_key=f"session-confirmation:{link.pk}")
    assert (mail.sent_at, mail.attempts) == (None, 1) and "451" in mail.last_error
    after_back_off = timezone.now() + dt.timedelta(minutes=1)
    assert confirmations.confirmation_send(link_id=link.pk, now=after_back_off)[0] == "sent"
    assert len(smtp_server.messages) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_the_link_once(cast, database_tasks, smtp_server):
    helper = f.make_active(cast.helper_a)
    pair = s.active_pair(s.waiting(cast.programme_a, email="per@example.test"), helper)
    s.log(pair, days_ago=1)
    signed_in(cast.contact_user_a).post(reverse("web:session_confirmation_send", args=[pair.pk]))
    assert smtp_server.to("per@example.test") == []  # queued, not sent by the request

    call_command("worker", "--batch", "--no-startup-delay", "--no-tick", verbosity=0)
    call_command("worker", "--batch", "--no-startup-delay", "--no-tick", verbosity=0)

    assert [m.rcpt_tos for m in smtp_server.to("per@example.test")] == [["per@example.test"]]
    link = SessionConfirmationLink.objects.get()
    assert OutboxMessage.objects.get(subject_key=f"session-confirmation:{link.pk}").sent_at


def test_sending_links_is_limited_per_pairing_in_a_day_with_a_clear_message(
    cast, pair, logged, send_link, moving_clock
):
    for _ in range(confirmations.LIMIT.count):
        assert "on its way" in send_link(pair)
    refused = send_link(pair)
    assert "already been sent 3 times in the last 24 hours" in refused
    assert "confirm in person" in refused
    assert SessionConfirmationLink.objects.count() == confirmations.LIMIT.count
    # The window slides: a day after the first, one more may go.
    moving_clock.advance(hours=24, minutes=1)
    assert "on its way" in send_link(pair)
    assert SessionConfirmationLink.objects.count() == confirmations.LIMIT.count + 1


def test_the_limit_counts_the_address_across_pairings(cast, pair, logged, committed):
    for _ in range(confirmations.LIMIT.count):
        with committed():
            confirmations.confirmation_link_create(pairing=pair, by=None)
    helper = f.make_active(cast.helper_a2)
    sibling = s.active_pair(
        s.waiting(cast.programme_a, first_name="Pål", email="PER@example.test"), helper
    )
    s.log(sibling, days_ago=1)
    with pytest.raises(ValidationError) as refused:
        confirmations.confirmation_link_create(pairing=sibling, by=None)
    assert refused.value.error_dict["sessions"][0].code == "rate_limited"
