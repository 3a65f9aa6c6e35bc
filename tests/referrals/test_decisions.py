"""Decisions (vedtak): outcomes and status, history, eligibility and its override, the letter as
HTML and PDF, and the referrer's e-mail (no health details)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.helpers.models import TargetGroup
from kobling.referrals import services
from kobling.referrals.letters import decision_letter_html, decision_letter_pdf
from kobling.referrals.models import Decision, EligibilityRules, Referral
from kobling.referrals.selectors import referral_eligibility
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def decide(cast, referral, outcome="granted", **kw):
    return services.referral_decide(
        referral=referral,
        by=cast.coordinator_a,
        outcome=outcome,
        reasons=kw.pop("reasons", "Oppfyller kriteriene for tilbudet."),
        **kw,
    )


def test_granting_puts_the_referral_on_the_waiting_list_with_priority(cast, referral_a):
    decision = decide(cast, referral_a, priority=1)
    referral_a.refresh_from_db()
    assert referral_a.status == "waiting" and referral_a.granted_at is not None
    assert referral_a.priority == 1 and decision.priority == 1
    assert decision.decided_by == cast.coordinator_a
    assert decision.decided_on == timezone.localdate()
    assert referral_a.version == 2


def test_refusing_closes_the_referral(cast, referral_a):
    decide(cast, referral_a, "refused", reasons="Utenfor målgruppen.")
    referral_a.refresh_from_db()
    assert referral_a.status == "refused" and referral_a.closed_at is not None


def test_more_information_needed_keeps_it_open_and_a_later_grant_supersedes(cast, referral_a):
    first = decide(cast, referral_a, "more_info", reasons="Trenger uttalelse fra fastlege.")
    referral_a.refresh_from_db()
    assert referral_a.status == "more_info"
    second = decide(cast, referral_a, "granted")
    referral_a.refresh_from_db()
    assert referral_a.status == "waiting"
    # Both are kept; the first is never edited.
    first.refresh_from_db()
    assert first.outcome == "more_info" and first.reasons == "Trenger uttalelse fra fastlege."
    assert list(Decision.objects.filter(referral=referral_a).order_by("id")) == [first, second]


def test_a_new_grant_while_waiting_keeps_the_place_in_the_queue(cast, referral_a):
    decide(cast, referral_a)
    referral_a.refresh_from_db()
    granted_at = referral_a.granted_at
    decide(cast, referral_a, priority=1, reasons="Høyere prioritet etter ny vurdering.")
    referral_a.refresh_from_db()
    assert referral_a.granted_at == granted_at and referral_a.priority == 1


@pytest.mark.parametrize("status", ["paired", "withdrawn", "closed"])
def test_no_decision_on_a_paired_withdrawn_or_closed_referral(cast, referral_a, status):
    referral_a.status = status
    referral_a.save()
    with pytest.raises(ValidationError):
        decide(cast, referral_a)
    assert not Decision.objects.exists()


def test_a_decision_without_reasons_is_refused_and_nothing_changes(cast, referral_a):
    with pytest.raises(ValidationError) as exc:
        decide(cast, referral_a, reasons="   ")
    assert "reasons" in exc.value.message_dict
    referral_a.refresh_from_db()
    assert referral_a.status == "received" and not Decision.objects.exists()


def test_a_decision_cannot_be_dated_in_the_future_or_before_the_referral(cast, referral_a):
    with pytest.raises(ValidationError):
        decide(cast, referral_a, decided_on=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        decide(cast, referral_a, decided_on=timezone.localdate() - dt.timedelta(days=30))


def test_eligibility_reasons_name_each_unmet_rule(cast, referral_a):
    rules = EligibilityRules.objects.create(programme=cast.programme_a, min_age=50, max_age=60)
    rules.target_groups.set([TargetGroup.objects.get(code="youth")])
    referral_a.target_groups.set([TargetGroup.objects.get(code="mental_health")])
    participant = referral_a.participant
    participant.resident = False
    participant.save()

    reasons = referral_eligibility(referral_a)

    assert len(reasons) == 3
    assert "Children and youth" in reasons[0] and "Mental health" in reasons[0]
    assert "50" in reasons[1]
    assert "Aby" in reasons[2] and "residents" in reasons[2]


def test_a_grant_that_does_not_meet_the_rules_is_refused_with_the_reasons(cast, referral_a):
    EligibilityRules.objects.create(programme=cast.programme_a, min_age=50)
    with pytest.raises(ValidationError) as exc:
        decide(cast, referral_a)
    messages = exc.value.message_dict["override_reason"]
    assert any("50" in m for m in messages)
    referral_a.refresh_from_db()
    assert referral_a.status == "received" and not Decision.objects.exists()


def test_a_coordinator_can_override_the_rules_with_a_reason_and_it_is_recorded(cast, referral_a):
    EligibilityRules.objects.create(programme=cast.programme_a, min_age=50)
    decision = decide(cast, referral_a, override_reason="Særskilt behov, avklart med leder.")
    assert decision.override_reason == "Særskilt behov, avklart med leder."
    assert decision.unmet_eligibility and "50" in decision.unmet_eligibility[0]
    assert AuditEntry.objects.filter(
        object_type="referrals.decision", object_id=str(decision.pk), changes__override=True
    ).exists()


def test_refusing_needs_no_override_even_when_the_rules_are_not_met(cast, referral_a):
    EligibilityRules.objects.create(programme=cast.programme_a, min_age=50)
    decision = decide(cast, referral_a, "refused", reasons="Under aldersgrensen.")
    assert decision.override_reason == "" and decision.unmet_eligibility == []


def test_the_decision_api_answers_with_and_without_the_trailing_slash(cast, api, referral_a):
    client = api(cast.coordinator_a)
    body = {"outcome": "more_info", "reasons": "Trenger mer.", "version": referral_a.version}
    first = client.post(f"/api/v1/referrals/{referral_a.pk}/decision", body, format="json")
    referral_a.refresh_from_db()
    body["version"] = referral_a.version
    second = client.post(f"/api/v1/referrals/{referral_a.pk}/decision/", body, format="json")
    assert first.status_code == second.status_code == 201, (first.content, second.content)
    history = client.get(f"/api/v1/referrals/{referral_a.pk}/decisions/").data
    assert [d["id"] for d in history] == [second.data["id"], first.data["id"]]


def test_the_decision_api_refuses_a_grant_against_the_rules_without_override(cast, api, referral_a):
    EligibilityRules.objects.create(programme=cast.programme_a, residents_only=True)
    participant = referral_a.participant
    participant.resident = False
    participant.save()
    client = api(cast.coordinator_a)
    url = f"/api/v1/referrals/{referral_a.pk}/decision/"
    version = referral_a.version
    refused = client.post(
        url, {"outcome": "granted", "reasons": "Ok", "version": version}, format="json"
    )
    assert refused.status_code == 400 and "override_reason" in refused.data
    assert "residents" in str(refused.data["override_reason"])
    ok = client.post(
        url,
        {
            "outcome": "granted",
            "reasons": "Ok",
            "override_reason": "Flytter hit",
            "version": version,
        },
        format="json",
    )
    assert ok.status_code == 201 and ok.data["override_reason"] == "Flytter hit"


def test_the_decision_api_refuses_missing_reasons_and_a_stale_version(cast, api, referral_a):
    client = api(cast.coordinator_a)
    url = f"/api/v1/referrals/{referral_a.pk}/decision/"
    assert client.post(url, {"outcome": "granted"}, format="json").status_code == 400
    assert (
        client.post(url, {"outcome": "granted", "reasons": " "}, format="json").status_code == 400
    )
    stale = client.post(url, {"outcome": "refused", "reasons": "Nei", "version": 7}, format="json")
    assert stale.status_code == 409
    assert not Decision.objects.exists()


# --- the letter --------------------------------------------------------------------------------


def test_the_letter_names_the_municipality_person_decision_reasons_date_and_the_right_to_complain(
    cast, referral_a
):
    cast.coordinator_a.first_name, cast.coordinator_a.last_name = "Kari", "Koordinator"
    cast.coordinator_a.save()
    decision = decide(cast, referral_a, reasons="Du oppfyller kriteriene.")
    html = decision_letter_html(decision, lang="en")
    assert "Aby" in html and referral_a.participant.full_name in html
    assert "has granted you" in html and "Du oppfyller kriteriene." in html
    assert "Kari Koordinator" in html
    assert "complain" in html and "klage" in html
    assert decision.decided_on.strftime("%Y") in html


def test_the_letter_is_norwegian_by_default(cast, referral_a):
    decision = decide(cast, referral_a)
    assert '<html lang="nb">' in decision_letter_html(decision)
    assert '<html lang="en">' in decision_letter_html(decision, lang="en")
    assert '<html lang="nb">' in decision_letter_html(decision, lang="fr")


def test_the_letter_pdf_is_a_real_pdf(cast, referral_a):
    decision = decide(cast, referral_a)
    pdf = decision_letter_pdf(decision)
    assert pdf.startswith(b"%PDF") and len(pdf) > 3000


def test_the_letter_pdf_through_the_api_and_the_page(cast, api, web, referral_a):
    decision = decide(cast, referral_a)
    response = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/letter/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    alias = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/letter.pdf")
    assert alias.status_code == 200 and alias.content.startswith(b"%PDF")

    page = web(cast.coordinator_a).get(f"/henvisninger/{referral_a.pk}/vedtak/{decision.pk}/brev/")
    assert page.status_code == 200 and "Aby" in page.content.decode()
    pdf = web(cast.coordinator_a).get(
        f"/henvisninger/{referral_a.pk}/vedtak/{decision.pk}/brev.pdf"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    assert (
        AuditEntry.objects.filter(
            object_type="referrals.decision", object_id=str(decision.pk), action="view"
        ).count()
        == 4
    )


def test_the_letter_of_an_earlier_decision_can_be_fetched(cast, api, referral_a):
    first = decide(cast, referral_a, "more_info", reasons="Trenger mer")
    decide(cast, referral_a)
    response = api(cast.coordinator_a).get(
        f"/api/v1/referrals/{referral_a.pk}/letter/?decision={first.pk}"
    )
    assert response.status_code == 200
    missing = api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/letter/?decision=0")
    assert missing.status_code == 404


def test_no_letter_before_a_decision(cast, api, referral_a):
    assert (
        api(cast.coordinator_a).get(f"/api/v1/referrals/{referral_a.pk}/letter/").status_code == 404
    )


# --- the referrer's e-mail -------------------------------------------------------------------


def test_the_referrer_is_told_that_a_decision_exists_without_any_health_details(
    cast, referral_a, django_capture_on_commit_callbacks
):
    referral_a.goals = "Komme seg ut etter rusbehandling"
    referral_a.save()
    referral_a.target_groups.set([TargetGroup.objects.get(code="substance_use")])
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast, referral_a, "refused", reasons="Diagnosen faller utenfor.")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.referrer_a.email]
    text = message.subject + message.body
    assert f"http://testserver/henvisninger/{referral_a.pk}/" in message.body
    for secret in (
        "Diagnosen",
        "rusbehandling",
        "Substance",
        "Rus",
        referral_a.participant.first_name,
        referral_a.participant.last_name,
        "refused",
        "Refused",
        "Treningskontakt",
    ):
        assert secret not in text, secret


def test_no_e_mail_when_the_referral_has_no_referrer_user(cast, django_capture_on_commit_callbacks):
    referral = f.ReferralFactory(programme=cast.programme_a, referrer_email="lege@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast, referral)
    assert mail.outbox == []


def test_no_e_mail_when_the_decision_is_rolled_back(
    cast, referral_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        decide(cast, referral_a, reasons="")
    assert mail.outbox == []


def test_the_referrer_sees_the_outcome_and_reasons_only_within_consent(cast, api, referral_a):
    decide(cast, referral_a, reasons="Fordi kriteriene er oppfylt.")
    client = api(cast.referrer_a)
    shared = client.get(f"/api/v1/referrals/{referral_a.pk}/").data["latest_decision"]
    assert shared["outcome"] == "granted" and shared["reasons"] == "Fordi kriteriene er oppfylt."
    assert client.get(f"/api/v1/referrals/{referral_a.pk}/letter/").status_code == 200

    consent = referral_a.consents.get()
    services.consent_withdraw(consent=consent, by=cast.coordinator_a)

    data = client.get(f"/api/v1/referrals/{referral_a.pk}/").data["latest_decision"]
    assert data["outcome"] == "granted" and data["decided_on"]
    assert data["reasons"] is None and data["decided_by"] is None
    history = client.get(f"/api/v1/referrals/{referral_a.pk}/decisions/").data
    assert history[0]["reasons"] is None
    assert client.get(f"/api/v1/referrals/{referral_a.pk}/letter/").status_code == 403


def test_status_history_shows_in_the_referral_list_after_a_decision(cast, api, referral_a):
    decide(cast, referral_a)
    row = api(cast.coordinator_a).get("/api/v1/referrals/").data["results"][0]
    assert row["status"] == "waiting" and row["latest_decision"]["outcome"] == "granted"
    assert row["waiting_days"] == 0
    assert Referral.objects.get().waiting_days() == 0
