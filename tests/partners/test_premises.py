"""Premises lending (issue 17): bookings with conflicts refused — through the page, the API and
under concurrency —, recurring bookings all or nothing, cancelling, the key log (append-only)
and incident notes; an agreement names the premises it covers and states the watchdog
sentence."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from kobling.partners import services
from kobling.partners.models import Booking, KeyLogEntry
from tests.conftest import signed_in
from tests.partners.builders import agreement, partner
from tests.partners.premises_builders import at, book, local_form, premises

pytestmark = pytest.mark.django_db


def test_a_booking_conflict_is_refused_through_the_page_and_nothing_is_saved(cast):
    """Done when: a premises booking conflict refused (the page)."""
    hall = premises(cast.a, cast.coordinator_a)
    book(hall, cast.coordinator_a, days=3, start=18, end=20)
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:premises_book", args=[hall.pk]),
        {
            "title": "Styremøte",
            "starts_at": local_form(at(3, 19)),
            "ends_at": local_form(at(3, 21)),
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "already booked then" in text and "Nothing was booked" in text
    assert Booking.objects.count() == 1
    # Back to back is not a conflict.
    ok = client.post(
        reverse("web:premises_book", args=[hall.pk]),
        {
            "title": "Styremøte",
            "starts_at": local_form(at(3, 20)),
            "ends_at": local_form(at(3, 22)),
        },
    )
    assert ok.status_code == 302 and Booking.objects.count() == 2


def test_the_conflict_message_is_in_the_users_language(cast):
    hall = premises(cast.a, cast.coordinator_a)
    book(hall, cast.coordinator_a, days=3, start=18, end=20)
    client = signed_in(cast.coordinator_a)
    client.cookies["django_language"] = "nb"
    response = client.post(
        reverse("web:premises_book", args=[hall.pk]),
        {
            "title": "Styremøte",
            "starts_at": local_form(at(3, 19)),
            "ends_at": local_form(at(3, 21)),
        },
    )
    assert response.status_code == 400 and "allerede booket" in response.content.decode()


def test_a_booking_conflict_is_refused_in_the_api(cast, api):
    """Done when: a premises booking conflict refused (the API)."""
    hall = premises(cast.a, cast.coordinator_a)
    body = {
        "premises": hall.pk,
        "title": "Kurs",
        "starts_at": at(5, 10).isoformat(),
        "ends_at": at(5, 12).isoformat(),
    }
    first = api(cast.coordinator_a).post("/api/v1/premises-bookings/", body, format="json")
    assert first.status_code == 201, first.content
    clash = api(cast.coordinator_a).post(
        "/api/v1/premises-bookings/",
        {**body, "starts_at": at(5, 11).isoformat(), "ends_at": at(5, 13).isoformat()},
        format="json",
    )
    assert clash.status_code == 400
    assert "already booked" in str(clash.json()["starts_at"])
    assert Booking.objects.count() == 1
    # Another municipality's coordinator cannot book A's premises: not a choice (as if absent).
    outsider = api(cast.coordinator_b).post(
        "/api/v1/premises-bookings/",
        {**body, "starts_at": at(6, 10).isoformat(), "ends_at": at(6, 12).isoformat()},
        format="json",
    )
    assert outsider.status_code == 400 and "premises" in outsider.json()
    assert Booking.objects.count() == 1


def test_a_recurring_booking_is_all_or_nothing_and_names_the_conflicting_dates(cast):
    hall = premises(cast.a, cast.coordinator_a)
    club = partner(cast.a, name="Aby LHL", kind="volunteer")
    book(hall, cast.coordinator_a, days=14, start=17, end=19, title="Allmøte")
    book(hall, cast.coordinator_a, days=28, start=18, end=19, title="Kommunalt møte")
    with pytest.raises(ValidationError) as err:
        book(
            hall,
            cast.coordinator_a,
            days=0,
            start=18,
            end=20,
            partner=club,
            repeat_until=at(56, 0).date(),
        )
    message = err.value.message_dict["starts_at"][0]
    for days in (14, 28):
        assert f"{at(days, 0):%d.%m.%Y}" in message
    assert f"{at(7, 0):%d.%m.%Y}" not in message
    assert Booking.objects.count() == 2  # nothing of the series was booked

    made = book(
        hall,
        cast.coordinator_a,
        days=1,
        start=18,
        end=20,
        partner=club,
        repeat_until=at(57, 0).date(),
    )
    assert len(made) == 9 and len({b.series for b in made}) == 1
    assert all(b.partner == club for b in made)
    # Cancelling from the fourth on cancels the rest of the series only.
    cancelled = services.booking_cancel(booking=made[3], by=cast.coordinator_a, whole_series=True)
    assert cancelled == 6
    assert Booking.objects.filter(series=made[0].series, status="active").count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_people_booking_the_same_hour_at_once_never_both_get_it(cast):
    hall = premises(cast.a, cast.coordinator_a)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def try_booking(user, title):  # noqa: ANN001, ANN202
        try:
            barrier.wait()
            book(hall, user, days=4, start=18, end=20, title=title)
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append("refused" if "already booked" in exc.messages[0] else exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=try_booking, args=(cast.coordinator_a, "A")),
        threading.Thread(target=try_booking, args=(cast.admin_a, "B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["booked", "refused"]
    assert Booking.objects.filter(premises=hall, status="active").count() == 1


def test_bad_booking_input_gets_a_clear_error_and_saves_nothing(cast):
    hall = premises(cast.a, cast.coordinator_a)
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:premises_book", args=[hall.pk]),
        {"title": "X", "starts_at": local_form(at(3, 20)), "ends_at": local_form(at(3, 18))},
    )
    assert response.status_code == 400 and "must end after it starts" in response.content.decode()
    response = client.post(
        reverse("web:premises_book", args=[hall.pk]),
        {
            "title": "X",
            "starts_at": local_form(at(3, 18)),
            "ends_at": local_form(at(3, 20)),
            "repeat_until": str(at(400, 0).date()),
        },
    )
    assert response.status_code == 400 and "at most 40 weeks" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_week_and_month_calendar_show_the_bookings(cast):
    hall = premises(cast.a, cast.coordinator_a)
    book(hall, cast.coordinator_a, days=0, start=10, end=11, title="Formiddagstreff")
    client = signed_in(cast.coordinator_a)
    week = client.get(reverse("web:premises_detail", args=[hall.pk]))
    assert "Formiddagstreff" in week.content.decode()
    month = client.get(reverse("web:premises_detail", args=[hall.pk]) + "?visning=maaned")
    assert month.status_code == 200 and "Formiddagstreff" in month.content.decode()


def test_the_key_log_is_append_only_and_corrected_by_a_new_line(cast):
    hall = premises(cast.a, cast.coordinator_a)
    club = partner(cast.a, name="Aby LHL", kind="volunteer")
    wrong = services.key_log_record(
        premises=hall,
        by=cast.coordinator_a,
        key_label="Nøkkel 2",
        action="handed_out",
        partner=club,
        holder_name="Per",
        happened_at=at(-2, 12),
    )
    assert [k.holder_name for k in services.keys_out(hall)] == ["Per"]
    with pytest.raises(ValidationError):
        wrong.note = "changed"
        wrong.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyLogEntry.objects.filter(pk=wrong.pk).update(note="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyLogEntry.objects.filter(pk=wrong.pk).delete()
    services.key_log_record(
        premises=hall,
        by=cast.coordinator_a,
        key_label="Nøkkel 2",
        action="handed_out",
        partner=club,
        holder_name="Pål",
        happened_at=at(-2, 12),
        supersedes=wrong,
    )
    assert [k.holder_name for k in services.keys_out(hall)] == ["Pål"]
    services.key_log_record(
        premises=hall,
        by=cast.coordinator_a,
        key_label="Nøkkel 2",
        action="returned",
        holder_name="Pål",
        happened_at=at(-1, 9),
    )
    assert services.keys_out(hall) == []


def test_incident_notes_are_kept_and_shown(cast):
    hall = premises(cast.a, cast.coordinator_a)
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:premises_incident_add", args=[hall.pk]),
        {"happened_at": local_form(at(-1, 22)), "description": "Alarmen gikk kl. 22"},
    )
    assert response.status_code == 302
    page = client.get(reverse("web:premises_detail", args=[hall.pk])).content.decode()
    assert "Alarmen gikk kl. 22" in page
    empty = client.post(
        reverse("web:premises_incident_add", args=[hall.pk]),
        {"happened_at": local_form(at(-1, 22)), "description": ""},
    )
    assert empty.status_code == 400 and hall.incidents.count() == 1


def test_an_agreement_names_its_premises_and_states_the_watchdog_sentence(cast, api):
    hall = premises(cast.a, cast.coordinator_a)
    club = partner(cast.a, name="Aby LHL", kind="volunteer")
    made = agreement(club)
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:agreement_edit", args=[club.pk, made.pk]),
        {
            "kind": "cooperation",
            "starts_on": str(made.starts_on),
            "premises": [hall.pk],
            "version": made.version,
        },
    )
    assert response.status_code == 302
    assert list(made.premises.all()) == [hall]
    page = client.get(reverse("web:partner_detail", args=[club.pk])).content.decode()
    assert "Aby grendehus" in page and "watchdog for the people it represents" in page
    services.settings_update(
        municipality=cast.a,
        by=cast.admin_a,
        watchdog_sentence="Laget står fritt til å kritisere kommunen.",
        expected_version=None,
    )
    body = api(cast.coordinator_a).get(f"/api/v1/agreements/{made.pk}/").json()
    assert body["premises"] == [hall.pk]
    assert body["watchdog_sentence"] == "Laget står fritt til å kritisere kommunen."
    # Another municipality's premises are not a choice.
    other = premises(cast.b, cast.coordinator_b, name="Nordby hall")
    refused = api(cast.coordinator_a).patch(
        f"/api/v1/agreements/{made.pk}/",
        {"premises": [other.pk], "version": made.version + 1},
        format="json",
    )
    assert refused.status_code == 400
