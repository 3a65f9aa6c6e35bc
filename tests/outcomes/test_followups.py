"""Follow-up 3, 6 and 12 months after the end, end to end through a real local SMTP server:
the tick creates the questionnaires, e-mails those due (only with consent and an address), one
reminder a week later, the signed single-use link answers, and the answers feed the maintenance
figures.

Tasks run immediately here (conftest's default); the tests at the end run the real worker on
the database queue."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kobling.core.models import OutboxMessage
from kobling.followup.models import Pairing
from kobling.outcomes import followups, selectors
from kobling.outcomes.models import FollowUp, Goal
from kobling.referrals.models import Consent, Participant
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.outcomes import builders as b

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


@pytest.fixture
def clock(moving_clock):
    return moving_clock


def tick(clock) -> dict[str, int]:
    return followups.followups_tick(now=clock.now)


def ended(cast, contact, days: int, **kwargs) -> Pairing:
    """A pairing of the cast's contact that ended ``days`` ago."""
    kwargs.setdefault("email", "deltaker@example.test")
    return b.pairing(
        cast.programme_a,
        contact,
        confirmed_days_ago=days + 120,
        started_days_ago=days + 110,
        ended_days_ago=days,
        **kwargs,
    )


def three_months_ago() -> int:
    today = timezone.localdate()
    return (today - selectors.add_months(today, -3)).days + 1


def to(smtp_server, address: str):
    return [m for m in smtp_server.messages if address in m.rcpt_tos]


def path_of(message) -> str:
    [link] = [link for link in message.links() if "/oppfolging/" in link]
    return urlsplit(link).path


def statuses(pairing: Pairing) -> dict[int, str]:
    return dict(pairing.follow_ups.values_list("months", "status"))


# --- the schedule -------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert selectors.add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert selectors.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert selectors.add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)
    assert selectors.add_months(dt.date(2025, 5, 20), -12) == dt.date(2024, 5, 20)


def test_the_tick_schedules_three_follow_ups_per_ended_pairing_once(
    cast, contact, smtp_server, clock
):
    pairing = ended(cast, contact, 10)
    still_open = b.pairing(cast.programme_a, contact)

    assert tick(clock)["created"] == 3
    assert tick(clock)["created"] == 0

    rows = list(pairing.follow_ups.order_by("months").values_list("months", "due_on", "status"))
    end = pairing.ended_on
    assert rows == [
        (3, selectors.add_months(end, 3), "scheduled"),
        (6, selectors.add_months(end, 6), "scheduled"),
        (12, selectors.add_months(end, 12), "scheduled"),
    ]
    assert not still_open.follow_ups.exists()
    assert smtp_server.messages == []


def test_a_due_follow_up_is_emailed_once_with_a_signed_link_and_no_health_details(
    cast, contact, smtp_server, clock
):
    cast.a.contact_email = "koordinator@aby.test"
    cast.a.save()
    pairing = ended(cast, contact, three_months_ago())
    Goal.objects.create(
        municipality=cast.a, pairing=pairing, text="Klare trappene i blokka", status="partly"
    )
    b.review(pairing, kind="end", on=pairing.ended_on, activity_minutes=777, mastery=9)

    report = tick(clock)
    tick(clock)  # the same moment again: nothing more

    assert report["sends_queued"] == 1
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["deltaker@example.test"]
    assert "Aby" in message.subject
    assert message.message["Reply-To"] == "koordinator@aby.test"
    assert message.message["Auto-Submitted"] == "auto-generated"
    for leak in (
        "777",
        "Mastery",
        "health",
        "helse",
        "trappene",
        "goal_reached",
        pairing.participant.last_name,
    ):
        assert leak not in message.prose and leak not in message.html_prose, leak
    token = path_of(message).rstrip("/").rsplit("/", 1)[-1]
    assert followups.followup_from_token(token).months == 3
    followup = pairing.follow_ups.get(months=3)
    assert (followup.status, followup.recipient) == ("sent", "participant")
    assert followup.expires_at == clock.now + followups.LINK_VALID
    assert statuses(pairing) == {3: "sent", 6: "scheduled", 12: "scheduled"}


def test_one_reminder_after_a_week_then_nothing_more(cast, contact, smtp_server, clock):
    pairing = ended(cast, contact, three_months_ago())
    tick(clock)
    clock.advance(days=6, hours=23)
    tick(clock)
    assert len(smtp_server.messages) == 1

    clock.advance(hours=2)
    assert tick(clock)["reminders_queued"] == 1
    tick(clock)
    clock.advance(days=14)
    tick(clock)

    assert len(smtp_server.messages) == 2
    reminder = smtp_server.messages[1]
    assert reminder.subject.startswith("Reminder")
    assert path_of(reminder) == path_of(smtp_server.messages[0])
    followup = pairing.follow_ups.get(months=3)
    assert followup.status == "reminded" and followup.reminder_sent_at is not None


def test_an_answer_stops_the_reminder(cast, contact, smtp_server, clock, client):
    pairing = ended(cast, contact, three_months_ago())
    tick(clock)
    clock.advance(days=2)
    response = client.post(
        path_of(smtp_server.messages[0]),
        {"still_active": "yes", "minutes_per_week": "180", "where": "gym"},
    )
    assert response.status_code == 200
    clock.advance(days=10)
    assert tick(clock)["reminders_queued"] == 0
    assert len(smtp_server.messages) == 1
    followup = pairing.follow_ups.get(months=3)
    assert (followup.status, followup.still_active, followup.minutes_per_week, followup.where) == (
        "answered",
        True,
        180,
        "gym",
    )


def test_without_an_address_nothing_is_sent_until_one_is_added(cast, contact, smtp_server, clock):
    pairing = ended(cast, contact, three_months_ago(), email="")

    report = tick(clock)

    assert report["no_address"] == 1 and smtp_server.messages == []
    assert statuses(pairing)[3] == "no_address"
    assert tick(clock)["no_address"] == 0  # settled once

    Participant.objects.filter(pk=pairing.participant_id).update(email="ny@example.test")
    clock.advance(days=3)
    tick(clock)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ny@example.test"]]
    assert statuses(pairing)[3] == "sent"


def test_a_minors_questionnaire_goes_to_the_guardian(cast, contact, smtp_server, clock):
    today = timezone.localdate()
    pairing = ended(
        cast,
        contact,
        three_months_ago(),
        email="ungdom@example.test",
        birth_date=today.replace(year=today.year - 15),
        guardian_email="forelder@example.test",
    )
    tick(clock)
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["forelder@example.test"]
    assert pairing.participant.first_name in message.text
    assert pairing.follow_ups.get(months=3).recipient == "guardian"


def test_a_minor_without_a_guardians_address_is_not_emailed(cast, contact, smtp_server, clock):
    today = timezone.localdate()
    pairing = ended(
        cast,
        contact,
        three_months_ago(),
        email="ungdom@example.test",
        birth_date=today.replace(year=today.year - 15),
        guardian_email="",
    )
    tick(clock)
    assert smtp_server.messages == [] and statuses(pairing)[3] == "no_address"


def test_without_consent_to_be_contacted_after_the_end_nothing_is_sent(
    cast, contact, smtp_server, clock
):
    never = ended(cast, contact, three_months_ago(), follow_up_consent=False)
    withdrawn = ended(cast, contact, three_months_ago(), email="trakk@example.test")
    Consent.objects.filter(referral=withdrawn.referral, scope="follow_up").update(
        withdrawn_on=b.days_ago(1)
    )
    tick(clock)
    assert smtp_server.messages == []
    assert statuses(never)[3] == statuses(withdrawn)[3] == "opted_out"


def test_consent_withdrawn_after_sending_stops_the_reminder(cast, contact, smtp_server, clock):
    pairing = ended(cast, contact, three_months_ago())
    tick(clock)
    Consent.objects.filter(referral=pairing.referral, scope="follow_up").update(
        withdrawn_on=timezone.localdate()
    )
    clock.advance(days=8)
    tick(clock)
    assert len(smtp_server.messages) == 1
    assert statuses(pairing)[3] == "opted_out"


def test_a_participant_paired_again_is_not_asked_about_the_old_pair(
    cast, contact, smtp_server, clock
):
    old = ended(cast, contact, three_months_ago())
    again = f.ReferralFactory(programme=cast.programme_a, participant=old.participant)
    from tests.followup import scenario as s

    again.status = "waiting"
    again.save()
    s.pairing(again, contact)
    tick(clock)
    assert smtp_server.messages == [] and statuses(old)[3] == "cancelled"


def test_a_rematch_is_followed_up_once_at_the_end_of_the_course(cast, contact, smtp_server, clock):
    """The follow-ups ask about the course: a pair that ends with the participant going on with
    a new contact schedules none; the course's end does, named after the last pair. Rows an
    older tick dated from the first pair's end (before courses) neither count nor get sent."""
    from kobling.followup import services as pairing_services
    from tests.followup import scenario as s

    referral = s.waiting(cast.programme_a, email="deltaker@example.test")
    Consent.objects.create(
        referral=referral,
        municipality_id=referral.municipality_id,
        scope="follow_up",
        given_on=b.days_ago(400),
        given_by="Deltakeren",
    )
    first = s.pairing(referral, contact)
    Pairing.objects.filter(pk=first.pk).update(confirmed_at=timezone.now() - dt.timedelta(days=310))
    first.refresh_from_db()
    first = pairing_services.pairing_activate(pairing=first, by=None, started_on=b.days_ago(300))
    first = pairing_services.pairing_end(
        pairing=first,
        by=None,
        reason="no_chemistry",
        handover_destination="none",
        participant_continues=True,
        ended_on=b.days_ago(200),
    )
    assert tick(clock)["created"] == 0
    course = first.episode
    for months in (3, 6, 12):  # what the tick before courses made for the first pair
        FollowUp.objects.create(
            municipality=cast.a,
            pairing=first,
            months=months,
            due_on=selectors.add_months(first.ended_on, months),
        )

    second = s.pairing(referral, f.make_active(s.contact(cast.programme_a)))
    Pairing.objects.filter(pk=second.pk).update(
        confirmed_at=timezone.now() - dt.timedelta(days=190)
    )
    second.refresh_from_db()
    second = pairing_services.pairing_activate(pairing=second, by=None, started_on=b.days_ago(180))
    second = pairing_services.pairing_end(
        pairing=second,
        by=None,
        reason="goal_reached",
        handover_destination="gym",
        ended_on=b.days_ago(three_months_ago()),
    )
    course.refresh_from_db()
    assert course.status == "ended"

    report = tick(clock)

    assert report["created"] == 3
    assert statuses(second) == {3: "sent", 6: "scheduled", 12: "scheduled"}
    # The first pair's: the 3-month one past its window, the 6-month one (due within it)
    # because a newer pair exists; none sent. The 12-month one will go the same way.
    assert statuses(first) == {3: "cancelled", 6: "cancelled", 12: "scheduled"}
    assert course.follow_ups.count() == 6
    assert [m.rcpt_tos for m in smtp_server.messages] == [["deltaker@example.test"]]


def test_a_course_no_pair_delivers_is_followed_up_too(cast, smtp_server, clock):
    """A group or provider course has no pairing: its follow-ups name the course, the e-mail
    reads the person and programme from it, and its coordinators see them."""
    referral = f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a)
    participant = referral.participant
    participant.email = "gruppe@example.test"
    participant.save()
    Consent.objects.create(
        referral=referral,
        municipality_id=referral.municipality_id,
        scope="follow_up",
        given_on=b.days_ago(200),
        given_by="Deltakeren",
    )
    from kobling.referrals import services as referral_services
    from kobling.referrals.models import Episode

    referral_services.referral_decide(
        referral=referral,
        by=cast.coordinator_a,
        outcome="granted",
        reasons="Oppfyller kriteriene",
        override_reason="Test",
        notify=False,
    )
    course = Episode.objects.get(referral=referral)
    Episode.objects.filter(pk=course.pk).update(
        delivery="group",
        status="ended",
        started_on=b.days_ago(180),
        ended_on=b.days_ago(three_months_ago()),
    )

    assert tick(clock)["created"] == 3

    rows = FollowUp.objects.filter(episode=course)
    assert rows.count() == 3 and not rows.filter(pairing__isnull=False).exists()
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["gruppe@example.test"]
    assert cast.programme_a.name in message.text
    assert rows.get(months=3).permits(cast.coordinator_a, "view")
    assert not rows.get(months=3).permits(cast.coordinator_b, "view")
    assert set(FollowUp.objects.visible_to(cast.coordinator_a, "view")) >= set(rows)
    assert not FollowUp.objects.visible_to(cast.coordinator_b, "view").filter(episode=course)
    from django.urls import reverse

    from tests.conftest import signed_in

    page = signed_in(cast.coordinator_a).get(reverse("web:followup_list"))
    assert page.status_code == 200
    assert reverse("web:episode_timeline", args=[course.pk]) in page.content.decode()


def test_a_follow_up_past_its_window_is_let_go(cast, contact, smtp_server, clock):
    pairing = ended(cast, contact, 200)
    tick(clock)
    assert statuses(pairing) == {3: "cancelled", 6: "sent", 12: "scheduled"}
    assert len(smtp_server.messages) == 1
    too_old = ended(cast, contact, 500)
    tick(clock)
    assert not too_old.follow_ups.exists()


def test_a_refused_send_is_retried_by_the_next_tick_and_sent_once(
    cast, contact, smtp_server, clock
):
    pairing = ended(cast, contact, three_months_ago())
    smtp_server.fail_next(1)
    tick(clock)
    followup = pairing.follow_ups.get(months=3)
    mail = OutboxMessage.objects.get(subject_key=f"followup:{followup.pk}")
    assert (followup.status, mail.attempts) == ("scheduled", 1)
    assert mail.last_error
    clock.advance(minutes=1)  # the outbox's back-off before the first retry
    tick(clock)
    tick(clock)
    assert len(smtp_server.messages) == 1
    followup.refresh_from_db()
    mail.refresh_from_db()
    assert (followup.status, mail.attempts, mail.last_error) == ("sent", 2, "")


# --- the questionnaire page ---------------------------------------------------------------------


@pytest.fixture
def sent(cast, contact, smtp_server, clock):
    pairing = ended(cast, contact, three_months_ago())
    tick(clock)
    return pairing.follow_ups.get(months=3), path_of(smtp_server.messages[0])


def test_the_link_shows_the_three_questions_in_norwegian_and_changes_nothing(
    sent, client, settings
):
    settings.LANGUAGE_CODE = "nb"
    followup, url = sent
    audit = AuditEntry.objects.count()
    page = client.get(url)
    assert page.status_code == 200
    assert page["Content-Language"] == "nb"
    html = page.content.decode()
    for field in ('name="still_active"', 'name="minutes_per_week"', 'name="where"'):
        assert field in html
    followup.refresh_from_db()
    assert followup.status == "sent" and AuditEntry.objects.count() == audit
    # Nothing about the person or their health on the page.
    assert followup.pairing.participant.last_name not in html
    assert "Mastery" not in html


def test_an_answer_is_saved_once_and_a_second_post_is_already_answered(sent, client):
    followup, url = sent
    first = client.post(url, {"still_active": "no", "minutes_per_week": "", "where": ""})
    assert first.status_code == 200
    second = client.post(url, {"still_active": "yes", "minutes_per_week": "300", "where": "gym"})
    assert second.status_code == 409
    assert client.get(url).status_code == 409
    followup.refresh_from_db()
    assert (followup.status, followup.still_active, followup.minutes_per_week) == (
        "answered",
        False,
        None,
    )
    assert AuditEntry.objects.filter(
        object_type="outcomes.followup", object_id=str(followup.pk), via="follow-up link"
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"still_active": "yes", "minutes_per_week": "", "where": "gym"}, "minutes_per_week"),
        ({"still_active": "yes", "minutes_per_week": "5000", "where": "gym"}, "minutes_per_week"),
        ({"still_active": "yes", "minutes_per_week": "-5", "where": "gym"}, "minutes_per_week"),
        ({"still_active": "yes", "minutes_per_week": "100", "where": ""}, "where"),
        ({"still_active": "yes", "minutes_per_week": "100", "where": "other"}, "where_other"),
        ({"still_active": "maybe", "minutes_per_week": "100", "where": "gym"}, "still_active"),
        ({"minutes_per_week": "100", "where": "gym"}, "still_active"),
    ],
)
def test_a_bad_answer_is_shown_and_nothing_is_saved(sent, client, body, field):
    followup, url = sent
    response = client.post(url, body)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    followup.refresh_from_db()
    assert followup.status == "sent" and followup.answered_at is None


def test_other_with_a_place_is_kept(sent, client):
    followup, url = sent
    client.post(
        url,
        {
            "still_active": "yes",
            "minutes_per_week": "90",
            "where": "other",
            "where_other": "Turlag",
        },
    )
    followup.refresh_from_db()
    assert (followup.where, followup.where_other) == ("other", "Turlag")


def test_a_tampered_link_is_404_and_an_expired_one_410(sent, client, clock):
    followup, url = sent
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.get("/oppfolging/no-signature/").status_code == 404
    clock.advance(days=31)
    assert client.get(url).status_code == 410
    assert client.post(url, {"still_active": "no"}).status_code == 410
    followup.refresh_from_db()
    assert followup.status == "sent"


def test_opting_out_closes_this_and_the_later_follow_ups(sent, client):
    followup, url = sent
    response = client.post(url, {"opt_out": "1"})
    assert response.status_code == 200
    assert statuses(followup.pairing) == {3: "opted_out", 6: "opted_out", 12: "opted_out"}
    # The link now only offers to withdraw consents, and only while it would have worked.
    assert client.post(url, {"still_active": "no"}).status_code == 200
    followup.refresh_from_db()
    assert followup.status == "opted_out" and followup.answered_at is None


def test_opting_out_offers_to_withdraw_the_consents_in_force(sent, client, clock):
    from kobling.referrals.choices import ConsentScope
    from kobling.referrals.models import Consent

    followup, url = sent
    referral = followup.episode.referral
    contact = Consent.objects.get(referral=referral, scope=ConsentScope.CONTACT_FOR_FOLLOW_UP)
    share = Consent.objects.create(
        referral=referral,
        municipality=referral.municipality,
        scope=ConsentScope.SHARE_WITH_REFERRER,
        given_on=contact.given_on,
        given_by="Deltakeren",
    )
    page = client.post(url, {"opt_out": "1"}).content.decode()
    assert "Withdraw your consent as well?" in page
    assert f'name="consent" value="{contact.pk}"' in page
    assert f'name="consent" value="{share.pk}"' in page
    # Nothing ticked: a clear message, nothing withdrawn.
    nothing = client.post(url, {"withdraw_consent": "1"})
    assert nothing.status_code == 400 and "Tick the consents" in nothing.content.decode()

    # A consent of another course cannot be named through this link.
    stranger = Consent.objects.exclude(referral=referral).first()
    done = client.post(
        url,
        {
            "withdraw_consent": "1",
            "consent": [str(contact.pk)] + ([str(stranger.pk)] if stranger else []),
        },
    )
    assert done.status_code == 200 and "Your consent is withdrawn" in done.content.decode()
    contact.refresh_from_db()
    share.refresh_from_db()
    assert contact.withdrawn_on == timezone.localdate(clock.now)
    assert share.withdrawn_on is None
    entry = AuditEntry.objects.get(object_type="referrals.consent", object_id=str(contact.pk))
    assert entry.user is None and entry.via == "follow-up link"
    assert entry.changes["by"] == "participant"
    # What stays in force is still offered; when the link's time is up, nothing is.
    assert f'id="consent-{share.pk}"' in client.get(url).content.decode()
    assert f'id="consent-{contact.pk}"' not in client.get(url).content.decode()
    clock.advance(days=31)
    assert client.get(url).status_code == 410
    assert client.post(url, {"withdraw_consent": "1", "consent": [share.pk]}).status_code == 410
    share.refresh_from_db()
    assert share.withdrawn_on is None


def test_a_follow_up_closed_for_missing_consent_offers_no_withdrawal(sent, clock):
    followup, _url = sent
    FollowUp.objects.filter(pk=followup.pk).update(status="opted_out")
    followup.refresh_from_db()
    # Its link was never used to opt out, so it allows nothing.
    assert not followups.followup_may_withdraw_consents(followup, now=clock.now)


# --- maintenance --------------------------------------------------------------------------------


def test_maintenance_counts_answers_per_month_after_the_end(cast, contact, clock):
    def followup(months, status, active=None, minutes=None, programme=None):
        pairing = ended(cast, contact, 10)
        return FollowUp.objects.create(
            municipality=cast.a,
            pairing=pairing,
            months=months,
            due_on=timezone.localdate(),
            status=status,
            still_active=active,
            minutes_per_week=minutes,
        )

    followup(3, "answered", True, 150)
    followup(3, "answered", True, 300)
    followup(3, "answered", False, None)
    followup(3, "reminded")
    followup(3, "no_address")
    followup(6, "answered", False, 0)
    followup(6, "opted_out")

    figures = selectors.maintenance(cast.a.pk)

    assert figures[3] == {
        "asked": 4,
        "answered": 3,
        "active": 2,
        "share": 0.667,
        "response_rate": 0.75,
        "median_minutes": 225,
    }
    assert figures[6]["answered"] == 1 and figures[6]["share"] == 0.0
    assert figures[12] == {
        "asked": 0,
        "answered": 0,
        "active": 0,
        "share": None,
        "response_rate": None,
        "median_minutes": None,
    }
    assert selectors.maintenance(cast.b.pk)[3]["answered"] == 0
    assert selectors.maintenance(cast.a.pk, programme_id=cast.programme_b.pk)[3]["asked"] == 0


def test_the_maintenance_api_and_page(cast, contact, api, web, sent):
    followup, _url = sent
    followups.followup_answer(
        followup=followup, still_active=True, minutes_per_week=200, where="gym"
    )
    response = api(cast.coordinator_a).get(
        f"/api/v1/follow-ups/maintenance/?municipality={cast.a.pk}"
    )
    assert response.status_code == 200
    three = response.json()[0]
    assert (three["months"], three["answered"], three["active"], three["share"]) == (3, 1, 1, 1.0)
    page = web(cast.coordinator_a).get("/oppfolging-etter-slutt/")
    assert page.status_code == 200 and "100 %" in page.content.decode()
    assert (
        api(cast.coordinator_a)
        .get(f"/api/v1/follow-ups/maintenance/?municipality={cast.a.pk}&programme=999999")
        .status_code
        == 400
    )


# --- the real worker ----------------------------------------------------------------------------

# First e-mails and reminders alike are sent by the outbox's one task.
SEND_TASK = "kobling.core.outbox_tasks.message_send_task"


def followup_sends():  # noqa: ANN201
    """The outbox's send tasks that sent follow-up e-mails (not the e-mails about the pair)."""
    ids = OutboxMessage.objects.filter(purpose="followup").values_list("pk", flat=True)
    return DBTaskResult.objects.filter(
        task_path=SEND_TASK, args_kwargs__kwargs__message_id__in=list(ids)
    )


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_reminds_and_stops_on_the_answer(
    cast, contact, database_tasks, smtp_server, moving_clock
):
    pairing = ended(cast, contact, three_months_ago())
    no_address = ended(cast, contact, three_months_ago(), email="")
    participant = "deltaker@example.test"

    run_worker()
    run_worker()  # the tick again: nothing more

    assert [m.rcpt_tos for m in to(smtp_server, participant)] == [[participant]]
    assert statuses(pairing)[3] == "sent" and statuses(no_address)[3] == "no_address"
    sends = followup_sends()
    assert list(sends.values_list("status", "return_value")) == [
        (TaskResultStatus.SUCCESSFUL, "sent")
    ]

    moving_clock.advance(days=7, minutes=1)
    run_worker()
    run_worker()

    assert len(to(smtp_server, participant)) == 2
    assert statuses(pairing)[3] == "reminded"
    assert followup_sends().count() == 2

    from django.test import Client

    answered = Client().post(
        path_of(to(smtp_server, participant)[1]),
        {"still_active": "yes", "minutes_per_week": "150", "where": "sports_club"},
    )
    assert answered.status_code == 200
    moving_clock.advance(days=14)
    run_worker()
    assert len(to(smtp_server, participant)) == 2
    assert statuses(pairing)[3] == "answered"
    assert selectors.maintenance(cast.a.pk)[3]["active"] == 1
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_answered_before_the_reminder_sends_no_reminder(
    cast, contact, database_tasks, smtp_server, moving_clock
):
    pairing = ended(cast, contact, three_months_ago())
    run_worker()
    followup = pairing.follow_ups.get(months=3)
    followups.followup_answer(followup=followup, still_active=False, minutes_per_week=None)
    moving_clock.advance(days=8)
    run_worker()
    assert len(to(smtp_server, "deltaker@example.test")) == 1
    assert followup_sends().count() == 1  # no reminder


def test_a_second_attempt_carries_the_same_link_as_the_first(cast, contact, smtp_server, clock):
    """A worker that died after the mail server took the e-mail sends it again (at least once):
    the copy that arrived first must keep working, so the second attempt reuses its link."""
    from kobling.core.models import OutboxMessage

    pairing = ended(cast, contact, three_months_ago())
    tick(clock)
    [first] = smtp_server.messages
    message = OutboxMessage.objects.get(purpose=followups.PURPOSE)
    message.attempts = 2
    again = followups._render(message, timezone.now())
    token = path_of(first).rstrip("/").rsplit("/", 1)[-1]
    assert token in again.body
    assert followups.followup_from_token(token) == pairing.follow_ups.get(months=3)
