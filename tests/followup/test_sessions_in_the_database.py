"""A session entry is append-only in the database too: raw SQL can neither edit nor delete it.
Corrections (new entries) and the participant's one confirmation still work."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kobling.followup.models import Session
from kobling.followup.sessions import session_confirm, session_correct
from tests.followup import scenario as s
from tests.pay import builders as b

pytestmark = pytest.mark.django_db


def refused(sql, params):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def test_raw_sql_cannot_edit_or_delete_a_session_but_corrections_and_confirmation_work(cast):
    f_active = s.contact(cast.programme_a)
    pairing = s.pairing(s.waiting(cast.programme_a), f_active)
    entry = b.held(pairing, timezone.localdate(), 60)

    for sql in (
        "UPDATE followup_session SET minutes = 600 WHERE id = %s",
        "UPDATE followup_session SET status = 'cancelled' WHERE id = %s",
        "UPDATE followup_session SET logged_by_id = NULL, note = 'x' WHERE id = %s",
        "DELETE FROM followup_session WHERE id = %s",
    ):
        assert refused(sql, [entry.pk]), sql

    confirmed = session_confirm(session=entry, via="in_person")
    assert confirmed.confirmed_at is not None
    # Written once: the confirmation itself is not rewritten afterwards.
    assert refused(
        "UPDATE followup_session SET confirmed_at = NULL, confirmed_via = '' WHERE id = %s",
        [entry.pk],
    )
    correction = session_correct(
        session=entry, by=cast.coordinator_a, reason="Typo", minutes=45, intensity="moderate"
    )
    assert correction.supersedes_id == entry.pk
    entry.refresh_from_db()
    assert entry.minutes == 60 and Session.objects.current().get(pairing=pairing).minutes == 45
