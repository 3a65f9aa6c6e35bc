"""Who the referral is for: national identity numbers (incl. D-numbers), the documented
alternative, finding the same person again, and possible duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kobling.referrals import services
from kobling.referrals.identity import birth_date_of, normalise_national_id, synthetic_national_id
from kobling.referrals.models import Participant
from kobling.referrals.selectors import possible_duplicates
from tests import factories as f

pytestmark = pytest.mark.django_db


def find(cast, by=None, **person):
    base = {"first_name": "Kari", "last_name": "Nordmann", "postcode": "6800"}
    return services.participant_find_or_create(
        municipality=cast.a, person={**base, **person}, by=by or cast.coordinator_a
    )


def test_a_fodselsnummer_and_a_d_number_carry_the_birth_date():
    born = dt.date(1984, 11, 23)
    assert birth_date_of(synthetic_national_id(born)) == born
    assert birth_date_of(synthetic_national_id(born, d_number=True)) == born


def test_spaces_and_dashes_are_removed():
    assert normalise_national_id(" 010203 12345 ") == "01020312345"
    assert normalise_national_id("010203-12345") == "01020312345"


def test_a_number_with_a_wrong_check_digit_is_refused(cast):
    valid = synthetic_national_id(dt.date(1984, 11, 23))
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as exc:
        find(cast, national_id=wrong)
    assert "national_id" in exc.value.message_dict
    assert not Participant.objects.exists()


def test_the_same_national_id_finds_the_same_person_and_fills_only_missing_contact_details(cast):
    number = synthetic_national_id(dt.date(1984, 11, 23))
    first, created = find(cast, national_id=number)
    assert created and first.birth_date == dt.date(1984, 11, 23)
    again, created = find(
        cast, national_id=number[:6] + " " + number[6:], first_name="Annen", phone="99999999"
    )
    assert not created and again.pk == first.pk
    again.refresh_from_db()
    assert again.first_name == "Kari" and again.phone == "99999999"


def test_the_same_national_id_in_another_municipality_is_another_record(cast):
    number = synthetic_national_id(dt.date(1984, 11, 23))
    here, _ = find(cast, national_id=number)
    there, created = services.participant_find_or_create(
        municipality=cast.b,
        person={"national_id": number, "first_name": "K", "last_name": "N", "postcode": "9000"},
    )
    assert created and there.pk != here.pk


def test_a_birth_date_that_contradicts_the_national_id_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        find(
            cast,
            national_id=synthetic_national_id(dt.date(1984, 11, 23)),
            birth_date=dt.date(1984, 11, 24),
        )
    assert "birth_date" in exc.value.message_dict


def test_without_a_national_id_the_alternative_needs_a_note_and_a_birth_date(cast):
    with pytest.raises(ValidationError) as exc:
        find(cast, alternative_id="foreign")
    assert {"alternative_id_note", "birth_date"} <= set(exc.value.message_dict)


def test_with_an_alternative_the_person_is_found_by_name_and_birth_date(cast):
    person = {
        "alternative_id": "foreign",
        "alternative_id_note": "Pass NO123",
        "birth_date": dt.date(1979, 3, 3),
    }
    first, created = find(cast, **person)
    assert created
    again, created = find(cast, **{**person, "first_name": "KARI", "alternative_id_note": "x"})
    assert not created and again.pk == first.pk
    other, created = find(cast, **{**person, "birth_date": dt.date(1979, 3, 4)})
    assert created


def test_people_who_may_be_the_same_are_flagged_as_possible_duplicates(cast):
    person = f.ParticipantFactory(
        municipality=cast.a, first_name="Ali", last_name="Hassan", birth_date=dt.date(1990, 1, 1)
    )
    same_name = f.ParticipantFactory(
        municipality=cast.a, first_name="ali", last_name="hassan", birth_date=dt.date(1991, 1, 1)
    )
    same_birth_and_surname = f.ParticipantFactory(
        municipality=cast.a, first_name="Alia", last_name="Hassan", birth_date=dt.date(1990, 1, 1)
    )
    f.ParticipantFactory(municipality=cast.a, first_name="Per", last_name="Hansen")
    f.ParticipantFactory(
        municipality=cast.b, first_name="Ali", last_name="Hassan", birth_date=dt.date(1990, 1, 1)
    )
    assert set(possible_duplicates(person)) == {same_name, same_birth_and_surname}


def test_the_api_shows_possible_duplicates_to_the_coordinator_on_the_record(cast, api, referral_a):
    twin = f.ParticipantFactory(
        municipality=cast.a,
        first_name=referral_a.participant.first_name,
        last_name=referral_a.participant.last_name,
        birth_date=dt.date(2000, 1, 1),
    )
    data = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/").data
    assert [d["id"] for d in data["possible_duplicates"]] == [twin.pk]
