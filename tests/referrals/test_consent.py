"""Consent: recorded with scope and date, withdrawn, and nothing shared beyond it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.referrals import services
from kobling.referrals.models import Consent
from kobling.referrals.selectors import consent_in_force

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


def test_consent_is_in_force_from_the_day_given_until_the_day_withdrawn(cast, referral_a):
    Consent.objects.create(
        referral=referral_a,
        municipality=cast.a,
        scope="share_with_partner",
        partner_name="Frisklivssentralen",
        given_on=TODAY,
        given_by="Per",
        withdrawn_on=TODAY + dt.timedelta(days=5),
    )
    assert not consent_in_force(referral_a, "share_with_partner", TODAY - dt.timedelta(days=1))
    assert consent_in_force(referral_a, "share_with_partner", TODAY)
    assert consent_in_force(referral_a, "share_with_partner", TODAY + dt.timedelta(days=4))
    assert not consent_in_force(referral_a, "share_with_partner", TODAY + dt.timedelta(days=5))
    assert not consent_in_force(referral_a, "follow_up", TODAY)


def test_consent_in_force_answers_the_same_from_prefetched_rows(cast, referral_a):
    from kobling.referrals.models import Referral

    prefetched = Referral.objects.prefetch_related("consents").get(pk=referral_a.pk)
    today = timezone.localdate()
    assert consent_in_force(prefetched, "share_with_referrer", today) is True
    assert consent_in_force(prefetched, "follow_up", today) is False


def test_a_coordinator_records_and_withdraws_consent_through_the_api(cast, api, referral_a):
    client = api(cast.coordinator_a)
    url = f"/api/v1/referrals/{referral_a.pk}/consents/"
    created = client.post(url, {"scope": "follow_up", "given_by": "Per Deltaker"}, format="json")
    assert created.status_code == 201, created.data
    assert created.data["given_on"] == timezone.localdate().isoformat()
    assert created.data["in_force"] is True

    withdrawn = client.post(f"{url}{created.data['id']}/withdraw/", {}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.data["withdrawn_on"]
    assert withdrawn.data["in_force"] is False
    again = client.post(f"{url}{created.data['id']}/withdraw/", {}, format="json")
    assert again.status_code == 400
    listed = client.get(url).data
    assert {c["scope"] for c in listed} == {"share_with_referrer", "follow_up"}


def test_consent_cannot_be_withdrawn_before_it_was_given(cast, api, referral_a):
    consent = referral_a.consents.get()
    response = api(cast.coordinator_a).post(
        f"/api/v1/referrals/{referral_a.pk}/consents/{consent.pk}/withdraw/",
        {"withdrawn_on": (consent.given_on - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "before it was given" in str(response.data)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_a_consent_to_share_with_a_partner_names_the_partner(cast, referral_a):
    with pytest.raises(ValidationError) as exc:
        services.consent_record(
            referral=referral_a, by=cast.coordinator_a, scope="share_with_partner", given_by="Per"
        )
    assert "partner_name" in exc.value.message_dict


def test_the_same_consent_is_not_recorded_twice_while_in_force(cast, referral_a):
    with pytest.raises(ValidationError):
        services.consent_record(
            referral=referral_a, by=cast.coordinator_a, scope="share_with_referrer", given_by="Per"
        )
    assert referral_a.consents.count() == 1


def test_a_consent_given_in_the_future_is_refused(cast, referral_a):
    with pytest.raises(ValidationError):
        services.consent_record(
            referral=referral_a,
            by=cast.coordinator_a,
            scope="follow_up",
            given_by="Per",
            given_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_the_referrer_reads_consents_but_cannot_record_or_withdraw(cast, api, referral_a):
    client = api(cast.referrer_a)
    url = f"/api/v1/referrals/{referral_a.pk}/consents/"
    assert client.get(url).status_code == 200
    assert (
        client.post(url, {"scope": "follow_up", "given_by": "Per"}, format="json").status_code
        == 403
    )
    consent = referral_a.consents.get()
    assert client.post(f"{url}{consent.pk}/withdraw/", {}, format="json").status_code == 403


def test_withdrawing_consent_on_the_page_stops_sharing_the_reasons_with_the_referrer(
    cast, web, referral_a
):
    services.referral_decide(
        referral=referral_a, by=cast.coordinator_a, outcome="granted", reasons="Hemmelig grunn"
    )
    referrer = web(cast.referrer_a)
    assert "Hemmelig grunn" in referrer.get(f"/henvisninger/{referral_a.pk}/").content.decode()

    consent = referral_a.consents.get()
    response = web(cast.coordinator_a).post(
        f"/henvisninger/{referral_a.pk}/samtykke/{consent.pk}/trekk/",
        {"withdrawn_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302

    page = referrer.get(f"/henvisninger/{referral_a.pk}/").content.decode()
    assert "Hemmelig grunn" not in page and "Granted" in page
    decision = referral_a.decisions.get()
    letter = referrer.get(f"/henvisninger/{referral_a.pk}/vedtak/{decision.pk}/brev/")
    assert letter.status_code == 403


def test_a_coordinator_records_consent_on_the_page(cast, web, referral_a):
    response = web(cast.coordinator_a).post(
        f"/henvisninger/{referral_a.pk}/samtykke/",
        {
            "scope": "share_with_partner",
            "partner_name": "Frisklivssentralen",
            "given_on": timezone.localdate().isoformat(),
            "given_by": "Per",
        },
    )
    assert response.status_code == 302
    assert referral_a.consents.filter(partner_name="Frisklivssentralen").exists()
