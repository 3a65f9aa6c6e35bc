"""The grants demo in Fjordvik: a scheme, a decided round with letters to everyone, an agreement
above the threshold, one report approved and one late, an open round with a draft."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.core.models import OutboxMessage
from kobling.demo.loader import load_demo
from kobling.grants import notices, selectors
from kobling.grants.choices import GrantStatus
from kobling.grants.letters import grant_letter_html
from kobling.grants.models import Application, GrantDecision, GrantRound, GrantScheme

pytestmark = pytest.mark.django_db


def test_the_grants_demo_has_every_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["grant_schemes"] == 1
    scheme = GrantScheme.objects.get(municipality__name="Fjordvik")
    states = {r.name: r.state for r in GrantRound.objects.filter(scheme=scheme)}
    assert sorted(states.values()) == ["closed", "open"]
    today = timezone.localdate()
    applications = list(
        selectors.application_queryset(Application.objects.filter(round__scheme=scheme))
    )
    statuses = sorted(str(selectors.status_of(a, today)) for a in applications)
    assert statuses.count(GrantStatus.REPORT_LATE) == 1
    assert GrantStatus.REPORT_APPROVED in statuses and GrantStatus.REPORT_DUE in statuses
    assert [a.status for a in applications].count("draft") == 1
    assert GrantDecision.objects.filter(application__round__scheme=scheme).count() == 4
    assert OutboxMessage.objects.filter(purpose=notices.DECISION).count() == 4
    assert sum(1 for a in applications if a.agreement_id) == 1
    letter = grant_letter_html(GrantDecision.objects.filter(outcome="refused").get())
    assert "Rammen er brukt opp" in letter and "vaktbikkje" in letter.lower()
