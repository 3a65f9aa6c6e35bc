"""Builders for provider tests: a provider programme, gyms with staff and certified trainers,
and courses placed with them — through the real services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kobling.providers import services
from kobling.referrals import episodes
from kobling.referrals.models import Consent
from kobling.tenancy.choices import Delivery, ProgrammeKind
from tests import factories as f
from tests.followup import scenario as s

# Valid Norwegian organisation numbers (mod 11).
ORGNR = ("974760673", "923609016", "988077917")


def provider_programme(cast, municipality=None):
    return f.ProgrammeFactory(
        municipality=municipality or cast.a,
        kind=ProgrammeKind.ACTIVITY_ON_PRESCRIPTION,
        name="Aktivitet på resept",
        delivery=Delivery.PROVIDER,
    )


def gym(cast, name="Fjordvik Treningssenter", *, orgnr=ORGNR[0], municipality=None, staff=None):
    provider = services.provider_create(
        by=cast.coordinator_a,
        municipality=municipality or cast.a,
        data={"name": name, "organisation_number": orgnr, "kind": "gym"},
    )
    if staff is not None:
        services.staff_add(by=None, provider=provider, user=staff)
    return provider


def staff_user(username):
    return f.UserFactory(username=username)


def certified(cast, provider, *, days=365, kind="personal_trainer", number="PT-1"):
    trainer = services.trainer_create(
        by=None, provider=provider, data={"first_name": "Tor", "last_name": "Trener"}
    )
    services.certificate_add(
        by=None,
        trainer=trainer,
        kind=kind,
        issuer="Treningsforbundet",
        number=number,
        expires_on=timezone.localdate() + dt.timedelta(days=days),
    )
    return trainer


def provider_course(cast, programme, provider=None, *, first_name="Siri", consent=True):
    referral = s.waiting(programme, first_name=first_name, referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    episode = episodes.episode_for_referral(referral)
    if consent and provider is not None:
        Consent.objects.create(
            referral=referral,
            municipality_id=referral.municipality_id,
            scope="share_with_partner",
            partner_name=provider.name,
            given_on=timezone.localdate() - dt.timedelta(days=1),
            given_by="Deltakeren",
        )
    return episode


def placed(cast, episode, provider, *, accept=True, weeks_back=4, weeks=12, by=None):
    today = timezone.localdate()
    placement = services.placement_create(
        by=cast.coordinator_a,
        episode=episode,
        provider=provider,
        activity="Styrketrening to ganger i uka",
        starts_on=today - dt.timedelta(weeks=weeks_back),
        ends_on=today + dt.timedelta(weeks=weeks - weeks_back),
    )
    if accept:
        placement = services.placement_answer(
            placement=placement, by=by, accept=True, expected_version=placement.version
        )
    return placement
