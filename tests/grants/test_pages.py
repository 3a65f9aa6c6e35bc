"""The case officers' pages: a scheme, its criteria and a round made on the pages; scoring,
a conflict and a decision from the application page; stale versions refused with a message;
the letter as a page and a PDF with the municipality's watchdog sentence; the overview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.grants import services
from kobling.grants.models import ConflictDeclaration, GrantDecision, GrantRound, GrantScheme, Score
from tests.conftest import signed_in
from tests.grants import builders as b

pytestmark = pytest.mark.django_db


def test_a_coordinator_sets_up_a_scheme_its_criteria_and_a_round_on_the_pages(cast):
    client = signed_in(cast.coordinator_a)
    made = client.post(
        reverse("web:grant_scheme_create"),
        {
            "municipality": cast.a.pk,
            "name": "Aktivitetsmidler",
            "purpose": "Aktivitet",
            "eligibility": "Lag og foreninger",
            "budget": "100000",
            "round_kind": "yearly",
            "agreement_threshold": "50000",
            "is_active": "on",
        },
    )
    scheme = GrantScheme.objects.get()
    assert made["Location"] == reverse("web:grant_scheme_detail", args=[scheme.pk])
    client.post(
        reverse("web:grant_criterion_add", args=[scheme.pk]), {"name": "Målgruppe", "weight": "3"}
    )
    assert list(scheme.criteria.values_list("name", "weight")) == [("Målgruppe", 3)]
    # A yearly round without a deadline: a message on the field, nothing saved.
    refused = client.post(
        reverse("web:grant_round_create", args=[scheme.pk]),
        {"name": "2026", "opens_on": "2026-01-01"},
    )
    assert (
        refused.status_code == 200
        and "A yearly round needs a deadline." in refused.content.decode()
    )
    assert not GrantRound.objects.exists()
    client.post(
        reverse("web:grant_round_create", args=[scheme.pk]),
        {"name": "2026", "opens_on": "2026-01-01", "deadline": "2026-03-01T12:00"},
    )
    assert GrantRound.objects.get().budget == 100000
    # Edited from an old version: refused with a message.
    stale = client.post(
        reverse("web:grant_scheme_edit", args=[scheme.pk]),
        {
            "name": "Nytt navn",
            "purpose": "x",
            "eligibility": "y",
            "budget": "1",
            "round_kind": "yearly",
            "agreement_threshold": "1",
            "version": "0",
        },
    )
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    assert GrantScheme.objects.get().name == "Aktivitetsmidler"


@pytest.fixture
def sent(cast):
    s = b.scheme(cast.a, cast.coordinator_a)
    r = b.open_round(s, cast.coordinator_a)
    return b.submitted(r, b.contact(cast.a), lines=(("Leie", 70000),))


def test_scoring_a_conflict_and_a_decision_from_the_application_page(cast, sent):
    url = reverse("web:grant_application_detail", args=[sent.pk])
    coordinator, admin = signed_in(cast.coordinator_a), signed_in(cast.admin_a)
    criteria = list(sent.round.scheme.criteria.all())
    coordinator.post(
        reverse("web:grant_application_score", args=[sent.pk]),
        {f"criterion_{criteria[0].pk}": "4", f"criterion_{criteria[1].pk}": "3", "comment": "Bra"},
    )
    assert Score.objects.filter(officer=cast.coordinator_a).count() == 2
    admin.post(reverse("web:grant_application_conflict", args=[sent.pk]), {"reason": "Medlem"})
    assert ConflictDeclaration.objects.filter(officer=cast.admin_a).exists()
    page = admin.get(url).content.decode()
    assert "You declared a conflict of interest" in page and 'name="criterion_' not in page
    forged = admin.post(
        reverse("web:grant_application_score", args=[sent.pk]),
        {f"criterion_{criteria[0].pk}": "5"},
        follow=True,
    )
    assert forged.status_code == 403  # refused by the service, not only hidden
    assert not Score.objects.filter(officer=cast.admin_a).exists()
    # Before the deadline: refused with the reason, nothing decided.
    decide = reverse("web:grant_application_decide", args=[sent.pk])
    body = {
        "outcome": "granted",
        "amount": "60000",
        "reasons": "Treffer målgruppen",
        "conditions": "",
        "report_due_on": (timezone.localdate() + dt.timedelta(days=100)).isoformat(),
        "version": sent.version,
    }
    early = coordinator.post(decide, body, follow=True)
    assert (
        "decide after the deadline" in early.content.decode() and not GrantDecision.objects.exists()
    )
    b.close(sent.round)
    coordinator.post(decide, body)
    decision = GrantDecision.objects.get()
    assert (decision.outcome, decision.amount, decision.decided_by) == (
        "granted",
        60000,
        cast.coordinator_a,
    )
    # The decision replaced the version: a second form from the old page is refused.
    again = coordinator.post(decide, {**body, "amount": "1"}, follow=True)
    assert (
        "changed by someone else" in again.content.decode() and GrantDecision.objects.count() == 1
    )
    page = coordinator.get(url).content.decode()
    assert reverse("web:grant_application_agreement", args=[sent.pk]) in page  # above the threshold


def test_the_letter_carries_the_reasons_and_the_municipalitys_watchdog_sentence(cast, sent):
    admin = signed_in(cast.admin_a)
    admin.post(
        reverse("web:grant_settings"),
        {"watchdog_sentence": "Laget står fritt til å kritisere kommunen."},
    )
    b.close(sent.round)
    decision = services.decision_make(
        application=sent,
        by=cast.coordinator_a,
        outcome="refused",
        amount=None,
        reasons="Rammen er brukt opp",
        expected_version=sent.version,
    )
    page = admin.get(reverse("web:grant_letter", args=[sent.pk, decision.pk])).content.decode()
    assert "Rammen er brukt opp" in page and "Laget står fritt til å kritisere kommunen." in page
    assert "har avslått søknaden deres" in page  # letters are in bokmål unless English is asked for
    pdf = admin.get(reverse("web:grant_letter_pdf", args=[sent.pk, decision.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Coordinators cannot change the sentence.
    assert (
        signed_in(cast.coordinator_a)
        .post(reverse("web:grant_settings"), {"watchdog_sentence": "x"})
        .status_code
        == 403
    )


def test_the_overview_page_and_pdf(cast, sent):
    b.close(sent.round)
    services.decision_make(
        application=sent,
        by=cast.coordinator_a,
        outcome="granted",
        amount=30000,
        reasons="Ja",
        report_due_on=timezone.localdate() - dt.timedelta(days=1),
        expected_version=sent.version,
    )
    client = signed_in(cast.coordinator_a)
    args = [sent.round.scheme_id, sent.round.opens_on.year]
    page = client.get(reverse("web:grant_overview", args=args)).content.decode()
    assert "Report late" in page and "30000" in page
    pdf = client.get(reverse("web:grant_overview_pdf", args=args))
    assert pdf.content.startswith(b"%PDF")
