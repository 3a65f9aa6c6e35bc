"""A submitted self-assessment and its answers are frozen in the database too: raw SQL cannot
change or delete them. Drafts stay editable and deletable."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kobling.quality import services
from kobling.quality.models import AssessmentAnswer, SelfAssessment
from tests.quality.builders import answers, submitted

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1


def refused(sql, params):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def test_raw_sql_cannot_change_or_delete_a_submitted_assessment_or_its_answers(cast):
    done = submitted(cast.programme_a, LAST_YEAR, cast.coordinator_a)
    answer = done.answers.first()
    for sql, pk in (
        ("UPDATE quality_selfassessment SET note = 'x' WHERE id = %s", done.pk),
        ("UPDATE quality_selfassessment SET status = 'draft' WHERE id = %s", done.pk),
        ("DELETE FROM quality_selfassessment WHERE id = %s", done.pk),
        ("UPDATE quality_assessmentanswer SET score = 0 WHERE id = %s", answer.pk),
        ("DELETE FROM quality_assessmentanswer WHERE id = %s", answer.pk),
    ):
        assert refused(sql, [pk]), sql
    assert SelfAssessment.objects.get(pk=done.pk).status == "submitted"
    assert AssessmentAnswer.objects.get(pk=answer.pk).score == answer.score


def test_a_draft_is_still_changed_submitted_and_deleted(cast):
    draft = services.assessment_create(
        programme=cast.programme_a, year=LAST_YEAR, by=cast.coordinator_a, answers=answers()
    )
    assert not refused("UPDATE quality_selfassessment SET note = 'y' WHERE id = %s", [draft.pk])
    draft.refresh_from_db()
    services.assessment_submit(assessment=draft, by=cast.coordinator_a, expected_version=1)
    other = services.assessment_create(
        programme=cast.programme_a, year=LAST_YEAR - 1, by=cast.coordinator_a
    )
    services.assessment_discard(assessment=other, by=cast.coordinator_a)
    assert not SelfAssessment.objects.filter(pk=other.pk).exists()
