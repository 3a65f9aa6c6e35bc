"""The public application form (citizens, or guardians of minors) and its spam protection."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client

from kobling.helpers.models import Activity, TargetGroup
from kobling.referrals.application import application_token
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Participant, Referral
from kobling.tenancy.models import AuditEntry

pytestmark = pytest.mark.django_db


def url(cast) -> str:
    return f"/soknad/{cast.a.code}/"


def form_data(cast, **over):
    data = {
        "programme": cast.programme_a.pk,
        "applying_as": "self",
        "national_id": synthetic_national_id(dt.date(1988, 9, 9)),
        "first_name": "Ola",
        "last_name": "Søker",
        "gender": "male",
        "email": "Ola@Example.test",
        "phone": "91234567",
        "postcode": "6800",
        "home_area": "Vie",
        "resident": "on",
        "goals": "Komme i form og bli kjent med folk",
        "activities": [Activity.objects.get(code="walking").pk],
        "target_groups": [TargetGroup.objects.get(code="inactive").pk],
        "availability": ["1-evening", "3-morning", "3-afternoon"],
        "preferred_gender": "male",
        "gender_is_must": "on",
        "needs": "",
        "consent_follow_up": "on",
        "consent": "on",
        "website": "",
        "started": application_token(cast.a.code, issued_at=time.time() - 20),
    }
    data.update(over)
    return data


def test_the_form_opens_for_anonymous_visitors_without_coordinator_fields(cast):
    response = Client().get(url(cast))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="started"' in html and 'name="website"' in html
    assert "coordinator_notes" not in html and "referrer_name" not in html


def test_an_application_creates_a_referral_from_the_person_themself(cast):
    response = Client().post(url(cast), form_data(cast))
    assert response.status_code == 302 and response["Location"] == url(cast) + "?takk=1"
    referral = Referral.objects.get()
    assert referral.source == "self" and referral.referrer is None
    assert referral.status == "received" and referral.programme == cast.programme_a
    assert referral.participant.email == "ola@example.test"
    assert referral.gender_is_must and referral.preferred_gender == "male"
    assert [str(t) for t in referral.preferred_times.all()] == [
        "Tuesday 17:00–21:00",
        "Thursday 08:00–17:00",
    ]
    assert referral.consents.get().scope == "follow_up"
    entry = AuditEntry.objects.get(object_type="referrals.referral", action="create")
    assert entry.user is None and entry.changes["channel"] == "application"
    done = Client().get(url(cast) + "?takk=1")
    assert done.status_code == 200 and "Thank you" in done.content.decode()


def test_a_guardian_applies_for_a_minor(cast):
    data = form_data(
        cast,
        applying_as="guardian",
        national_id=synthetic_national_id(dt.date(2013, 4, 4)),
        guardian_name="Mor Søker",
        guardian_phone="99887766",
    )
    assert Client().post(url(cast), data).status_code == 302
    referral = Referral.objects.get()
    assert referral.source == "guardian" and referral.participant.guardian_name == "Mor Søker"
    assert referral.consents.get().given_by == "Mor Søker"


def test_a_minor_without_a_guardian_is_refused_with_a_clear_error(cast):
    data = form_data(cast, national_id=synthetic_national_id(dt.date(2012, 1, 2)))
    response = Client().post(url(cast), data)
    assert response.status_code == 200
    assert "guardian_name" in response.context["form"].errors
    assert "under 18" in response.content.decode()
    assert not Referral.objects.exists() and not Participant.objects.exists()


def test_an_invalid_national_id_is_refused(cast):
    response = Client().post(url(cast), form_data(cast, national_id="12345678901"))
    assert "national_id" in response.context["form"].errors
    assert not Referral.objects.exists()


def test_a_person_without_a_national_id_applies_with_an_alternative(cast):
    data = form_data(
        cast,
        national_id="",
        alternative_id="not_yet",
        alternative_id_note="Nylig bosatt, DUF 2024-123",
        birth_date="1995-02-03",
    )
    assert Client().post(url(cast), data).status_code == 302
    participant = Participant.objects.get()
    assert participant.alternative_id == "not_yet" and participant.birth_date == dt.date(1995, 2, 3)


def test_a_filled_honeypot_gets_the_thank_you_page_and_saves_nothing(cast):
    response = Client().post(url(cast), form_data(cast, website="http://spam.example"))
    assert response.status_code == 302
    assert not Referral.objects.exists()


@pytest.mark.parametrize("age", [0, 5 * 3600])
def test_a_form_sent_too_quickly_or_too_late_is_not_accepted(cast, age):
    data = form_data(cast, started=application_token(cast.a.code, issued_at=time.time() - age))
    response = Client().post(url(cast), data)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Referral.objects.exists()


def test_a_forged_timestamp_is_not_accepted(cast):
    response = Client().post(url(cast), form_data(cast, started="forged"))
    assert response.status_code == 200 and not Referral.objects.exists()


def test_too_many_applications_from_one_address_get_a_friendly_429(cast, settings):
    settings.KOBLING_SIGNUP_RATE_LIMIT = 2
    client = Client()
    for n in range(2):
        data = form_data(cast, national_id=synthetic_national_id(dt.date(1980, 1, 1), serial=n))
        assert client.post(url(cast), data).status_code == 302
    blocked = client.post(
        url(cast), form_data(cast, national_id=synthetic_national_id(dt.date(1980, 1, 1), serial=5))
    )
    assert blocked.status_code == 429
    assert Referral.objects.count() == 2


def test_a_second_application_is_merged_without_revealing_anything(cast):
    assert Client().post(url(cast), form_data(cast)).status_code == 302
    second = Client().post(url(cast), form_data(cast, goals="Også svømme"))
    assert second.status_code == 302 and second["Location"].endswith("?takk=1")
    referral = Referral.objects.get()
    assert "Også svømme" in referral.goals and referral.merges[0]["channel"] == "application"


def test_an_unknown_municipality_or_one_without_programmes_is_404(cast):
    assert Client().get("/soknad/0000/").status_code == 404
    cast.programme_b.is_active = False
    cast.programme_b.save()
    assert Client().get(f"/soknad/{cast.b.code}/").status_code == 404
