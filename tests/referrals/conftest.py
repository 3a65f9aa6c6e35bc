"""Fixtures for the referral tests: a second referrer in A (who did not make the referral), a
referral made by referrer_a, one in B, and payload builders for the API and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.core.shared_cache import shared_cache
from kobling.referrals.models import Consent, Referral
from kobling.tenancy.choices import Role
from tests import factories as f


@pytest.fixture(autouse=True)
def _clean_cache():
    shared_cache().clear()
    yield
    shared_cache().clear()


@pytest.fixture
def referrer_a2(cast):
    return f.member(f.UserFactory(username="henviser2@a.test"), cast.a, Role.REFERRER)


@pytest.fixture
def referral_a(cast) -> Referral:
    """Made by referrer_a in A, with consent to share with the referrer."""
    referral = f.ReferralFactory(
        programme=cast.programme_a,
        referrer=cast.referrer_a,
        referrer_name="Dr. Henviser",
        coordinator_notes="Hemmelig notat",
        needs="Trenger rolig start",
    )
    Consent.objects.create(
        referral=referral,
        municipality=cast.a,
        scope="share_with_referrer",
        given_on=timezone.localdate() - dt.timedelta(days=3),
        given_by="Per",
    )
    return referral


@pytest.fixture
def referral_b(cast) -> Referral:
    return f.ReferralFactory(programme=cast.programme_b)
