"""The participant's card on the phone: the coordinator sends the link from the course (through
the outbox, to a real local SMTP server; a new link replaces the old; at most three a day), the
page shows first name and initial, the card number the leader types for a drop-in, the
programme and until when the eligibility holds — never the benefit group or anything about
health — and fits a 390-px phone without serious accessibility faults."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from kobling.groups import card
from kobling.groups.models import Attendance
from kobling.referrals import services as referral_services
from kobling.referrals.models import Episode
from tests.conftest import signed_in
from tests.followup import scenario as s
from tests.groups.test_groups import course

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def member(cast):
    episode = course(cast, first_name="Solveig")
    participant = episode.participant
    participant.email, participant.last_name = "solveig@example.test", "Nordmann"
    participant.save()
    Episode.objects.filter(pk=episode.pk).update(delivery="group")
    referral_services.benefit_verify(
        referral=episode.referral, by=cast.coordinator_a, benefit="sykepenger"
    )
    return Episode.objects.get(pk=episode.pk)


@pytest.mark.smtp
def test_the_coordinator_sends_the_card_and_the_page_shows_only_what_the_door_needs(
    cast, member, smtp_server, committed
):
    coordinator = signed_in(cast.coordinator_a)
    timeline = coordinator.get(f"/forlop/{member.pk}/").content.decode()
    assert f"/forlop/{member.pk}/deltakerkort/" in timeline
    with committed():
        sent = coordinator.post(f"/forlop/{member.pk}/deltakerkort/", follow=True)
    assert "participant card is on its way" in sent.content.decode()
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["solveig@example.test"]
    assert "sykepenger" not in mail.prose.lower() and "Nordmann" not in mail.prose
    [link] = mail.links()
    page = Client().get(urlsplit(link).path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Solveig N." in html and "Nordmann" not in html
    assert str(member.pk) in html and member.programme.name in html
    check = member.referral.benefit_checks.get()
    assert f'datetime="{check.valid_until.isoformat()}"' in html
    for secret in ("sykepenger", "Sykepenger", "Sickness benefit", "AAP"):
        assert secret not in html
    # The number on the card is what the leader types for a drop-in.
    assert Attendance.objects.count() == 0


def test_a_new_link_replaces_the_old_and_the_sends_are_limited(cast, member, committed):
    with committed():
        first = card.card_link_send(episode=member, by=cast.coordinator_a)
    from kobling.core import outbox

    old_token = outbox.link_token(first)
    with committed():
        second = card.card_link_send(episode=member, by=cast.coordinator_a)
    gone = Client().get(f"/kort/{old_token}/")
    assert gone.status_code == 410
    assert Client().get(f"/kort/{outbox.link_token(second)}/").status_code == 200
    assert Client().get("/kort/not-a-token/").status_code == 404
    card.card_link_send(episode=member, by=cast.coordinator_a)
    with pytest.raises(ValidationError) as limited:
        card.card_link_send(episode=member, by=cast.coordinator_a)
    assert "already been sent 3 times" in str(limited.value)


def test_no_card_without_an_address_for_an_ended_course_or_for_a_stranger(cast, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        card.card_link_send(episode=member, by=cast.coordinator_b)
    participant = member.participant
    participant.email = ""
    participant.save()
    with pytest.raises(ValidationError) as no_address:
        card.card_link_send(episode=member, by=cast.coordinator_a)
    assert "no e-mail address" in str(no_address.value)
    Episode.objects.filter(pk=member.pk).update(status="ended", ended_on=timezone.localdate())
    member.refresh_from_db()
    with pytest.raises(ValidationError):
        card.card_link_send(episode=member, by=cast.coordinator_a)


def test_an_expired_eligibility_shows_that_it_must_be_checked_again(cast, member):
    referral_services.benefit_verify(
        referral=member.referral,
        by=cast.coordinator_a,
        benefit="aap",
        verified_on=timezone.localdate() - dt.timedelta(weeks=1),
    )
    member.referral.benefit_checks.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    from kobling.core import outbox

    link = card.card_link_send(episode=member, by=cast.coordinator_a)
    html = Client().get(f"/kort/{outbox.link_token(link)}/").content.decode()
    assert "Must be checked again" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_card_fits_a_phone_with_no_serious_accessibility_faults(live_server, cast, browser):
    from kobling.core import outbox
    from tests.groups.test_browser import _serious

    episode = s.waiting(cast.programme_a, first_name="Ingrid-Marie", referrer=cast.referrer_a)
    from kobling.referrals import episodes

    member = episodes.episode_for_referral(episode)
    participant = member.participant
    participant.email = "im@example.test"
    participant.save()
    link = card.card_link_send(episode=member, by=cast.coordinator_a)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/kort/{outbox.link_token(link)}/")
    assert page.locator("h1").inner_text().startswith("Ingrid-Marie")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(page) == []
    assert errors == []
