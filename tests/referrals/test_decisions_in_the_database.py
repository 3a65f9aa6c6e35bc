"""A decision is never changed or deleted, by raw SQL either; a new decision supersedes it."""

import pytest
from django.db import IntegrityError, connection, transaction

from kobling.referrals import services
from kobling.referrals.models import Decision

pytestmark = pytest.mark.django_db


def refused(sql, params):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def test_raw_sql_cannot_change_or_delete_a_decision_and_a_new_one_still_supersedes(
    cast, referral_a
):
    first = services.referral_decide(
        referral=referral_a, by=cast.coordinator_a, outcome="refused", reasons="Ikke nå"
    )
    for sql in (
        "UPDATE referrals_decision SET outcome = 'granted' WHERE id = %s",
        "UPDATE referrals_decision SET reasons = 'x' WHERE id = %s",
        "DELETE FROM referrals_decision WHERE id = %s",
    ):
        assert refused(sql, [first.pk]), sql
    referral_a.refresh_from_db()
    services.referral_decide(
        referral=referral_a, by=cast.coordinator_a, outcome="granted", reasons="Etter klage"
    )
    outcomes = Decision.objects.filter(referral=referral_a).values_list("outcome", flat=True)
    assert sorted(outcomes) == ["granted", "refused"]
    assert Decision.objects.get(pk=first.pk).reasons == "Ikke nå"
