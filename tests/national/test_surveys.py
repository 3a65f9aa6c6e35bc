"""Mapping surveys end to end through a real local SMTP server: dispatch e-mails one signed link
per unit (to the named contact person, else the unit's post address), the first GET marks it
opened, reminders go out on the campaign's schedule and stop on an answer, a decline or an
opt-out, and the answer sets the unit's scheme status (source *survey*).

Tasks run immediately here (conftest's default); the test at the end runs the real worker on
the database queue."""

from __future__ import annotations

import csv
import io as stdio
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kobling.core.models import OutboxMessage
from kobling.core.tasks import tick_task
from kobling.national import services, surveys
from kobling.national.models import SchemeStatus, SurveyRecipient, SurveyTemplate, Unit
from kobling.national.selectors import scheme_status_map
from kobling.tenancy.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


@pytest.fixture
def clock(moving_clock):
    return moving_clock


@pytest.fixture
def units(db):
    eid = Unit.objects.create(
        kind="municipality",
        code="1101",
        name="Eigersund",
        county_code="11",
        valid_from="2024-01-01",
        email="postmottak@eigersund.example",
    )
    sta = Unit.objects.create(
        kind="municipality",
        code="1103",
        name="Stavanger",
        county_code="11",
        valid_from="2024-01-01",
        email="postmottak@stavanger.example",
    )
    none = Unit.objects.create(
        kind="municipality",
        code="1106",
        name="Haugesund",
        county_code="11",
        valid_from="2024-01-01",
    )
    services.unit_contact_set(
        unit=sta, by=None, name="Kari Koordinator", email="kari@stavanger.example"
    )
    return eid, sta, none


def make_campaign(analyst, *, template="short-2016", interval=14, count=2):
    campaign = services.campaign_create(
        template=SurveyTemplate.objects.get(code=template),
        by=analyst,
        name="Kartlegging 2025",
        reminder_interval_days=interval,
        reminder_count=count,
    )
    services.campaign_add_units(campaign=campaign, by=analyst, unit_kinds=["municipality"])
    return campaign


def dispatch(campaign, analyst, capture):
    with capture(execute=True):
        return services.campaign_dispatch(campaign=campaign, by=analyst)


def tick(clock):
    return surveys.surveys_tick(now=clock.now)


def to(smtp_server, address):
    return [m for m in smtp_server.messages if address in m.rcpt_tos]


def path_of(message) -> str:
    [link] = [link for link in message.links() if "/kartlegging/" in link]
    return urlsplit(link).path


def recipient(unit) -> SurveyRecipient:
    return SurveyRecipient.objects.get(unit=unit)


@pytest.fixture
def sent(cast, units, smtp_server, clock, django_capture_on_commit_callbacks):
    campaign = make_campaign(cast.analyst)
    dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks)
    return campaign


# --- dispatch -----------------------------------------------------------------------------------


def test_dispatch_emails_each_unit_once_to_its_contact_or_post_address(
    cast, units, smtp_server, clock, django_capture_on_commit_callbacks
):
    eid, sta, none = units
    campaign = make_campaign(cast.analyst)
    assert dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks) == 2
    dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks)  # again: nothing more
    assert tick(clock) == {"sends_queued": 0, "reminders_queued": 0}

    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "kari@stavanger.example",
        "postmottak@eigersund.example",
    ]
    [kari] = to(smtp_server, "kari@stavanger.example")
    assert "Kari Koordinator" in kari.text and "Stavanger" in kari.subject
    assert kari.message["Auto-Submitted"] == "auto-generated"
    token = path_of(kari).rstrip("/").rsplit("/", 1)[-1]
    assert surveys.recipient_from_token(token).unit == sta
    assert path_of(kari) != path_of(to(smtp_server, "postmottak@eigersund.example")[0])
    assert recipient(sta).status == "sent" and recipient(sta).expires_at is not None
    assert recipient(none).status == "no_address" and recipient(none).sent_at is None

    # An address added later is used by the next dispatch.
    services.unit_set_email(unit=none, by=None, email="post@haugesund.example")
    assert dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks) == 1
    assert to(smtp_server, "post@haugesund.example")


def test_a_refused_send_is_retried_by_the_tick_and_sent_once(
    cast, units, smtp_server, clock, django_capture_on_commit_callbacks
):
    campaign = make_campaign(cast.analyst)
    smtp_server.fail_next(1)
    dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks)
    failed = SurveyRecipient.objects.get(status="pending")
    mail = OutboxMessage.objects.get(subject_key=f"survey:{failed.pk}")
    assert (mail.attempts, mail.status) == (1, "failed") and mail.last_error
    clock.advance(minutes=1)  # the outbox's back-off before the first retry
    assert tick(clock)["sends_queued"] == 1
    tick(clock)
    assert len(smtp_server.messages) == 2
    failed.refresh_from_db()
    mail.refresh_from_db()
    assert (failed.status, mail.last_error) == ("sent", "")


# --- the link -----------------------------------------------------------------------------------


def test_the_first_get_marks_it_opened_and_shows_the_questions_without_sign_in(
    sent, units, smtp_server, clock, client
):
    _eid, sta, _none = units
    url = path_of(to(smtp_server, "kari@stavanger.example")[0])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # The gate question first, alone.
    assert 'name="status"' in html and 'name="contacts_since_start"' not in html
    assert 'name="step"' in html
    assert "csrfmiddlewaretoken" in html and "style=" not in html
    first = recipient(sta)
    assert first.status == "opened" and first.opened_at == clock.now
    clock.advance(hours=1)
    client.get(url)
    assert recipient(sta).opened_at == first.opened_at


def test_the_gate_answer_decides_which_questions_follow(sent, units, smtp_server, client):
    eid, sta, _none = units
    url = path_of(to(smtp_server, "kari@stavanger.example")[0])
    running = client.post(url, {"step": "gate", "status": "running"}).content.decode()
    assert 'name="contacts_since_start"' in running and 'name="ended_year"' not in running
    assert re.search(r'value="running"[^>]*checked', running)
    ended = client.post(url, {"step": "gate", "status": "ended"}).content.decode()
    assert 'name="ended_year"' in ended and 'name="contacts_since_start"' not in ended
    assert recipient(sta).status == "sent" and not SchemeStatus.objects.exists()
    assert client.post(url, {"step": "gate"}).status_code == 400

    never = client.post(url, {"step": "gate", "status": "never"})
    assert never.status_code == 200
    assert recipient(sta).answers == {"status": "never"}
    assert SchemeStatus.objects.get(unit=sta).state == "never"


def test_reminders_follow_the_schedule_and_stop_after_the_last(sent, units, smtp_server, clock):
    _eid, sta, _none = units
    kari = "kari@stavanger.example"
    clock.advance(days=13, hours=23)
    assert tick(clock)["reminders_queued"] == 0
    clock.advance(hours=2)
    assert tick(clock)["reminders_queued"] == 2
    assert tick(clock)["reminders_queued"] == 0  # the same moment again: nothing more
    assert len(to(smtp_server, kari)) == 2
    reminder = to(smtp_server, kari)[1]
    assert reminder.subject.startswith("Reminder")
    assert path_of(reminder) == path_of(to(smtp_server, kari)[0])
    assert recipient(sta).reminders_sent == 1

    clock.advance(days=13)
    assert tick(clock)["reminders_queued"] == 0
    clock.advance(days=1, hours=1)
    assert tick(clock)["reminders_queued"] == 2
    clock.advance(days=30)
    assert tick(clock)["reminders_queued"] == 0
    assert len(to(smtp_server, kari)) == 3 and recipient(sta).reminders_sent == 2


def test_the_interval_and_number_of_reminders_are_per_campaign(
    cast, units, smtp_server, clock, django_capture_on_commit_callbacks
):
    campaign = make_campaign(cast.analyst, interval=21, count=1)
    dispatch(campaign, cast.analyst, django_capture_on_commit_callbacks)
    clock.advance(days=20)
    assert tick(clock)["reminders_queued"] == 0
    clock.advance(days=1, minutes=1)
    assert tick(clock)["reminders_queued"] == 2
    clock.advance(days=22)
    assert tick(clock)["reminders_queued"] == 0


def test_an_answer_stops_the_reminders_and_sets_the_scheme_status(
    sent, units, smtp_server, clock, client
):
    _eid, sta, _none = units
    url = path_of(to(smtp_server, "kari@stavanger.example")[0])
    clock.advance(days=3)
    response = client.post(
        url,
        {
            "status": "running",
            "started_year": "2012",
            "contacts_since_start": "3",
            "contacts_last_year": "12",
            "participants_per_contact": "1-2",
            "contact_gender": "equal",
        },
    )
    assert response.status_code == 200
    answered = recipient(sta)
    assert answered.status == "answered"
    assert answered.answers["contacts_since_start"] == 3
    assert answered.answers["participants_per_contact"] == "1-2"
    status = SchemeStatus.objects.get(unit=sta)
    assert (status.state, status.source, status.started_year, status.recipient_id) == (
        "active",
        "survey",
        2012,
        answered.pk,
    )
    assert scheme_status_map(timezone.localdate(clock.now))["1103"] is True

    clock.advance(days=12)
    assert tick(clock)["reminders_queued"] == 1  # only the unit that did not answer
    assert len(to(smtp_server, "kari@stavanger.example")) == 1

    again = client.post(url, {"status": "never"})
    assert again.status_code == 409 and client.get(url).status_code == 409
    assert SchemeStatus.objects.filter(unit=sta).count() == 1
    assert AuditEntry.objects.filter(
        object_type="national.surveyrecipient",
        object_id=str(answered.pk),
        via="mapping survey link",
    ).exists()


def test_a_unit_whose_scheme_ended_exits_early(sent, units, smtp_server, client):
    eid, _sta, _none = units
    url = path_of(to(smtp_server, "postmottak@eigersund.example")[0])
    missing = client.post(url, {"status": "ended"})
    assert missing.status_code == 400
    errors = missing.context["form"].errors
    assert set(errors) == {"ended_year", "ended_reason"}
    assert recipient(eid).status == "sent"

    done = client.post(
        url,
        {
            "status": "ended",
            "ended_year": "2019",
            "ended_reason": "key_person_left",
            "contacts_since_start": "40",
        },  # not asked when it has ended: dropped
    )
    assert done.status_code == 200
    assert recipient(eid).answers == {
        "status": "ended",
        "ended_year": 2019,
        "ended_reason": "key_person_left",
    }
    status = SchemeStatus.objects.get(unit=eid)
    assert (status.state, status.ended_year, status.ended_reason) == (
        "ended",
        2019,
        "key_person_left",
    )


def test_never_needs_only_the_first_question_and_bad_answers_are_refused(
    sent, units, smtp_server, client
):
    eid, _sta, _none = units
    url = path_of(to(smtp_server, "postmottak@eigersund.example")[0])
    assert client.post(url, {}).context["form"].errors["status"]
    bad = client.post(
        url,
        {
            "status": "running",
            "contacts_last_year": "mange",
            "participants_per_contact": "seven",
            "started_year": "1850",
        },
    )
    assert set(bad.context["form"].errors) == {
        "contacts_last_year",
        "participants_per_contact",
        "started_year",
    }
    assert client.post(url, {"status": "maybe"}).status_code == 400
    assert client.post(url, {"status": "never"}).status_code == 200
    assert SchemeStatus.objects.get(unit=eid).state == "never"


def test_declining_closes_the_survey_and_stops_the_reminders(
    sent, units, smtp_server, clock, client
):
    eid, _sta, _none = units
    url = path_of(to(smtp_server, "postmottak@eigersund.example")[0])
    assert client.post(url, {"decline": "1"}).status_code == 200
    assert recipient(eid).status == "declined" and recipient(eid).declined_at
    assert client.get(url).status_code == 410
    clock.advance(days=15)
    tick(clock)
    assert len(to(smtp_server, "postmottak@eigersund.example")) == 1
    assert not SchemeStatus.objects.filter(unit=eid).exists()


def test_opting_out_stops_this_and_later_surveys_to_the_unit(
    sent, cast, units, smtp_server, clock, client, django_capture_on_commit_callbacks
):
    eid, sta, _none = units
    url = path_of(to(smtp_server, "postmottak@eigersund.example")[0])
    assert client.post(url, {"opt_out": "1"}).status_code == 200
    assert recipient(eid).status == "opted_out"
    eid.refresh_from_db()
    assert eid.contact.opted_out_at is not None
    clock.advance(days=15)
    tick(clock)
    assert len(to(smtp_server, "postmottak@eigersund.example")) == 1

    later = make_campaign(cast.analyst)
    assert set(later.recipients.values_list("unit__code", flat=True)) == {"1103", "1106"}


def test_a_tampered_link_is_404_and_an_expired_one_410(sent, units, smtp_server, clock, client):
    url = path_of(to(smtp_server, "kari@stavanger.example")[0])
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.get("/kartlegging/ingen-signatur/").status_code == 404
    clock.advance(days=91)
    assert client.get(url).status_code == 410
    assert client.post(url, {"status": "never"}).status_code == 410
    assert tick(clock)["reminders_queued"] == 0


def test_the_campaign_page_and_csv_show_statuses_and_suppress_small_person_counts(
    sent, cast, units, smtp_server, client, web
):
    _eid, sta, _none = units
    client.post(
        path_of(to(smtp_server, "kari@stavanger.example")[0]),
        {
            "status": "running",
            "contacts_since_start": "3",
            "contacts_last_year": "12",
            "contact_gender": "women",
        },
    )
    analyst = web(cast.analyst)
    page = analyst.get(f"/nasjonalt/kartlegginger/{sent.pk}/")
    assert page.status_code == 200
    counts = page.context["counts"]
    assert (counts["answered"], counts["sent"], counts["no_address"]) == (1, 1, 1)
    body = analyst.get(f"/nasjonalt/kartlegginger/{sent.pk}/svar.csv").content.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(stdio.StringIO(body), delimiter=";")}
    header = rows["unit_code"]
    stavanger = dict(zip(header, rows["1103"], strict=True))
    assert stavanger["survey_status"] == "answered"
    assert stavanger["status"] == "Ja, ordningen er i drift i dag"
    assert stavanger["contacts_since_start"] == "<5"
    assert stavanger["contacts_last_year"] == "12"
    assert stavanger["contact_gender"] == "Flest kvinner"
    assert dict(zip(header, rows["1101"], strict=True))["survey_status"] == "sent"

    api = analyst.get("/api/v1/national/campaigns/").json()["results"][0]
    assert api["responses"]["answered"] == 1 and api["responses"]["total"] == 3


def test_the_check_in_tick_task_runs_the_survey_tick(sent, smtp_server, clock):
    clock.advance(days=14, minutes=1)
    report = tick_task.call()
    assert report["national_reminders_queued"] == 2


# --- the real worker ----------------------------------------------------------------------------

# Surveys and reminders alike are sent by the outbox's one task.
SEND_TASK = "kobling.core.outbox_tasks.message_send_task"


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_reminds_and_stops_on_the_answer(
    cast, units, database_tasks, smtp_server, moving_clock, client
):
    eid, sta, _none = units
    campaign = make_campaign(cast.analyst)
    services.campaign_dispatch(campaign=campaign, by=cast.analyst)
    run_worker()
    run_worker()  # the tick again: nothing more
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "kari@stavanger.example",
        "postmottak@eigersund.example",
    ]
    assert set(
        DBTaskResult.objects.filter(task_path=SEND_TASK).values_list("status", "return_value")
    ) == {(TaskResultStatus.SUCCESSFUL, "sent")}

    response = client.post(
        path_of(to(smtp_server, "kari@stavanger.example")[0]), {"status": "never"}
    )
    assert response.status_code == 200

    moving_clock.advance(days=14, minutes=1)
    reminded_from = moving_clock.now
    run_worker()
    run_worker()
    assert len(to(smtp_server, "postmottak@eigersund.example")) == 2
    assert len(to(smtp_server, "kari@stavanger.example")) == 1
    # One reminder send (the first sends' task rows are 14 days old: the daily prune may take
    # them).
    reminders = DBTaskResult.objects.filter(task_path=SEND_TASK, enqueued_at__gte=reminded_from)
    assert reminders.count() == 1
    assert recipient(eid).reminders_sent == 1 and recipient(sta).status == "answered"
