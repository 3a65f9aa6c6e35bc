"""The demo shows every stage of a referral in both municipalities."""

from __future__ import annotations

import pytest

from kobling.demo.loader import load_demo
from kobling.referrals.models import Decision, Referral
from kobling.tenancy.models import Municipality

pytestmark = pytest.mark.django_db


def test_the_demo_has_referrals_in_every_stage_in_both_municipalities(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["referrals"] >= 20
    for name in ("Fjordvik", "Nordby"):
        referrals = Referral.objects.filter(municipality=Municipality.objects.get(name=name))
        statuses = set(referrals.values_list("status", flat=True))
        assert {"received", "more_info", "waiting", "refused", "withdrawn"} <= statuses, name
        assert referrals.filter(referrer__username=f"henviser@{name.lower()}.demo").count() >= 3
        assert referrals.filter(source="self").exists()
        assert referrals.exclude(merges=[]).exists()
        waiting = referrals.filter(status="waiting")
        assert len({r.waiting_days() for r in waiting}) > 1
    assert Decision.objects.exclude(override_reason="").exists()
    assert Referral.objects.filter(participant__national_id="").exists()
