"""Aktiv på dagtid's eligibility: aged 18–67 and on one of six benefits, which a coordinator
verifies (the benefit group, who and when — never the decision) and checks again after the
programme's period. Not met: shown with the reason, and granting needs an override."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kobling.referrals import services
from kobling.referrals.models import BenefitCheck, EligibilityRules
from kobling.referrals.selectors import referral_eligibility
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def akd(cast):
    return f.ProgrammeFactory(municipality=cast.a, kind="aktiv_pa_dagtid", name="Aktiv på dagtid")


def _referral(programme, *, age=40):
    referral = f.ReferralFactory(programme=programme)
    participant = referral.participant
    today = timezone.localdate()
    participant.birth_date = today.replace(year=today.year - age) - dt.timedelta(days=2)
    participant.save()
    return referral


def test_the_programme_kind_gives_its_rules_and_the_benefit_is_needed(cast, akd):
    rules = services.eligibility_rules_for(akd)
    assert (rules.min_age, rules.max_age, rules.requires_benefit) == (18, 67, True)
    referral = _referral(akd)
    [reason] = referral_eligibility(referral)
    assert "none is verified" in reason
    services.benefit_verify(referral=referral, by=cast.coordinator_a, benefit="aap")
    assert referral_eligibility(referral) == []
    assert AuditEntry.objects.filter(object_type="referrals.benefitcheck", action="create").exists()
    # Other kinds keep the open defaults.
    other = services.eligibility_rules_for(cast.programme_a)
    assert other.requires_benefit is False


def test_age_outside_18_to_67_is_a_reason_too(cast, akd):
    services.eligibility_rules_for(akd)
    older = _referral(akd, age=70)
    services.benefit_verify(referral=older, by=cast.coordinator_a, benefit="uforetrygd")
    assert any("up to 67" in r for r in referral_eligibility(older))


def test_a_check_expires_after_the_programmes_period(cast, akd):
    EligibilityRules.objects.create(programme=akd, requires_benefit=True, benefit_recheck_weeks=4)
    referral = _referral(akd)
    long_ago = timezone.localdate() - dt.timedelta(weeks=5)
    check = services.benefit_verify(
        referral=referral, by=cast.coordinator_a, benefit="dagpenger", verified_on=long_ago
    )
    assert check.valid_until == long_ago + dt.timedelta(weeks=4)
    [reason] = referral_eligibility(referral)
    assert "checked again" in reason


def test_only_coordinators_verify_and_bad_input_saves_nothing(cast, akd):
    referral = _referral(akd)
    with pytest.raises(PermissionDenied):
        services.benefit_verify(referral=referral, by=cast.referrer_a, benefit="aap")
    with pytest.raises(ValidationError) as refused:
        services.benefit_verify(
            referral=referral,
            by=cast.coordinator_a,
            benefit="lotto",
            verified_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"benefit", "verified_on"}
    assert not BenefitCheck.objects.exists()


def test_the_coordinator_verifies_on_the_referral_page(cast, akd):
    services.eligibility_rules_for(akd)
    referral = _referral(akd)
    client = signed_in(cast.coordinator_a)
    page = client.get(f"/henvisninger/{referral.pk}/").content.decode()
    assert f"/henvisninger/{referral.pk}/ytelse/" in page
    done = client.post(
        f"/henvisninger/{referral.pk}/ytelse/",
        {"benefit": "sosialhjelp", "verified_on": timezone.localdate().isoformat()},
    )
    assert done.status_code == 302
    page = client.get(f"/henvisninger/{referral.pk}/").content.decode()
    assert "Meets the eligibility rules" in page and "social assistance" in page
    assert signed_in(cast.referrer_a).get(f"/henvisninger/{referral.pk}/ytelse/").status_code in (
        403,
        404,
    )
    assert (
        signed_in(cast.coordinator_b).get(f"/henvisninger/{referral.pk}/ytelse/").status_code == 404
    )


# --- the API ---------------------------------------------------------------------------------


def test_the_api_records_and_lists_benefit_checks_for_coordinators_only(cast, api, akd):
    services.eligibility_rules_for(akd)
    referral = _referral(akd)
    url = f"/api/v1/referrals/{referral.pk}/benefit-checks/"
    client = api(cast.coordinator_a)
    bad = client.post(url, {"benefit": "lottery"}, format="json", HTTP_ACCEPT_LANGUAGE="nb")
    assert bad.status_code == 400 and "benefit" in bad.json()
    future = client.post(
        url,
        {"benefit": "aap", "verified_on": str(timezone.localdate() + dt.timedelta(days=1))},
        format="json",
    )
    assert future.status_code == 400 and "verified_on" in future.json()
    assert not BenefitCheck.objects.exists()
    made = client.post(url, {"benefit": "aap"}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["benefit"] == "aap" and body["in_force"] is True
    assert body["valid_until"] == str(timezone.localdate() + dt.timedelta(weeks=26))
    assert body["verified_by"] == cast.coordinator_a.get_full_name()
    assert api(cast.referrer_a).post(url, {"benefit": "aap"}, format="json").status_code == 403
    assert api(cast.coordinator_b).post(url, {"benefit": "aap"}, format="json").status_code == 404
    assert BenefitCheck.objects.count() == 1
    # The list is newest first and costs the same however many checks there are.
    services.benefit_verify(
        referral=referral,
        by=cast.admin_a,
        benefit="dagpenger",
        verified_on=timezone.localdate() - dt.timedelta(weeks=30),
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two:
        listed = client.get(url)
    assert [(c["benefit"], c["in_force"]) for c in listed.json()] == [
        ("aap", True),
        ("dagpenger", False),
    ]
    for _n in range(3):
        services.benefit_verify(referral=referral, by=cast.admin_a, benefit="aap")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(url).json()) == 5
    assert len(five) == len(two)
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, object_type="referrals.referral", action="view"
    ).exists()


def test_the_api_list_reads_benefit_checks_only_for_rows_that_need_them(cast, api, akd):
    """The list prefetches benefit checks for the rows whose programme requires a benefit
    (``prefetch_benefit_checks``): each row's eligibility is the one its detail shows, the
    query count does not grow with the rows, and a list without such rows skips the query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain = f.ProgrammeFactory(municipality=cast.a, name="Uten ytelseskrav")
    for _n in range(2):
        f.ReferralFactory(programme=plain)
    client = api(cast.coordinator_a)
    connection.queries_log.clear()  # a full log (the cast's setup) counts nothing
    with CaptureQueriesContext(connection) as without:
        assert client.get("/api/v1/referrals/").status_code == 200
    without_akd = len(without)  # read now: the capture reads the log when asked

    verified, expired, unchecked = (_referral(akd) for _n in range(3))
    services.benefit_verify(referral=verified, by=cast.coordinator_a, benefit="aap")
    services.benefit_verify(
        referral=expired,
        by=cast.coordinator_a,
        benefit="dagpenger",
        verified_on=timezone.localdate() - dt.timedelta(weeks=60),
    )

    def listed() -> tuple[dict[int, list[str]], int]:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            rows = client.get("/api/v1/referrals/", {"page_size": 50}).json()["results"]
        return {row["id"]: row["eligibility"] for row in rows}, len(queries)

    eligibility, few = listed()
    for referral in (verified, expired, unchecked):
        detail = client.get(f"/api/v1/referrals/{referral.pk}/").json()["eligibility"]
        assert eligibility[referral.pk] == detail
    assert eligibility[verified.pk] == []
    assert eligibility[expired.pk] and eligibility[unchecked.pk]
    assert few == without_akd + 1  # the benefit checks, read once

    for _n in range(3):
        services.benefit_verify(referral=_referral(akd), by=cast.coordinator_a, benefit="aap")
    _eligibility, many = listed()
    assert many == few
