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


def latest(app: str) -> tuple[str, str]:
    executor = MigrationExecutor(connection)
    return next(node for node in executor.loader.graph.leaf_nodes() if node[0] == app)


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
    migrate(latest("helpers"))

    token = signing.Signer(salt="kobling.helpers.checkin").sign("old-nonce")
    resolved = outbox.link_resolve(token, "checkin")
    assert (resolved.outcome, resolved.subject_id) == (LinkOutcome.LIVE, sent.pk)
    message = OutboxMessage.objects.get(subject_key=f"checkin:{sent.pk}")
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.reminder_due_at == sent.sent_at + dt.timedelta(days=7)
    assert outbox.message_send(message_id=message.pk).outcome == "skipped"
    assert client.get(f"/innsjekk/{token}/?svar=available").status_code == 200
