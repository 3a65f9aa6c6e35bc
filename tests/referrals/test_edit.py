"""The page where a coordinator corrects or completes a referral and its person's details
(/henvisninger/<id>/rediger/): what it shows, what a save changes and audits, what it refuses,
concurrent edits, and who may use it. Every role × the page is in test_access.PAGES."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.helpers.models import Activity, TargetGroup
from kobling.referrals import services
from kobling.referrals.models import Participant, PreferredTime, Referral
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def _url(referral: Referral) -> str:
    return f"/henvisninger/{referral.pk}/rediger/"


def _as_posted(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser sends back for a form it was shown, unchanged."""
    data: dict[str, Any] = {}
    for field in form:
        value = field.value()
        if isinstance(field.field.widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
            continue
        value = field.field.prepare_value(value)
        if isinstance(value, list | tuple):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = "" if value is None else str(value)
    return data


def _shown(client, referral: Referral) -> dict[str, Any]:
    """GET the page and return what it would post back unchanged (form and time rows)."""
    response = client.get(_url(referral))
    assert response.status_code == 200
    formset = response.context["formset"]
    data = _as_posted(response.context["form"])
    data.update(_as_posted(formset.management_form))
    for row in formset.forms:
        data.update(_as_posted(row))
    return data


def _state(referral: Referral) -> tuple:
    referral = Referral.objects.get(pk=referral.pk)
    participant = Participant.objects.get(pk=referral.participant_id)
    return (
        referral.version,
        referral.goals,
        referral.coordinator_notes,
        sorted(t.code for t in referral.target_groups.all()),
        [str(t) for t in referral.preferred_times.all()],
        participant.phone,
        participant.guardian_name,
        participant.latitude,
        participant.longitude,
        AuditEntry.objects.exclude(action="view").count(),
    )


@pytest.fixture
def referral(cast) -> Referral:
    """In A, sent by referrer_a, with a time window, a target group, an activity and notes."""
    participant = f.ParticipantFactory(
        municipality=cast.a,
        first_name="Siri",
        last_name="Sørli",
        phone="912 34 567",
        latitude=Decimal("62.47210"),
        longitude=Decimal("6.15490"),
        languages=["nb"],
    )
    referral = f.ReferralFactory(
        programme=cast.programme_a,
        participant=participant,
        referrer=cast.referrer_a,
        referrer_name="Dr. Henviser",
        goals="Gå tur hver uke",
        needs="Rolig start",
        coordinator_notes="Ring før kl. 10",
        preferred_gender="female",
        gender_is_must=True,
    )
    referral.target_groups.set([TargetGroup.objects.get(code="mental_health")])
    referral.preferred_activities.set([Activity.objects.get(code="walking")])
    PreferredTime.objects.create(
        referral=referral, weekday=1, start_time=dt.time(17), end_time=dt.time(19)
    )
    return referral


# --- what the page shows ------------------------------------------------------------------------


def test_the_page_shows_the_referral_and_the_persons_current_details(cast, web, referral):
    response = web(cast.coordinator_a).get(_url(referral))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Edit the referral for Siri Sørli",
        "Testperson",  # the identity, shown but not editable
        'value="912 34 567"',
        'value="62.47210"',
        'value="6.15490"',
        "Gå tur hver uke",
        "Ring før kl. 10",
        'value="Dr. Henviser"',
        'value="17:00"',
    ):
        assert text in html, text
    for fixed in ('name="national_id"', 'name="birth_date"', 'name="programme"'):
        assert fixed not in html, fixed
    assert 'name="received_on"' not in html and 'name="consent_scopes"' not in html
    form = response.context["form"]
    assert form["gender_is_must"].value() is True
    assert form["target_groups"].value() == [TargetGroup.objects.get(code="mental_health").pk]
    assert form["version"].value() == referral.version


def test_the_detail_page_links_to_the_edit_page_only_for_those_who_may_edit(cast, web, referral):
    link = f'href="{_url(referral)}"'
    assert link in web(cast.coordinator_a).get(f"/henvisninger/{referral.pk}/").content.decode()
    assert link in web(cast.admin_a).get(f"/henvisninger/{referral.pk}/").content.decode()
    assert link not in web(cast.referrer_a).get(f"/henvisninger/{referral.pk}/").content.decode()


# --- saving -------------------------------------------------------------------------------------


def test_a_coordinator_changes_the_referral_and_the_person_and_both_are_audited(
    cast, web, referral
):
    client = web(cast.coordinator_a)
    data = _shown(client, referral)
    data.update(
        phone="987 65 432",
        email="Siri@Example.no",
        latitude="63.43050",
        longitude="10.39510",
        guardian_name="",
        goals="Svømme en gang i uka",
        coordinator_notes="",
        target_groups=[str(TargetGroup.objects.get(code="mental_health").pk)],
        activities=[str(Activity.objects.get(code="swimming").pk)],
        contact_age_min="30",
        contact_age_max="60",
        age_is_must="on",
        referrer_phone="22 33 44 55",
    )
    data.update({"times-0-weekday": "3", "times-0-start_time": "10:00"})
    data.update({"times-0-end_time": "12:00"})

    response = client.post(_url(referral), data)

    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == f"/henvisninger/{referral.pk}/"
    referral.refresh_from_db()
    person = referral.participant
    assert referral.version == 2
    assert referral.goals == "Svømme en gang i uka" and referral.coordinator_notes == ""
    assert referral.contact_age_min == 30 and referral.age_is_must
    assert referral.referrer_phone == "22 33 44 55"
    assert referral.referrer == cast.referrer_a  # who sent it does not change
    assert [a.code for a in referral.preferred_activities.all()] == ["swimming"]
    assert [str(t) for t in referral.preferred_times.all()] == ["Thursday 10:00–12:00"]
    assert person.phone == "987 65 432" and person.email == "siri@example.no"
    assert (person.latitude, person.longitude) == (Decimal("63.43050"), Decimal("10.39510"))

    on_referral = AuditEntry.objects.get(
        action="update", object_type="referrals.referral", object_id=str(referral.pk)
    )
    assert on_referral.user == cast.coordinator_a
    assert on_referral.changes["goals"] == ["Gå tur hver uke", "Svømme en gang i uka"]
    assert on_referral.changes["preferred_times"] == [
        ["Tuesday 17:00–19:00"],
        ["Thursday 10:00–12:00"],
    ]
    on_person = AuditEntry.objects.get(
        action="update", object_type="referrals.participant", object_id=str(person.pk)
    )
    assert on_person.user == cast.coordinator_a
    assert on_person.changes["phone"] == ["912 34 567", "987 65 432"]
    assert on_person.changes["latitude"] == ["62.47210", "63.43050"]
    assert "first_name" not in on_person.changes


def test_coordinates_can_be_set_when_there_were_none_and_map_precision_is_rounded(cast, web):
    referral = f.ReferralFactory(programme=cast.programme_a)
    client = web(cast.admin_a)
    data = _shown(client, referral)
    data.update(latitude="62.4721234", longitude="6.1549")

    assert client.post(_url(referral), data).status_code == 302

    person = Participant.objects.get(pk=referral.participant_id)
    assert (person.latitude, person.longitude) == (Decimal("62.47212"), Decimal("6.15490"))


def test_in_norwegian_coordinates_show_and_are_typed_with_a_decimal_comma(
    cast, web, referral, settings
):
    client = web(cast.coordinator_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    data = _shown(client, referral)
    assert 'value="62,47210"' in client.get(_url(referral)).content.decode()
    data.update(latitude="63,4305", longitude="10.3951")

    assert client.post(_url(referral), data).status_code == 302

    person = Participant.objects.get(pk=referral.participant_id)
    assert (person.latitude, person.longitude) == (Decimal("63.43050"), Decimal("10.39510"))


def test_saving_unchanged_leaves_the_person_untouched(cast, web, referral):
    client = web(cast.coordinator_a)
    before = Participant.objects.get(pk=referral.participant_id).updated_at

    assert client.post(_url(referral), _shown(client, referral)).status_code == 302

    assert Participant.objects.get(pk=referral.participant_id).updated_at == before
    assert not AuditEntry.objects.filter(object_type="referrals.participant", action="update")


def test_clearing_every_time_row_removes_the_times(cast, web, referral):
    client = web(cast.coordinator_a)
    data = _shown(client, referral)
    data.update({"times-0-weekday": "", "times-0-start_time": "", "times-0-end_time": ""})

    assert client.post(_url(referral), data).status_code == 302

    assert not PreferredTime.objects.filter(referral=referral).exists()


def test_a_target_group_retired_since_stays_ticked_and_is_kept(cast, web, referral):
    retired = TargetGroup.objects.get(code="mental_health")
    retired.is_active = False
    retired.save()
    client = web(cast.coordinator_a)

    data = _shown(client, referral)
    assert data["target_groups"] == [str(retired.pk)]
    assert client.post(_url(referral), data).status_code == 302

    assert list(Referral.objects.get(pk=referral.pk).target_groups.all()) == [retired]


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"latitude": "80.00000"}, "latitude"),
        ({"longitude": "abc"}, "longitude"),
        ({"latitude": "", "longitude": "10.39510"}, "latitude"),  # refused by the service
        ({"postcode": "68"}, "postcode"),
        ({"phone": "ring meg"}, "phone"),
        ({"first_name": ""}, "first_name"),
        ({"contact_age_min": "60", "contact_age_max": "20"}, "contact_age_max"),
        ({"max_travel_km": "500"}, "max_travel_km"),
        ({"goals": "Nytt mål", "times-0-end_time": "16:00"}, "end_time"),
    ],
)
def test_bad_input_shows_errors_and_changes_nothing(cast, web, referral, over, field):
    client = web(cast.coordinator_a)
    data = {**_shown(client, referral), "goals": "Nytt mål", "phone": "900 00 000", **over}
    before = _state(referral)

    response = client.post(_url(referral), data)

    assert response.status_code == 200
    errors = {**response.context["form"].errors}
    for row in response.context["formset"].forms:
        errors.update(row.errors)
    assert field in errors, errors
    assert _state(referral) == before


def test_a_minor_cannot_lose_their_guardian(cast, web):
    child = f.ParticipantFactory(
        municipality=cast.a,
        birth_date=timezone.localdate() - dt.timedelta(days=365 * 12),
        guardian_name="Mor Sørli",
        guardian_phone="913 00 000",
    )
    referral = f.ReferralFactory(programme=cast.programme_a, participant=child)
    client = web(cast.coordinator_a)
    data = {**_shown(client, referral), "guardian_name": "", "guardian_phone": ""}
    before = _state(referral)

    response = client.post(_url(referral), data)

    assert response.status_code == 200
    assert {"guardian_name", "guardian_phone"} <= set(response.context["form"].errors)
    assert _state(referral) == before


def test_an_edit_from_a_stale_version_is_refused_with_a_clear_message(cast, web, referral):
    client = web(cast.coordinator_a)
    data = _shown(client, referral)
    services.referral_update(
        referral=referral,
        by=cast.admin_a,
        data={"goals": "Endret av en annen"},
        expected_version=referral.version,
    )
    before = _state(referral)

    response = client.post(_url(referral), {**data, "goals": "Mitt mål", "phone": "900 00 000"})

    assert response.status_code == 200
    message = " ".join(response.context["form"].non_field_errors())
    assert "changed by someone else" in message and "nothing was saved" in message
    assert "changed by someone else" in response.content.decode()
    assert _state(referral) == before
    assert Referral.objects.get(pk=referral.pk).goals == "Endret av en annen"


def test_a_person_changed_elsewhere_meanwhile_refuses_the_whole_edit(cast, web, referral):
    """The person's details may change through another of their referrals: the edit is refused,
    the referral included (both are saved together or not at all)."""
    client = web(cast.coordinator_a)
    data = _shown(client, referral)
    services.participant_update(
        participant=referral.participant,
        by=cast.admin_a,
        data={"phone": "411 11 111"},
        expected_version=None,
    )
    before = _state(referral)

    response = client.post(_url(referral), {**data, "goals": "Mitt mål", "phone": "900 00 000"})

    assert response.status_code == 200
    assert "changed by someone else" in " ".join(response.context["form"].non_field_errors())
    assert _state(referral) == before
    assert Participant.objects.get(pk=referral.participant_id).phone == "411 11 111"


# --- who may ------------------------------------------------------------------------------------


def test_a_coordinator_of_another_municipality_gets_404_and_changes_nothing(cast, web, referral):
    data = _shown(web(cast.coordinator_a), referral)
    before = _state(referral)
    client = web(cast.coordinator_b)

    assert client.get(_url(referral)).status_code == 404
    assert client.post(_url(referral), {**data, "goals": "Hacket"}).status_code == 404
    assert _state(referral) == before


@pytest.mark.parametrize("role", ["referrer_a", "contact_a", "analyst", "provider"])
def test_roles_that_never_edit_referrals_get_403_even_the_referrer_who_sent_it(
    cast, web, referral, role
):
    data = _shown(web(cast.coordinator_a), referral)
    before = _state(referral)
    client = web(cast.roles[role])

    assert client.get(_url(referral)).status_code == 403
    assert client.post(_url(referral), {**data, "goals": "Endret"}).status_code == 403
    assert _state(referral) == before


def test_the_participant_service_refuses_identity_fields_and_other_roles(cast, referral):
    person = referral.participant
    with pytest.raises(ValidationError) as refused:
        services.participant_update(
            participant=person,
            by=cast.coordinator_a,
            data={"national_id": "01010112345"},
            expected_version=None,
        )
    assert "national_id" in refused.value.message_dict
    for user in (cast.referrer_a, cast.coordinator_b):
        with pytest.raises(ValidationError):
            services.participant_update(
                participant=person, by=user, data={"phone": "900 00 000"}, expected_version=None
            )
    assert Participant.objects.get(pk=person.pk).phone == "912 34 567"
