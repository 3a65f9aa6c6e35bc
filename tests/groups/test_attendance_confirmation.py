"""Participants confirm their own group attendance by link, where the programme asks for it, end
to end through a real local SMTP server: the leader marks the meeting held, each participant
ticked present (or a minor's guardian) gets one e-mail — first name, group, day; nothing about
health, no benefit group —, the page takes "I was there" or "I was not there" once, the answer
is written onto the attendance entry (the database allows exactly that), and a dispute raises
an alert and shows on the meeting's list without changing the attendance."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from kobling.core.alerts import alerts_for
from kobling.core.models import OutboxMessage
from kobling.groups import confirmations, services
from kobling.groups.models import Attendance, AttendanceConfirmationLink, GroupEnrolment
from kobling.referrals import services as referral_services
from kobling.referrals.models import Participant
from kobling.tenancy.forms import ProgrammeCourseForm
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.groups.test_groups import _past, course, leader, make_offer

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block queues "on commit" (the e-mails), as a committed request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def asking(cast):
    programme = cast.programme_a
    programme.attendance_confirmation_by_participant = True
    programme.save()
    return programme


@pytest.fixture
def group(cast):
    """An offer led by the contact user; Anne and Bjørn (with addresses) and Cecilie (none)
    enrolled four weeks ago; its meetings."""
    led = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)])
    members = [course(cast, first_name=n) for n in ("Anne", "Bjørn", "Cecilie")]
    for member, email in zip(members, ("anne@example.test", "bjorn@example.test", ""), strict=True):
        Participant.objects.filter(pk=member.participant_id).update(email=email)
        services.enrolment_create(offer=led, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=led.term_start)
    services.meetings_generate(offer=led, by=cast.coordinator_a)
    return led, members


def record(cast, meeting, came, committed, *, by=None):
    """The leader's page: tick, save; returns the page after the redirect."""
    page = signed_in(by or cast.contact_user_a)
    with committed():
        response = page.post(
            f"/samlinger/{meeting.pk}/",
            {"came": [c.pk for c in came], "minutes": 60, "version": meeting.version},
            follow=True,
        )
    assert response.status_code == 200
    return response.content.decode()


def link_path(mail) -> str:
    [link] = mail.links()
    return urlsplit(link).path


def answer(path, choice, **extra):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    if page.status_code != 200:
        return page
    data = {"answer": choice, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value, **extra}
    return browser.post(path, data)


@pytest.mark.smtp
def test_each_participant_ticked_present_gets_one_link_without_health_details(
    cast, asking, group, smtp_server, committed
):
    offer, (anne, bjorn, cecilie) = group
    meeting = _past(offer)
    html = record(cast, meeting, [anne, bjorn, cecilie], committed)
    assert "on its way to 2 participants" in html
    # Cecilie has no address: counted and named for the leader, and marked on the list.
    assert "1 participant has no e-mail address and gets no link: Cecilie" in html
    assert "no link" in html and "2 awaiting" in html
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "anne@example.test",
        "bjorn@example.test",
    ]
    mail = smtp_server.to("anne@example.test")[0]
    assert "Anne" in mail.text and offer.title in mail.text and offer.title in mail.subject
    for secret in ("sykepenger", "Borg", "Frisklivssentralen", "Bjørn", "Cecilie"):
        assert secret not in mail.prose and secret not in mail.subject
    assert link_path(mail).startswith("/bekreft-oppmote/")
    made = AuditEntry.objects.filter(object_type="groups.attendanceconfirmationlink")
    assert made.count() == 2 and {e.user for e in made} == {cast.contact_user_a}


@pytest.mark.smtp
def test_i_was_there_confirms_the_entry_once_and_the_report_counts_it(
    cast, asking, group, smtp_server, committed
):
    offer, (anne, _bjorn, _cecilie) = group
    meeting = _past(offer)
    record(cast, meeting, [anne], committed)
    path = link_path(smtp_server.messages[0])

    page = Client().get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "Anne" in html and offer.title in html
    assert "I was there" in html and "I was not there" in html
    assert "Frisklivssentralen" not in html and "sykepenger" not in html
    assert Attendance.objects.get(episode=anne).answered_at is None  # a GET changes nothing

    done = answer(path, "yes")
    assert done.status_code == 200 and "You confirmed that you were there." in done.content.decode()
    entry = Attendance.objects.get(episode=anne)
    assert (entry.confirmation, entry.attended) == ("confirmed", True)
    assert AuditEntry.objects.filter(
        object_type="groups.attendance", object_id=str(entry.pk), via="attendance confirmation link"
    ).exists()
    # Once only.
    again = answer(path, "no")
    assert again.status_code == 409 and "works only once" in again.content.decode()
    assert Attendance.objects.get(episode=anne).confirmation == "confirmed"

    leader_page = signed_in(cast.contact_user_a).get(f"/samlinger/{meeting.pk}/")
    assert "1 confirmed" in leader_page.content.decode()
    report = signed_in(cast.coordinator_a).get(f"/api/v1/episodes/{anne.pk}/report")
    body = report.json()
    assert (body["meetings_attended"], body["meetings_confirmed"]) == (1, 1)
    assert body["sessions_confirmed"] == 1


@pytest.mark.smtp
def test_i_was_not_there_raises_an_alert_and_changes_nothing_silently(
    cast, asking, group, smtp_server, committed
):
    offer, (anne, _bjorn, _cecilie) = group
    meeting = _past(offer)
    record(cast, meeting, [anne], committed)
    done = answer(link_path(smtp_server.messages[0]), "no")
    assert "You said that you were not there" in done.content.decode()
    entry = Attendance.objects.current().get(episode=anne)
    assert (entry.attended, entry.confirmation) == (True, "disputed")

    [alert] = [a for a in alerts_for(cast.coordinator_a) if a.kind == confirmations.DISPUTED]
    assert alert.subject == anne.participant.full_name
    assert alert.url == f"/samlinger/{meeting.pk}/"
    assert [a for a in alerts_for(cast.coordinator_b) if a.kind == confirmations.DISPUTED] == []
    alerts_page = signed_in(cast.coordinator_a).get("/varsler/").content.decode()
    assert "Says they were not at" in alerts_page

    page = signed_in(cast.contact_user_a).get(f"/samlinger/{meeting.pk}/").content.decode()
    assert "says not there" in page and "The attendance is unchanged" in page
    # The leader corrects it: a new entry supersedes, the alert goes, no new link is sent.
    meeting.refresh_from_db()
    record(cast, meeting, [], committed)
    assert Attendance.objects.current().get(episode=anne).attended is False
    assert [a for a in alerts_for(cast.coordinator_a) if a.kind == confirmations.DISPUTED] == []
    assert len(smtp_server.messages) == 1


def test_the_leader_keeps_a_disputed_entry_with_a_reason(cast, asking, group, api):
    offer, (anne, bjorn, _cecilie) = group
    meeting = _past(offer)
    services.attendance_record(meeting=meeting, by=cast.contact_user_a, came={anne.pk, bjorn.pk})
    confirmations.attendance_answer(
        link=AttendanceConfirmationLink.objects.get(episode=anne), was_there=False
    )
    leader_page = signed_in(cast.contact_user_a)
    url = f"/samlinger/{meeting.pk}/bestridt/"
    # No reason, or someone who did not dispute: refused with the reason, nothing saved.
    refused = leader_page.post(url, {"episode": anne.pk, "reason": " "}, follow=True)
    assert "Say why the attendance stands" in refused.content.decode()
    other = leader_page.post(url, {"episode": bjorn.pk, "reason": "Så henne"}, follow=True)
    assert "no disputed attendance" in other.content.decode()
    assert Attendance.objects.count() == 3
    # Kept: a new entry supersedes the disputed one; the alert goes; no new link.
    kept = leader_page.post(url, {"episode": anne.pk, "reason": "Hun var der, jeg så henne"})
    assert kept.status_code == 302
    current = Attendance.objects.current().get(episode=anne)
    assert current.attended and current.supersedes.confirmation == "disputed"
    assert "jeg så henne" in current.correction_reason
    assert [a for a in alerts_for(cast.coordinator_a) if a.kind == confirmations.DISPUTED] == []
    assert AttendanceConfirmationLink.objects.filter(episode=anne).count() == 1
    rows = api(cast.contact_user_a).get(f"/api/v1/meetings/{meeting.pk}/attendance/").json()
    assert {r["episode"]: r["confirmation"] for r in rows}[anne.pk] == "kept"
    # The referrer-facing count is unchanged: still one meeting attended.
    assert Attendance.objects.current().filter(episode=anne, attended=True).count() == 1


@pytest.mark.smtp
def test_a_minors_link_goes_to_the_guardian(cast, asking, group, smtp_server, committed):
    offer, (anne, _bjorn, _cecilie) = group
    Participant.objects.filter(pk=anne.participant_id).update(
        birth_date=timezone.localdate() - dt.timedelta(days=365 * 15),
        guardian_name="Mor",
        guardian_email="mor@example.test",
    )
    record(cast, _past(offer), [anne], committed)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mor@example.test"]]


@pytest.mark.smtp
def test_with_the_programme_setting_off_no_links_are_made(cast, group, smtp_server, committed):
    offer, (anne, bjorn, _cecilie) = group
    assert cast.programme_a.attendance_confirmation_by_participant is False
    html = record(cast, _past(offer), [anne, bjorn], committed)
    assert "confirm their attendance" not in html and "no link" not in html
    assert not AttendanceConfirmationLink.objects.exists() and smtp_server.messages == []
    assert not OutboxMessage.objects.filter(purpose=confirmations.PURPOSE).exists()


@pytest.mark.smtp
def test_only_new_present_entries_get_a_link_and_a_corrected_one_closes(
    cast, asking, group, smtp_server, committed
):
    offer, (anne, bjorn, _cecilie) = group
    meeting = _past(offer)
    record(cast, meeting, [anne], committed)
    anne_link = link_path(smtp_server.messages[0])
    meeting.refresh_from_db()
    # Recorded again: Bjørn added (a link for him), Anne taken off (her link closes).
    record(cast, meeting, [bjorn], committed)
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["anne@example.test"],
        ["bjorn@example.test"],
    ]
    closed = Client().get(anne_link)
    assert closed.status_code == 410 and "corrected the attendance list" in closed.content.decode()


@pytest.mark.smtp
def test_an_expired_a_tampered_and_another_meetings_answer(
    cast, asking, group, smtp_server, committed
):
    offer, (anne, bjorn, _cecilie) = group
    record(cast, _past(offer), [anne], committed, by=cast.coordinator_a)
    record(cast, _past(offer, 1), [bjorn], committed, by=cast.coordinator_a)
    anne_path = link_path(smtp_server.to("anne@example.test")[0])
    bjorn_entry = Attendance.objects.get(episode=bjorn, meeting=_past(offer, 1))
    # An answer naming another meeting's entry is refused; nothing is written.
    wrong = answer(anne_path, "yes", entry=str(bjorn_entry.pk))
    assert wrong.status_code == 200 and "about another meeting" in wrong.content.decode()
    assert not Attendance.objects.filter(answered_at__isnull=False).exists()
    # No choice: a clear message, nothing saved.
    nothing = answer(anne_path, "maybe")
    assert "Choose whether you were there" in nothing.content.decode()
    # A tampered token, or a session confirmation's page for this token: unknown.
    assert Client().get(anne_path[:-3] + "xx/").status_code == 404
    token = anne_path.rstrip("/").rsplit("/", 1)[1]
    assert Client().get(f"/bekreft-okter/{token}/").status_code == 404
    AttendanceConfirmationLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = Client().get(anne_path)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert answer(anne_path, "yes").status_code == 410
    assert not Attendance.objects.filter(answered_at__isnull=False).exists()


def test_links_are_limited_per_course_and_address_within_the_municipality(
    cast, asking, group, committed, moving_clock
):
    offer, (anne, _bjorn, _cecilie) = group
    coordinator = cast.coordinator_a  # meetings older than the leader's days for late entry
    for n in range(confirmations.LIMIT.count):
        record(cast, _past(offer, n), [anne], committed, by=coordinator)
    html = record(cast, _past(offer, 3), [anne], committed, by=coordinator)
    assert "Enough links were sent today; no new one to: Anne" in html
    assert AttendanceConfirmationLink.objects.count() == confirmations.LIMIT.count
    listed = signed_in(coordinator).get(f"/samlinger/{_past(offer, 3).pk}/").content.decode()
    assert "no link" in listed and "1 without a link" in listed
    # The address counts across courses of the municipality, not another municipality's.
    now = timezone.now()
    for municipality, refused in ((cast.a, True), (cast.b, False)):
        next_at = confirmations.LINKS.refuse_over_limit(
            owner=Q(episode_id=0),
            recipient="ANNE@example.test",
            municipality_id=municipality.pk,
            now=now,
        )
        assert (next_at is not None) is refused
    # The window slides: a day later, another may go.
    moving_clock.advance(hours=24, minutes=1)
    html = record(cast, _past(offer, 4), [anne], committed, by=coordinator)
    assert "on its way to 1 participant" in html


def test_the_link_answers_only_its_own_entry_in_its_own_municipality(cast, asking, group):
    offer, (anne, bjorn, _cecilie) = group
    services.attendance_record(
        meeting=_past(offer), by=cast.coordinator_a, came={anne.pk, bjorn.pk}
    )
    anne_link = AttendanceConfirmationLink.objects.get(episode=anne)
    confirmations.attendance_answer(link=anne_link, was_there=True)
    assert dict(Attendance.objects.values_list("episode_id", "confirmation")) == {
        anne.pk: "confirmed",
        bjorn.pk: "",
        _cecilie.pk: "",
    }
    # A link row pointing at an entry of another municipality is refused, nothing written.
    bjorn_link = AttendanceConfirmationLink.objects.get(episode=bjorn)
    AttendanceConfirmationLink.objects.filter(pk=bjorn_link.pk).update(municipality=cast.b)
    with pytest.raises(Exception, match="does not belong"):
        confirmations.attendance_answer(
            link=AttendanceConfirmationLink.objects.get(pk=bjorn_link.pk), was_there=False
        )
    assert Attendance.objects.get(episode=bjorn).confirmation == ""


def test_the_api_shows_each_persons_answer(cast, api, asking, group):
    offer, (anne, bjorn, cecilie) = group
    meeting = _past(offer)
    services.attendance_record(
        meeting=meeting, by=cast.coordinator_a, came={anne.pk, bjorn.pk, cecilie.pk}
    )
    confirmations.attendance_answer(
        link=AttendanceConfirmationLink.objects.get(episode=anne), was_there=False
    )
    rows = api(cast.contact_user_a).get(f"/api/v1/meetings/{meeting.pk}/attendance/").json()
    assert {r["episode"]: r["confirmation"] for r in rows} == {
        anne.pk: "disputed",
        bjorn.pk: "awaiting",
        cecilie.pk: "no_link",
    }


def test_the_programme_setting_is_changed_on_the_settings_page_and_the_api(cast, api):
    programme = cast.programme_a
    url = f"/api/v1/programmes/{programme.pk}/"
    stale = api(cast.admin_a).patch(
        url,
        {"attendance_confirmation_by_participant": True, "version": programme.version - 1},
        format="json",
    )
    assert stale.status_code == 409
    saved = api(cast.admin_a).patch(
        url,
        {"attendance_confirmation_by_participant": True, "version": programme.version},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["attendance_confirmation_by_participant"]
    programme.refresh_from_db()
    assert programme.attendance_confirmation_by_participant is True
    # The settings page: the same field, and a stale form is refused.
    key = f"p{programme.pk}"
    admin = signed_in(cast.admin_a)
    assert (
        f'name="{key}-attendance_confirmation_by_participant"'
        in admin.get("/innstillinger/").content.decode()
    )
    form = ProgrammeCourseForm(instance=programme)
    data = {"form": key}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value and name != "attendance_confirmation_by_participant":
                data[f"{key}-{name}"] = "on"
        elif value is not None:
            data[f"{key}-{name}"] = value
    data[f"{key}-version"] = programme.version
    admin.post("/innstillinger/", data)
    programme.refresh_from_db()
    assert programme.attendance_confirmation_by_participant is False
    stale = admin.post(
        "/innstillinger/", {**data, f"{key}-attendance_confirmation_by_participant": "on"}
    )
    programme.refresh_from_db()
    assert stale.status_code == 200 and programme.attendance_confirmation_by_participant is False


# --- the database's row guard ------------------------------------------------------------------


def test_the_answer_is_written_once_and_nothing_else_changes_in_the_database(cast, asking, group):
    offer, (anne, *_rest) = group
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came={anne.pk})
    entry = Attendance.objects.get(episode=anne)
    # The answer may be written once…
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE groups_attendance SET confirmation = 'confirmed', answered_at = %s "
            "WHERE id = %s",
            [timezone.now(), entry.pk],
        )
    # …but not again, and no other column may change, with or without it.
    for sql, params in (
        ("UPDATE groups_attendance SET confirmation = 'disputed' WHERE id = %s", [entry.pk]),
        ("UPDATE groups_attendance SET answered_at = NULL WHERE id = %s", [entry.pk]),
        ("UPDATE groups_attendance SET attended = false WHERE id = %s", [entry.pk]),
        ("UPDATE groups_attendance SET recorded_at = %s WHERE id = %s", [timezone.now(), entry.pk]),
        ("DELETE FROM groups_attendance WHERE id = %s", [entry.pk]),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert Attendance.objects.get(pk=entry.pk).confirmation == "confirmed"


def test_an_unanswered_entrys_other_columns_still_cannot_change(cast, group):
    offer, (anne, *_rest) = group
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came={anne.pk})
    entry = Attendance.objects.get(episode=anne)
    for sql in (
        "UPDATE groups_attendance SET attended = false, confirmation = 'confirmed' WHERE id = %s",
        "UPDATE groups_attendance SET is_drop_in = true WHERE id = %s",
        "UPDATE groups_attendance SET correction_reason = 'x' WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert Attendance.objects.get(pk=entry.pk).attended is True


def test_the_benefit_group_never_reaches_the_page(cast, asking, group, committed):
    offer, (anne, *_rest) = group
    referral_services.benefit_verify(referral=anne.referral, by=cast.coordinator_a, benefit="aap")
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came={anne.pk})
    link = AttendanceConfirmationLink.objects.get()
    _, token = _reissue(link)
    html = Client().get(f"/bekreft-oppmote/{token}/").content.decode()
    assert "Anne" in html and "AAP" not in html and "arbeidsavklaring" not in html.lower()


def _reissue(link):
    """A fresh token for the link (tokens are never stored; the e-mail carries them)."""
    from kobling.core import outbox

    return outbox.link_issue(
        purpose=confirmations.PURPOSE,
        subject=confirmations.LINKS.subject(link),
        municipality_id=link.municipality_id,
        expires_at=link.expires_at,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_fits_a_phone_with_no_serious_accessibility_faults(live_server, cast, browser):
    from tests.groups.test_browser import _serious

    programme = cast.programme_a
    programme.attendance_confirmation_by_participant = True
    programme.save()
    offer = make_offer(cast, leaders=[leader(cast)])
    anne = course(cast, first_name="Anne-Kristine")
    Participant.objects.filter(pk=anne.participant_id).update(email="anne@example.test")
    services.enrolment_create(offer=offer, episode=anne, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    services.attendance_record(meeting=_past(offer), by=cast.coordinator_a, came={anne.pk})
    _signed, token = _reissue(AttendanceConfirmationLink.objects.get())

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/bekreft-oppmote/{token}/")
    assert "Anne-Kristine" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(page) == []
    page.locator('button[value="yes"]').click()
    assert page.locator("h1").inner_text() in ("Takk", "Thank you")
    assert _serious(page) == []
    assert errors == []
    context.close()
    assert Attendance.objects.get(episode=anne).confirmation == "confirmed"
