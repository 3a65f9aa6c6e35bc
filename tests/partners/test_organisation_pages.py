"""The organisation's own pages (one door), reached through its contact person's e-mailed
sign-in — the grants' sign-in, not a second identity: its contact person in the municipality
and its programmes, booking premises (others' bookings only "busy"), its own bookings, key-log
lines about it, the meetings it is invited to. The meeting invitation goes out through the
outbox with an .ics file."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kobling.partners import services
from kobling.partners.models import Booking
from tests.grants import builders as gb
from tests.partners.premises_builders import at, book, local_form, premises

pytestmark = pytest.mark.django_db


def test_without_the_sign_in_the_organisation_pages_answer_403(cast):
    hall = premises(cast.a, cast.coordinator_a)
    for url in (
        reverse("web:org_home"),
        reverse("web:org_premises", args=[hall.pk]),
    ):
        assert Client().get(url).status_code == 403, url
    assert Client().post(reverse("web:org_booking_cancel", args=[1])).status_code == 403


def test_the_organisation_sees_its_contact_person_and_programmes(cast):
    client, contact = gb.org_client(cast.a)
    services.partner_update(
        partner=contact.partner,
        by=cast.coordinator_a,
        data={"municipal_contact": cast.coordinator_a},
        expected_version=contact.partner.version,
        programmes=[cast.programme_a],
    )
    page = client.get(reverse("web:org_home")).content.decode()
    assert cast.coordinator_a.get_full_name() in page or cast.coordinator_a.username in page
    assert cast.programme_a.name in page


def test_the_contact_person_must_be_a_manager_of_the_municipality(cast):
    _client, contact = gb.org_client(cast.a)
    from django.core.exceptions import ValidationError

    for user in (cast.referrer_a, cast.coordinator_b):
        with pytest.raises(ValidationError) as err:
            services.partner_update(
                partner=contact.partner,
                by=cast.coordinator_a,
                data={"municipal_contact": user},
                expected_version=contact.partner.version,
            )
        assert "municipal_contact" in err.value.message_dict


def test_an_organisation_books_and_sees_others_only_as_busy(cast):
    hall = premises(cast.a, cast.coordinator_a)
    client, contact = gb.org_client(cast.a)
    other_client, other = gb.org_client(
        cast.a, orgnr=gb.ORGNR_2, org="Aby Mental Helse", email="mh@a.test"
    )
    book(
        hall,
        cast.coordinator_a,
        days=2,
        start=12,
        end=13,
        partner=other.partner,
        title="Hemmelig samtalegruppe",
    )
    url = reverse("web:org_premises", args=[hall.pk]) + f"?dato={at(2, 0).date()}"
    response = client.post(
        url,
        {
            "title": "Turlagets styremøte",
            "starts_at": local_form(at(2, 18)),
            "ends_at": local_form(at(2, 20)),
        },
    )
    assert response.status_code == 302
    mine = Booking.objects.get(partner=contact.partner)
    assert mine.booked_by is None and mine.booked_by_name == "Kari"
    page = client.get(url).content.decode()
    assert "Turlagets styremøte" in page
    assert "Hemmelig samtalegruppe" not in page and "Aby Mental Helse" not in page
    assert "Busy" in page
    # A conflict is refused for the organisation too, with nothing saved.
    clash = client.post(
        url,
        {"title": "Dobbelt", "starts_at": local_form(at(2, 12)), "ends_at": local_form(at(2, 14))},
    )
    assert clash.status_code == 400 and "already booked" in clash.content.decode()
    assert Booking.objects.count() == 2
    # The other organisation's booking cannot be cancelled by this one: 404.
    theirs = Booking.objects.get(partner=other.partner)
    assert client.post(reverse("web:org_booking_cancel", args=[theirs.pk])).status_code == 404
    assert other_client.post(reverse("web:org_booking_cancel", args=[mine.pk])).status_code == 404
    # Its own: cancelled.
    assert client.post(reverse("web:org_booking_cancel", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "cancelled"


def test_another_municipalitys_premises_do_not_exist_for_the_organisation(cast):
    nordby = premises(cast.b, cast.coordinator_b, name="Bestad hall")
    client, _contact = gb.org_client(cast.a)
    assert client.get(reverse("web:org_premises", args=[nordby.pk])).status_code == 404


def test_an_organisation_cannot_book_in_the_past(cast):
    hall = premises(cast.a, cast.coordinator_a)
    client, _contact = gb.org_client(cast.a)
    response = client.post(
        reverse("web:org_premises", args=[hall.pk]),
        {
            "title": "For sent",
            "starts_at": local_form(at(-1, 18)),
            "ends_at": local_form(at(-1, 20)),
        },
    )
    assert response.status_code == 400 and "in the past" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_organisation_sees_only_its_own_key_lines_and_meetings(cast):
    hall = premises(cast.a, cast.coordinator_a)
    client, contact = gb.org_client(cast.a)
    _other_client, other = gb.org_client(cast.a, orgnr=gb.ORGNR_2, org="Aby MH", email="mh@a.test")
    for who, name in ((contact.partner, "Kari Nøkkel"), (other.partner, "Ola Annen")):
        services.key_log_record(
            premises=hall,
            by=cast.coordinator_a,
            key_label="Nøkkel 1",
            action="handed_out",
            partner=who,
            holder_name=name,
            happened_at=at(-3, 10),
        )
    mine = services.meeting_create(
        municipality=cast.a,
        by=cast.coordinator_a,
        data={
            "kind": "dialogue",
            "title": "Dialogmøte vår",
            "starts_at": at(10, 18),
            "ends_at": at(10, 20),
        },
    )
    theirs = services.meeting_create(
        municipality=cast.a,
        by=cast.coordinator_a,
        data={
            "kind": "network",
            "title": "Nettverk lukket",
            "starts_at": at(11, 18),
            "ends_at": at(11, 20),
        },
    )
    services.meeting_invite(meeting=mine, by=cast.coordinator_a, partners=[contact.partner])
    services.meeting_invite(meeting=theirs, by=cast.coordinator_a, partners=[other.partner])
    page = client.get(reverse("web:org_home")).content.decode()
    assert "Kari Nøkkel" in page and "Ola Annen" not in page
    assert "Dialogmøte vår" in page and "Nettverk lukket" not in page
    assert client.get(reverse("web:org_meeting", args=[mine.pk])).status_code == 200
    assert client.get(reverse("web:org_meeting", args=[theirs.pk])).status_code == 404


@pytest.mark.smtp
def test_a_meeting_invitation_goes_through_the_outbox_with_an_ics_file(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    from tests.partners.builders import partner

    hall = premises(cast.a, cast.coordinator_a)
    booking = book(hall, cast.coordinator_a, days=10, start=17, end=19, title="Dialogmøte")[0]
    club = partner(cast.a, name="Aby LHL", kind="volunteer", contact_email="post@lhl.test")
    silent = partner(cast.a, name="Aby Sjakk", kind="volunteer")
    meeting = services.meeting_create(
        municipality=cast.a,
        by=cast.coordinator_a,
        data={
            "kind": "dialogue",
            "title": "Dialogmøte med frivilligheten",
            "starts_at": at(10, 17),
            "ends_at": at(10, 19),
            "booking": booking,
            "agenda": "1. Lokaler; 2. Tilskudd",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = services.meeting_invite(
            meeting=meeting, by=cast.coordinator_a, partners=[club, silent]
        )
    assert [i.email for i in made] == ["post@lhl.test", ""]
    mail = smtp_server.wait_for(1)[0]
    assert mail.rcpt_tos == ["post@lhl.test"]
    assert "Dialogmøte med frivilligheten" in mail.subject
    ics = next(
        part
        for part in mail.message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    )
    text = ics.get_content()
    assert "BEGIN:VEVENT" in text and "SUMMARY:Dialogmøte med frivilligheten" in text
    assert "LOCATION:Aby grendehus" in text
    assert f"DTSTART:{at(10, 17).astimezone(__import__('datetime').UTC):%Y%m%dT%H%M%SZ}" in text
    # Attendance and minutes.
    meeting = services.meeting_attendance(
        meeting=meeting, by=cast.coordinator_a, came=[club.pk], expected_version=meeting.version
    )
    assert {i.partner_id: i.attended for i in meeting.invitations.all()} == {
        club.pk: True,
        silent.pk: False,
    }
    meeting = services.meeting_update(
        meeting=meeting,
        by=cast.coordinator_a,
        data={"minutes": "Enighet om fast møtetid."},
        expected_version=meeting.version,
    )
    from kobling.lib.errors import ConflictError

    with pytest.raises(ConflictError):
        services.meeting_update(
            meeting=meeting,
            by=cast.coordinator_a,
            data={"minutes": "Gammel versjon"},
            expected_version=meeting.version - 1,
        )
