"""The data migrations move sent state and e-mailed links into the outbox, on a database with
the old schema: nothing is sent twice, and a link already in someone's inbox keeps working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.core.outbox import LinkOutcome
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(*targets: tuple[str, str]):  # noqa: ANN201
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))
    executor.loader.build_graph()
    return executor.loader.project_state(list(targets)).apps


def migrate_all() -> None:
    """Forward to the latest of every app (not only the app moved back: apps that depend on its
    later migrations were moved back with it, and later tests expect the full schema)."""
    migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_an_emailed_checkin_link_keeps_working_and_its_mail_is_not_sent_again(client):
    helper = f.make_active(f.HelperFactory())
    now = timezone.now()
    old = migrate(("helpers", "0003_seed_reference_lists"))
    OldCheckIn = old.get_model("helpers", "CheckIn")  # noqa: N806
    sent = OldCheckIn.objects.create(
        helper_id=helper.pk,
        municipality_id=helper.municipality_id,
        status="sent",
        nonce="old-nonce",
        created_at=now - dt.timedelta(days=2),
        sent_at=now - dt.timedelta(days=2),
        send_attempts=1,
        expires_at=now + dt.timedelta(days=20),
    )
    migrate_all()

    token = signing.Signer(salt="kobling.helpers.checkin").sign("old-nonce")
    resolved = outbox.link_resolve(token, "checkin")
    assert (resolved.outcome, resolved.subject_id) == (LinkOutcome.LIVE, sent.pk)
    message = OutboxMessage.objects.get(subject_key=f"checkin:{sent.pk}")
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.reminder_due_at == sent.sent_at + dt.timedelta(days=7)
    assert outbox.message_send(message_id=message.pk).outcome == "skipped"
    assert client.get(f"/innsjekk/{token}/?svar=available").status_code == 200


def test_emailed_follow_up_and_session_confirmation_links_keep_working(cast, client):
    from tests.followup import scenario as s

    pair = s.active_pair(s.waiting(cast.programme_a), f.make_active(cast.helper_a))
    now = timezone.now()
    old = migrate(
        ("outcomes", "0002_seed_instruments"), ("followup", "0009_pairing_episode_required")
    )
    old.get_model("outcomes", "FollowUp").objects.create(
        municipality_id=cast.a.pk,
        pairing_id=pair.pk,
        months=3,
        due_on=timezone.localdate(),
        status="sent",
        nonce="fu-nonce",
        recipient="participant",
        sent_at=now,
        send_attempts=1,
        expires_at=now + dt.timedelta(days=30),
    )
    old.get_model("followup", "SessionConfirmationLink").objects.create(
        municipality_id=cast.a.pk,
        pairing_id=pair.pk,
        nonce="sc-nonce",
        recipient="per@example.test",
        expires_at=now + dt.timedelta(days=14),
        send_attempts=2,
        last_error="SMTPDataError: 451",
    )
    migrate_all()

    followup = signing.Signer(salt="kobling.outcomes.followup").sign("fu-nonce")
    confirmation = signing.Signer(salt="kobling.followup.session-confirmation").sign("sc-nonce")
    assert outbox.link_resolve(followup, "followup").outcome == LinkOutcome.LIVE
    assert outbox.link_resolve(confirmation, "session-confirmation").outcome == LinkOutcome.LIVE
    assert client.get(f"/oppfolging/{followup}/").status_code == 200
    assert client.get(f"/bekreft-okter/{confirmation}/").status_code == 200
    unsent = OutboxMessage.objects.get(purpose="session-confirmation")
    assert (unsent.status, unsent.attempts, unsent.next_attempt_at is not None) == (
        "failed",
        2,
        True,
    )
    assert OutboxMessage.objects.get(purpose="followup").reminder_due_at == now + dt.timedelta(
        days=7
    )


def test_an_emailed_survey_keeps_its_link_and_its_reminder_schedule(cast, client):
    from kobling.national import services
    from kobling.national.models import SurveyTemplate, Unit

    unit = Unit.objects.create(
        kind="municipality",
        code="1103",
        name="Stavanger",
        county_code="11",
        valid_from="2024-01-01",
    )
    campaign = services.campaign_create(
        template=SurveyTemplate.objects.get(code="short-2016"),
        by=cast.analyst,
        name="Kartlegging",
        reminder_interval_days=14,
        reminder_count=2,
    )
    sent_at = timezone.now() - dt.timedelta(days=20)
    old = migrate(("national", "0002_seed_templates"))
    old.get_model("national", "SurveyRecipient").objects.create(
        campaign_id=campaign.pk,
        unit_id=unit.pk,
        email="post@stavanger.example",
        status="opened",
        nonce="survey-nonce",
        sent_at=sent_at,
        opened_at=sent_at,
        expires_at=sent_at + dt.timedelta(days=60),
        reminders_sent=1,
        last_reminder_at=sent_at + dt.timedelta(days=14),
        send_attempts=1,
    )
    migrate_all()

    token = signing.Signer(salt="kobling.national.survey").sign("survey-nonce")
    assert outbox.link_resolve(token, "survey").outcome == LinkOutcome.LIVE
    assert client.get(f"/kartlegging/{token}/").status_code == 200
    first, reminder = OutboxMessage.objects.filter(purpose="survey").order_by("sequence")
    assert (first.status, reminder.status, first.reminder_due_at) == ("sent", "sent", None)
    assert reminder.reminder_due_at == sent_at + dt.timedelta(days=28)
