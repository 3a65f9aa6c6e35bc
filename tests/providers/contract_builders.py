"""Builders for contract and claim tests: a gym linked to its partner register entry with a
concession agreement and terms, and a placed course of a person whose benefit is verified —
through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kobling.partners import services as partners
from kobling.providers import contract_services as contracts
from kobling.providers import services
from kobling.referrals.services import benefit_verify
from tests.providers.builders import ORGNR, placed, provider_course


def contracted_gym(cast, name="Fjordvik Treningssenter", *, orgnr=ORGNR[0], staff=None, **terms):
    today = timezone.localdate()
    partner = partners.partner_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        data={"name": name, "kind": "gym", "organisation_number": orgnr},
    )
    provider = services.provider_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        data={"name": name, "organisation_number": orgnr, "kind": "gym", "partner": partner},
    )
    if staff is not None:
        services.staff_add(by=None, provider=provider, user=staff)
    agreement = partners.agreement_create(
        partner=partner,
        by=cast.coordinator_a,
        data={"kind": "concession", "starts_on": today - dt.timedelta(days=200)},
    )
    data = {"price_model": "per_session", "price": Decimal("150"), "period_months": 1}
    data.update(terms)
    contract = contracts.terms_create(
        by=cast.coordinator_a, agreement=agreement, provider=provider, data=data
    )
    return provider, contract


def claim_month(today=None):
    """A past month that a placement begun 12 weeks ago covers from its 1st to its 9th."""
    today = today or timezone.localdate()
    return (today - dt.timedelta(weeks=5)).replace(day=1)


def eligible_course(cast, programme, provider, *, first_name="Siri", verified=True):
    episode = provider_course(cast, programme, provider, first_name=first_name)
    if verified:
        benefit_verify(
            referral=episode.referral,
            by=cast.coordinator_a,
            benefit="aap",
            verified_on=timezone.localdate() - dt.timedelta(days=100),
        )
    return placed(cast, episode, provider, weeks_back=12, weeks=20)


def visits(placement, days, month, *, source="phone"):
    return [
        services.visit_record(
            placement=placement,
            visited_on=month + dt.timedelta(days=d),
            minutes=60,
            source=source,
        ).visit
        for d in days
    ]
