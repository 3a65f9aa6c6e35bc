"""The grant round from scheme to report, through the services: scoring with a declared
conflict, a ranked list against the budget, decisions with letters and notices, an agreement
above the threshold, a report after a reminder, statuses and the yearly overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kobling.core.models import OutboxMessage
from kobling.grants import notices, selectors, services
from kobling.grants.choices import GrantStatus
from kobling.grants.models import GrantDecision, grant_status
from kobling.partners.choices import AgreementKind
from tests.grants import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(cast):
    s = b.scheme(cast.a, cast.coordinator_a, budget=45000)
    r = b.open_round(s, cast.coordinator_a)
    one = b.submitted(
        r, b.contact(cast.a), title="Turgruppe", lines=(("Leie", 30000), ("Utstyr", 30000))
    )
    two = b.submitted(
        r,
        b.contact(
            cast.a, orgnr=b.ORGNR_2, org="Aby Mental Helse", email="leder@mh.test", name="Per"
        ),
        title="Likepersongruppe",
        lines=(("Kurs", 15000),),
    )
    return s, r, one, two


def test_the_organisation_number_is_checked_and_the_partner_linked_or_registered(cast):
    with pytest.raises(ValidationError) as exc:
        services.contact_request(
            municipality=cast.a,
            data={
                "organisation_number": "123456789",
                "organisation_name": "X",
                "name": "Y",
                "email": "y@x.test",
            },
        )
    assert "organisation_number" in exc.value.message_dict
    first = b.contact(cast.a)
    assert first.partner.organisation_number == b.ORGNR and first.partner.kind == "volunteer"
    again = b.contact(cast.a, email="other@turlag.test", name="Ola")
    assert again.partner_id == first.partner_id


def test_a_declared_conflict_stops_scoring_and_the_ranking_follows_the_weights(cast, setup):
    s, r, one, two = setup
    target, feasible = list(s.criteria.all())
    # Scoring before the deadline is allowed (officers read as applications come in).
    services.score_record(application=one, officer=cast.coordinator_a, criterion=target, value=2)
    services.score_record(application=one, officer=cast.coordinator_a, criterion=feasible, value=5)
    services.score_record(application=two, officer=cast.coordinator_a, criterion=target, value=4)
    services.score_record(application=two, officer=cast.coordinator_a, criterion=feasible, value=1)
    services.score_record(application=one, officer=cast.admin_a, criterion=target, value=5)
    services.conflict_declare(application=one, officer=cast.admin_a, reason="Styremedlem i laget")
    with pytest.raises(PermissionDenied):
        services.score_record(application=one, officer=cast.admin_a, criterion=target, value=5)
    with pytest.raises(PermissionDenied):
        services.score_record(
            application=one, officer=cast.coordinator_b, criterion=target, value=5
        )
    rows = selectors.round_ranking(r)
    # one: (3*2 + 1*5)/4 = 2.75 (the admin's score went with the declaration); two: (12+1)/4 = 3.25
    assert [(row.application.pk, row.weighted_score) for row in rows] == [
        (two.pk, 3.25),
        (one.pk, 2.75),
    ]
    assert [row.running_total for row in rows] == [Decimal(15000), Decimal(75000)]
    assert [row.within_budget for row in rows] == [True, False]
    assert rows[1].conflicts == 1


def test_decisions_need_the_deadline_reasons_and_are_append_only(
    cast, setup, django_capture_on_commit_callbacks
):
    s, r, one, two = setup
    with pytest.raises(ValidationError):
        services.decision_make(
            application=one,
            by=cast.coordinator_a,
            outcome="granted",
            amount=10000,
            reasons="Godt",
            report_due_on=timezone.localdate(),
            expected_version=one.version,
        )
    b.close(r)
    with pytest.raises(ValidationError) as exc:
        services.decision_make(
            application=one,
            by=cast.coordinator_a,
            outcome="granted",
            amount=0,
            reasons="",
            expected_version=one.version,
        )
    assert set(exc.value.message_dict) == {"amount", "reasons", "report_due_on"}
    with django_capture_on_commit_callbacks(execute=True):
        granted = services.decision_make(
            application=one,
            by=cast.coordinator_a,
            outcome="granted",
            amount=60000,
            reasons="Treffer målgruppen",
            conditions="Rapport innen fristen",
            report_due_on=timezone.localdate() + dt.timedelta(days=200),
            expected_version=one.version,
        )
        refused = services.decision_make(
            application=two,
            by=cast.coordinator_a,
            outcome="refused",
            amount=None,
            reasons="Over budsjett",
            expected_version=two.version,
        )
    notices_sent = OutboxMessage.objects.filter(purpose=notices.DECISION).order_by("pk")
    assert [m.recipient for m in notices_sent] == ["kari@turlag.test", "leder@mh.test"]
    assert {m.status for m in notices_sent} == {"sent"}
    with pytest.raises(ValidationError):
        granted.reasons = "endret"
        granted.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {GrantDecision._meta.db_table} SET amount = 1 WHERE id = %s", [refused.pk]
        )
    one.refresh_from_db()
    corrected = services.decision_make(
        application=one,
        by=cast.coordinator_a,
        outcome="granted",
        amount=55000,
        reasons="Rettet beløp",
        report_due_on=one.report_due_on,
        expected_version=one.version,
    )
    assert corrected.supersedes_id == granted.pk
    assert (
        selectors.decision_of(
            selectors.application_queryset(type(one).objects.filter(pk=one.pk)).get()
        )
        == corrected
    )
    assert GrantDecision.objects.get(pk=granted.pk).amount == 60000


def test_an_agreement_is_made_above_the_threshold_only_with_the_clause_checklist(cast, setup):
    s, r, one, two = setup
    b.close(r)
    due = timezone.localdate() + dt.timedelta(days=100)
    services.decision_make(
        application=one,
        by=cast.coordinator_a,
        outcome="granted",
        amount=60000,
        reasons="Ja",
        report_due_on=due,
        expected_version=one.version,
    )
    services.decision_make(
        application=two,
        by=cast.coordinator_a,
        outcome="granted",
        amount=15000,
        reasons="Ja",
        report_due_on=due,
        expected_version=two.version,
    )
    with pytest.raises(ValidationError, match="threshold"):
        services.agreement_from_grant(
            application=two,
            by=cast.coordinator_a,
            starts_on=timezone.localdate(),
            ends_on=None,
            clauses=[],
        )
    agreement = services.agreement_from_grant(
        application=one,
        by=cast.coordinator_a,
        starts_on=timezone.localdate(),
        ends_on=due,
        clauses=["purpose", "accounts", "contacts"],
    )
    assert agreement.kind == AgreementKind.GRANT and agreement.partner_id == one.partner_id
    assert agreement.clauses == ["purpose", "contacts", "accounts"] and agreement.review_on == due
    with pytest.raises(ValidationError):
        services.agreement_from_grant(
            application=one,
            by=cast.coordinator_a,
            starts_on=timezone.localdate(),
            ends_on=None,
            clauses=[],
        )


def test_reminders_then_a_report_then_approval_and_the_statuses(
    cast, setup, smtp_server, django_capture_on_commit_callbacks
):
    s, r, one, two = setup
    b.close(r)
    due = timezone.localdate() + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_make(
            application=one,
            by=cast.coordinator_a,
            outcome="granted",
            amount=40000,
            reasons="Ja",
            report_due_on=due,
            expected_version=one.version,
        )
    one.refresh_from_db()
    today = timezone.localdate()
    assert (
        selectors.status_of(
            selectors.application_queryset(type(one).objects.filter(pk=one.pk)).get(), today
        )
        == GrantStatus.REPORT_DUE
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.report_reminders_tick()["grant_report_reminders"] == 1
        assert notices.report_reminders_tick()["grant_report_reminders"] == 0  # once per step
    smtp_server.wait_for(2)
    reminder = smtp_server.to("kari@turlag.test")[-1]
    assert "report" in reminder.subject.lower() and "due" in reminder.subject.lower()
    decision_mail = smtp_server.to("kari@turlag.test")[0]
    assert decision_mail.message.get_content_type() == "multipart/mixed"
    attachments = [p.get_filename() for p in decision_mail.message.iter_attachments()]
    assert attachments and attachments[0].endswith(".pdf")
    lines = list(one.budget_lines.all())
    with pytest.raises(ValidationError) as exc:
        services.report_save(
            application=one,
            contact=one.contact,
            data={"activities": "Turer"},
            spent={},
            expected_version=None,
            submit=True,
        )
    assert {"participants", "lines"} <= set(exc.value.message_dict)
    report = services.report_save(
        application=one,
        contact=one.contact,
        data={"activities": "40 turer", "participants": 18, "deviations": ""},
        spent={line.pk: 25000 for line in lines},
        expected_version=None,
        submit=True,
    )
    assert report.status == "submitted"
    report = services.report_review(
        report=report,
        by=cast.coordinator_a,
        approve=False,
        questions="Hvorfor mer på leie?",
        expected_version=report.version,
    )
    assert report.status == "questions"
    report = services.report_save(
        application=one,
        contact=one.contact,
        data={"deviations": "Dyrere leie"},
        spent={line.pk: 25000 for line in lines},
        expected_version=report.version,
        submit=True,
    )
    report = services.report_review(
        report=report, by=cast.coordinator_a, approve=True, expected_version=report.version
    )
    fresh = selectors.application_queryset(type(one).objects.filter(pk=one.pk)).get()
    assert selectors.status_of(fresh, today) == GrantStatus.REPORT_APPROVED


def test_the_status_rules_in_order(cast, setup):
    s, r, one, two = setup
    today = dt.date(2026, 6, 1)
    d = GrantDecision(outcome="granted", amount=1)
    one.report_due_on = dt.date(2026, 12, 1)
    assert (
        grant_status(application=one, decision=d, report=None, today=today) == GrantStatus.GRANTED
    )
    one.paid_on = dt.date(2026, 5, 1)
    assert grant_status(application=one, decision=d, report=None, today=today) == GrantStatus.PAID
    one.report_due_on = dt.date(2026, 6, 20)
    assert (
        grant_status(application=one, decision=d, report=None, today=today)
        == GrantStatus.REPORT_DUE
    )
    one.report_due_on = dt.date(2026, 5, 20)
    assert (
        grant_status(application=one, decision=d, report=None, today=today)
        == GrantStatus.REPORT_LATE
    )
    one.reclaimed_on = today
    assert (
        grant_status(application=one, decision=d, report=None, today=today) == GrantStatus.RECLAIMED
    )
    assert (
        grant_status(
            application=one, decision=GrantDecision(outcome="refused"), report=None, today=today
        )
        is None
    )


def test_after_the_deadline_nothing_is_sent_or_changed(cast, setup):
    s, r, one, two = setup
    who = b.contact(cast.a, orgnr=b.ORGNR_3, org="Aby Sanitet", email="s@s.test")
    draft = services.application_create(grant_round=r, contact=who, data={"title": "Sen"})
    b.close(r)
    with pytest.raises(ValidationError, match="deadline"):
        services.application_save(
            application=draft,
            contact=who,
            data={"purpose": "x"},
            lines=None,
            expected_version=draft.version,
            submit=True,
        )
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.purpose == ""


def test_the_reminder_job_is_scheduled_and_reminds_again_when_the_report_is_late(
    cast, setup, smtp_server, django_capture_on_commit_callbacks
):
    from kobling.core.scheduler import registry
    from kobling.grants.models import Application

    assert "grants.report_reminders" in [job.name for job in registry.jobs()]
    s, r, one, two = setup
    b.close(r)
    services.decision_make(
        application=one,
        by=cast.coordinator_a,
        outcome="granted",
        amount=40000,
        reasons="Ja",
        report_due_on=timezone.localdate() + dt.timedelta(days=5),
        expected_version=one.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notices.report_reminders_tick()
    Application.objects.filter(pk=one.pk).update(
        report_due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.report_reminders_tick()["grant_report_reminders"] == 1
    subjects = [m.subject for m in smtp_server.wait_for(2)]
    assert any("is due" in x for x in subjects) and any("is late" in x for x in subjects)
    # A grant far from its due date, or refused, gets none.
    services.decision_make(
        application=two,
        by=cast.coordinator_a,
        outcome="refused",
        amount=None,
        reasons="Nei",
        expected_version=two.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.report_reminders_tick()["grant_report_reminders"] == 0
