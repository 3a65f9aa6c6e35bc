"""The managers' pages for what providers run on: a provider programme's placement settings
(versioned), a provider's staff invited by e-mail through the outbox (as memberships are) and
taken off again, and a concession contract's terms and requirements set from the provider's
and the contract's pages. Each validates at the edge in the user's language, refuses a stale
edit, and answers 404 to another municipality's coordinator and 403 to other roles."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.partners import services as partners
from kobling.providers import contract_services, services
from kobling.providers.models import (
    ActivityProviderStaff,
    ConcessionTerms,
    ContractRequirement,
    PlacementSettings,
)
from kobling.tenancy.models import User
from tests.conftest import signed_in
from tests.providers.builders import gym, provider_programme, staff_user
from tests.providers.contract_builders import contracted_gym

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(cast):
    return provider_programme(cast)


def test_the_coordinator_edits_the_placement_settings_with_versions(cast, programme):
    page = signed_in(cast.coordinator_a)
    url = reverse("web:provider_settings_edit", args=[programme.pk])
    form = page.get(url).content.decode()
    assert 'name="version" value="0"' in form
    saved = page.post(
        url,
        {
            "answer_days": 3,
            "required_certificates": ["health_guide"],
            "visit_confirmation_by_participant": "on",
            "version": 0,
        },
    )
    assert saved.status_code == 302
    settings = PlacementSettings.objects.get(programme=programme)
    assert (settings.answer_days, settings.required_certificates, settings.version) == (
        3,
        ["health_guide"],
        2,
    )
    assert settings.visit_confirmation_by_participant
    assert services.settings_for(programme.pk) == (3, ["health_guide"])
    # A stale form (it read version 0) is refused and saves nothing.
    stale = page.post(url, {"answer_days": 9, "version": 0})
    assert "changed by someone else" in stale.content.decode()
    bad = page.post(url, {"answer_days": 0, "version": 2})
    assert bad.status_code == 200 and "greater than or equal to 1" in bad.content.decode()
    assert PlacementSettings.objects.get(programme=programme).answer_days == 3
    # The coordinator finds it from the providers' list.
    listing = page.get(reverse("web:provider_list")).content.decode()
    assert reverse("web:provider_programme_list") in listing
    assert programme.name in page.get(reverse("web:provider_programme_list")).content.decode()
    detail = page.get(reverse("web:provider_programme", args=[programme.pk])).content.decode()
    assert "Health guide" in detail or "health guide" in detail.lower()


def test_settings_pages_are_the_municipalitys_managers_only(cast, programme):
    for name in ("provider_settings_edit", "provider_programme"):
        url = reverse(f"web:{name}", args=[programme.pk])
        assert signed_in(cast.admin_a).get(url).status_code == 200
        assert signed_in(cast.coordinator_b).get(url).status_code == 404
        assert signed_in(cast.referrer_a).get(url).status_code == 403
    # A programme not delivered by providers has no placement settings.
    one_to_one = reverse("web:provider_programme", args=[cast.programme_a.pk])
    assert signed_in(cast.coordinator_a).get(one_to_one).status_code == 404


@pytest.mark.smtp
def test_a_new_staff_member_is_invited_through_the_outbox_and_can_be_taken_off(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    provider = gym(cast)
    page = signed_in(cast.coordinator_a)
    url = reverse("web:provider_staff", args=[provider.pk])
    refused = page.post(url, {"email": "ikke-en-adresse"})
    assert refused.status_code == 200 and "valid email" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        invited = page.post(url, {"email": "Ny@Gym.test", "first_name": "Nina"})
    assert invited.status_code == 302
    user = User.objects.get(username="ny@gym.test")
    assert not user.has_usable_password()
    staff = ActivityProviderStaff.objects.get(user=user, provider=provider)
    [sent] = OutboxMessage.objects.filter(purpose=services.STAFF_INVITATION)
    assert (sent.status, sent.subject_key) == ("sent", f"providerstaff:{staff.pk}")
    [mail] = smtp_server.to("ny@gym.test")
    link = next(u for u in mail.links() if "/konto/passord/" in u)
    assert Client().get(urlsplit(link).path, follow=True).status_code == 200
    # Twice: refused with the reason.
    again = page.post(url, {"email": "ny@gym.test"})
    assert "already works for this provider" in again.content.decode()
    # An existing user with a password is added without an invitation.
    known = staff_user("kjent@gym.test")
    known.set_password("Et langt passord 2026!")
    known.save()
    with django_capture_on_commit_callbacks(execute=True):
        page.post(url, {"email": "kjent@gym.test"})
    assert OutboxMessage.objects.filter(purpose=services.STAFF_INVITATION).count() == 1
    assert provider.pk in User.objects.get(pk=known.pk).activity_provider_ids
    # Taken off: the portal closes for them.
    remove = reverse("web:provider_staff_remove", args=[staff.pk])
    assert signed_in(cast.coordinator_b).post(remove).status_code == 404
    assert signed_in(cast.referrer_a).post(remove).status_code == 403
    assert page.post(remove).status_code == 302
    assert not ActivityProviderStaff.objects.filter(pk=staff.pk).exists()
    assert (
        signed_in(User.objects.get(pk=user.pk)).get(reverse("web:provider_portal")).status_code
        == 403
    )


def test_an_invitation_is_not_sent_once_the_person_is_taken_off(cast):
    provider = gym(cast)
    staff = services.staff_invite(by=cast.coordinator_a, provider=provider, email="angret@gym.test")
    [queued] = OutboxMessage.objects.filter(purpose=services.STAFF_INVITATION)
    services.staff_remove(by=cast.coordinator_a, staff=staff)
    assert outbox.message_send(message_id=queued.pk).outcome == "settled"
    queued.refresh_from_db()
    assert queued.status == "cancelled"


def test_the_staff_page_is_the_municipalitys_managers_only(cast):
    gym_user = staff_user("ansatt@gym.test")
    provider = gym(cast, staff=gym_user)
    url = reverse("web:provider_staff", args=[provider.pk])
    assert signed_in(cast.coordinator_a).get(url).status_code == 200
    assert signed_in(cast.coordinator_b).get(url).status_code == 404
    assert signed_in(gym_user).get(url).status_code == 403
    assert signed_in(cast.referrer_a).get(url).status_code == 403
    detail = signed_in(cast.coordinator_a).get(reverse("web:provider_detail", args=[provider.pk]))
    assert url in detail.content.decode()


def _concession_agreement(cast, provider, partner):
    return partners.agreement_create(
        partner=partner,
        by=cast.coordinator_a,
        data={"kind": "concession", "starts_on": "2026-01-01"},
    )


def test_the_coordinator_sets_a_contracts_terms_and_requirements_on_pages(cast):
    partner = partners.partner_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        data={"name": "Fjordvik Treningssenter", "kind": "gym", "organisation_number": "974760673"},
    )
    provider = services.provider_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        data={
            "name": "Fjordvik Treningssenter",
            "organisation_number": "974760673",
            "kind": "gym",
            "partner": partner,
        },
    )
    agreement = _concession_agreement(cast, provider, partner)
    page = signed_in(cast.coordinator_a)
    create = reverse("web:contract_terms_create", args=[provider.pk])
    assert create in page.get(reverse("web:provider_detail", args=[provider.pk])).content.decode()
    bad = page.post(create, {"agreement": agreement.pk, "price_model": "per_session"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    made = page.post(
        create,
        {
            "agreement": agreement.pk,
            "price_model": "per_session",
            "price": "150",
            "period_months": 1,
            "sessions_per_week": "2",
        },
    )
    terms = ConcessionTerms.objects.get(agreement=agreement)
    assert made.status_code == 302 and made["Location"] == reverse(
        "web:contract_detail", args=[terms.pk]
    )
    # The agreement has its terms now: it is not offered again.
    assert f'<option value="{agreement.pk}">' not in page.get(create).content.decode()

    edit = reverse("web:contract_terms_edit", args=[terms.pk])
    contract_page = page.get(reverse("web:contract_detail", args=[terms.pk])).content.decode()
    assert edit in contract_page
    fields = {
        "price_model": "per_session",
        "price": "175",
        "period_months": 1,
        "sessions_per_week": "2",
        "version": terms.version,
    }
    assert page.post(edit, fields).status_code == 302
    stale = page.post(edit, {**fields, "price": "200"})
    assert "changed by someone else" in stale.content.decode()
    terms.refresh_from_db()
    assert (terms.price, terms.version) == (Decimal("175.00"), 2)

    add = reverse("web:contract_requirement_add", args=[terms.pk])
    refused = page.post(add, {"measure": "attendance_75", "target": "150", "period_months": 3})
    assert refused.status_code == 200
    assert "less than or equal to 100" in refused.content.decode()
    assert (
        page.post(add, {"measure": "attendance_75", "target": "60", "period_months": 3}).status_code
        == 302
    )
    requirement = ContractRequirement.objects.get(terms=terms)
    remove = reverse("web:contract_requirement_remove", args=[requirement.pk])
    assert remove in page.get(reverse("web:contract_detail", args=[terms.pk])).content.decode()
    assert page.post(remove).status_code == 302
    assert not ContractRequirement.objects.exists()


def test_contract_pages_answer_404_to_another_municipality_and_403_to_the_provider(cast):
    gym_user = staff_user("ansatt@gym.test")
    provider, terms = contracted_gym(cast, staff=gym_user)
    requirement = contract_services.requirement_add(
        by=cast.coordinator_a, terms=terms, measure="attendance_75", target=Decimal("60")
    )
    urls = [
        ("get", reverse("web:contract_terms_create", args=[provider.pk])),
        ("get", reverse("web:contract_terms_edit", args=[terms.pk])),
        ("get", reverse("web:contract_requirement_add", args=[terms.pk])),
        ("post", reverse("web:contract_requirement_remove", args=[requirement.pk])),
    ]
    for method, url in urls:
        assert getattr(signed_in(cast.coordinator_b), method)(url).status_code == 404, url
        assert getattr(signed_in(gym_user), method)(url).status_code in (403, 404), url
        assert getattr(signed_in(cast.referrer_a), method)(url).status_code == 403, url
    # The provider's own staff see the contract but not the managers' buttons.
    seen = signed_in(gym_user).get(reverse("web:contract_detail", args=[terms.pk]))
    assert reverse("web:contract_terms_edit", args=[terms.pk]) not in seen.content.decode()
    assert ContractRequirement.objects.filter(pk=requirement.pk).exists()
