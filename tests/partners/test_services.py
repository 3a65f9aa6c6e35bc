"""The partner register's rules: organisation numbers, one name per municipality, programmes of
the own municipality, agreement dates and clauses, the derived status, optimistic concurrency and
the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from kobling.lib.errors import ConflictError
from kobling.partners import services
from kobling.partners.choices import AgreementStatus
from kobling.partners.models import Agreement, Partner, agreement_status_q
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.partners.builders import agreement, partner

pytestmark = pytest.mark.django_db

VALID_ORGNR = "988077917"


def test_a_partner_is_registered_with_its_programmes_and_audited(cast):
    p = partner(
        cast.a,
        name="  Aby Treningssenter ",
        kind="gym",
        organisation_number="988 077 917",
        programmes=[cast.programme_a],
    )
    p.refresh_from_db()
    assert (p.name, p.organisation_number, p.version) == ("Aby Treningssenter", VALID_ORGNR, 1)
    assert list(p.programmes.all()) == [cast.programme_a]
    entry = AuditEntry.objects.get(object_type="partners.partner", object_id=str(p.pk))
    assert entry.action == "create"
    assert entry.municipality_id == cast.a.pk


@pytest.mark.parametrize("number", ["988077918", "12345678", "abc", "9880779170"])
def test_an_organisation_number_with_a_wrong_checksum_or_shape_is_refused(cast, number):
    with pytest.raises(ValidationError) as caught:
        partner(cast.a, organisation_number=number)
    assert "organisation_number" in caught.value.message_dict
    assert not Partner.objects.exists()


def test_the_organisation_number_message_is_in_the_users_language(cast):
    with override("nb"), pytest.raises(ValidationError) as caught:
        partner(cast.a, organisation_number="988077918")
    with override("en"), pytest.raises(ValidationError) as english:
        partner(cast.a, organisation_number="988077918")
    assert english.value.message_dict["organisation_number"] == [
        "Not a valid organisation number (9 digits with a correct check digit)."
    ]
    # The message goes through gettext (translated in the translation pass).
    assert caught.value.message_dict["organisation_number"]


def test_the_same_name_twice_in_a_municipality_is_refused_whatever_the_case(cast):
    partner(cast.a, name="Aby IL")
    with pytest.raises(ValidationError) as caught:
        partner(cast.a, name="aby il")
    assert caught.value.message_dict["name"] == [
        "The municipality already has a partner by this name."
    ]
    # Another municipality may have a partner by the same name.
    assert partner(cast.b, name="Aby IL").municipality == cast.b


def test_a_rename_onto_another_partners_name_is_refused(cast):
    partner(cast.a, name="Aby IL")
    other = partner(cast.a, name="Aby Turlag", kind="volunteer")
    with pytest.raises(ValidationError) as caught:
        services.partner_update(
            partner=other, by=cast.coordinator_a, data={"name": "ABY IL"}, expected_version=1
        )
    assert "name" in caught.value.message_dict
    # Keeping its own name is fine.
    services.partner_update(
        partner=other, by=cast.coordinator_a, data={"name": "Aby Turlag"}, expected_version=1
    )


def test_programmes_of_another_municipality_are_refused(cast):
    with pytest.raises(ValidationError) as caught:
        partner(cast.a, programmes=[cast.programme_b])
    assert "programmes" in caught.value.message_dict


def test_an_unknown_field_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        partner(cast.a, version=7)
    assert "version" in caught.value.message_dict


def test_an_edit_from_a_stale_version_is_refused_and_saves_nothing(cast):
    p = partner(cast.a)
    services.partner_update(
        partner=p, by=cast.coordinator_a, data={"contact_name": "Kari"}, expected_version=1
    )
    with pytest.raises(ConflictError):
        services.partner_update(
            partner=p, by=cast.admin_a, data={"contact_name": "Ola"}, expected_version=1
        )
    p.refresh_from_db()
    assert (p.contact_name, p.version) == ("Kari", 2)
    update = AuditEntry.objects.get(object_type="partners.partner", action="update")
    assert update.changes == {"contact_name": ["", "Kari"]}


def test_an_agreement_cannot_end_before_it_starts(cast):
    p = partner(cast.a)
    with pytest.raises(ValidationError) as caught:
        agreement(p, starts=0, ends=-1)
    assert caught.value.message_dict["ends_on"] == ["The agreement cannot end before it starts."]
    with pytest.raises(ValidationError) as caught:
        agreement(p, starts=0, review=-1)
    assert "review_on" in caught.value.message_dict
    assert not Agreement.objects.exists()


def test_clauses_are_checked_and_kept_in_the_domain_order(cast):
    p = partner(cast.a)
    with pytest.raises(ValidationError) as caught:
        agreement(p, clauses=["purpose", "secret_handshake"])
    assert "secret_handshake" in caught.value.message_dict["clauses"][0]
    a = agreement(p, clauses=["accounts", "purpose", "purpose"])
    assert a.clauses == ["purpose", "accounts"]
    assert a.municipality_id == cast.a.pk


def test_an_agreement_edit_from_a_stale_version_is_refused(cast):
    a = agreement(partner(cast.a))
    services.agreement_update(agreement=a, by=None, data={"covers": "Nøkler"}, expected_version=1)
    with pytest.raises(ConflictError):
        services.agreement_update(agreement=a, by=None, data={"covers": "X"}, expected_version=1)
    a.refresh_from_db()
    assert (a.covers, a.version) == ("Nøkler", 2)
    assert AuditEntry.objects.filter(object_type="partners.agreement", action="update").count() == 1


# (starts, ends, review) in days from today → status
STATUS_CASES = [
    ((-10, None, None), AgreementStatus.IN_FORCE),
    ((-10, 61, None), AgreementStatus.IN_FORCE),
    ((-10, 60, None), AgreementStatus.ENDING_SOON),
    ((-10, 0, None), AgreementStatus.ENDING_SOON),
    ((-10, -1, None), AgreementStatus.EXPIRED),
    ((-10, -1, -5), AgreementStatus.EXPIRED),
    ((-10, None, 0), AgreementStatus.REVIEW_DUE),
    ((-10, 30, -1), AgreementStatus.REVIEW_DUE),
    ((-10, None, 1), AgreementStatus.IN_FORCE),
    ((5, None, None), AgreementStatus.UPCOMING),
    ((0, None, None), AgreementStatus.IN_FORCE),
]


@pytest.mark.parametrize(("days", "expected"), STATUS_CASES)
def test_the_status_is_derived_from_the_dates_in_python_and_in_sql_alike(cast, days, expected):
    starts, ends, review = days
    a = agreement(partner(cast.a), starts=starts, ends=ends, review=review)
    today = timezone.localdate()
    assert a.status_on(today) == expected
    matching = {
        status
        for status in AgreementStatus.values
        if Agreement.objects.filter(agreement_status_q(status, today), pk=a.pk).exists()
    }
    assert matching == {expected}


def test_the_status_moves_with_the_day(cast):
    a = agreement(partner(cast.a), starts=-10, ends=100)
    today = timezone.localdate()
    assert a.status_on(today) == AgreementStatus.IN_FORCE
    assert a.status_on(today + dt.timedelta(days=40)) == AgreementStatus.ENDING_SOON
    assert a.status_on(today + dt.timedelta(days=101)) == AgreementStatus.EXPIRED


def test_partners_are_scoped_to_their_municipalitys_managers(cast):
    p = partner(cast.a)
    assert list(Partner.objects.visible_to(cast.coordinator_a)) == [p]
    assert list(Partner.objects.visible_to(cast.admin_a)) == [p]
    assert not Partner.objects.visible_to(cast.coordinator_b).exists()
    for user in (cast.referrer_a, cast.contact_user_a, cast.analyst, cast.provider_user):
        assert Partner.visibility_q(user, "view") is None
    other = f.member(f.UserFactory(username="k2@a.test"), cast.b, "coordinator")
    assert not p.permits(other, "change")
    assert p.permits(cast.coordinator_a, "change")
