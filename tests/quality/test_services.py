"""Writing self-assessments through the services: validation in the user's language, drafts
and submission, immutability once submitted, corrections, optimistic concurrency, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kobling.lib.errors import ConflictError
from kobling.quality import services
from kobling.quality.models import AssessmentAnswer, SelfAssessment
from kobling.quality.selectors import is_standing, programme_trend, standing
from kobling.tenancy.models import AuditEntry
from tests.quality.builders import answers, submitted

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


def _draft(cast, year=None, **kwargs):
    return services.assessment_create(
        programme=cast.programme_a, year=year or THIS_YEAR - 1, by=cast.coordinator_a, **kwargs
    )


def test_a_draft_may_be_partly_answered_and_is_saved_with_the_checklist_version(cast):
    a = _draft(cast, answers={"team.roles": (1, "Bare én koordinator"), "plan.timeline": ("", "")})
    assert a.status == "draft" and a.checklist_version == "mdw2012-1"
    assert a.municipality_id == cast.a.pk and a.created_by == cast.coordinator_a
    assert list(a.answers.values_list("item_code", "score", "comment")) == [
        ("team.roles", 1, "Bare én koordinator")
    ]


def test_the_year_may_not_be_in_the_future_and_the_message_is_in_the_users_language(cast):
    with pytest.raises(ValidationError) as exc:
        _draft(cast, year=THIS_YEAR + 1)
    assert "year" in exc.value.message_dict
    with translation.override("nb"), pytest.raises(ValidationError) as exc:
        _draft(cast, year=THIS_YEAR + 1)
    assert "year" in exc.value.message_dict
    assert not SelfAssessment.objects.exists()


def test_scores_outside_0_to_3_and_unknown_items_are_refused_per_item(cast):
    with pytest.raises(ValidationError) as exc:
        _draft(cast, answers={"team.roles": (4, ""), "plan.timeline": ("x", ""), "nope": (1, "")})
    assert set(exc.value.message_dict) == {"team.roles", "plan.timeline", "nope"}
    with pytest.raises(ValidationError):
        _draft(cast, answers={"team.roles": (-1, "")})
    assert not SelfAssessment.objects.exists()


def test_the_programme_must_belong_to_the_municipality(cast):
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(
            programme=cast.programme_a, municipality=cast.b, year=THIS_YEAR, by=cast.coordinator_a
        )
    assert "programme" in exc.value.message_dict


def test_only_managers_of_the_programmes_municipality_write(cast):
    for user in (cast.referrer_a, cast.contact_user_a, cast.coordinator_b, cast.analyst):
        with pytest.raises(PermissionDenied):
            services.assessment_create(programme=cast.programme_a, year=THIS_YEAR, by=user)
    assert services.assessment_create(programme=cast.programme_a, year=THIS_YEAR, by=cast.admin_a)


def test_one_assessment_per_programme_and_year(cast):
    _draft(cast)
    with pytest.raises(ValidationError) as exc:
        _draft(cast)
    assert "year" in exc.value.message_dict
    # Another year, or another programme the same year, is fine.
    _draft(cast, year=THIS_YEAR)
    services.assessment_create(
        programme=cast.programme_b, year=THIS_YEAR - 1, by=cast.coordinator_b
    )


def test_every_item_must_be_answered_before_submit(cast):
    a = _draft(cast, answers={"team.roles": (2, "")})
    with pytest.raises(ValidationError) as exc:
        services.assessment_submit(assessment=a, by=cast.coordinator_a)
    assert "answers" in exc.value.message_dict and "1.1" in exc.value.message_dict["answers"][0]
    a.refresh_from_db()
    assert a.status == "draft"
    a = services.assessment_update(
        assessment=a, by=cast.coordinator_a, expected_version=a.version, answers=answers(1)
    )
    a = services.assessment_submit(assessment=a, by=cast.coordinator_a, expected_version=a.version)
    assert a.status == "submitted" and a.submitted_by == cast.coordinator_a and a.submitted_at


def test_updating_a_draft_clears_and_changes_answers_and_bumps_the_version(cast):
    a = _draft(cast, answers={"team.roles": (1, ""), "plan.timeline": (2, "")})
    a = services.assessment_update(
        assessment=a,
        by=cast.coordinator_a,
        expected_version=1,
        note=" Med styringsgruppen ",
        answers={"team.roles": (None, ""), "plan.timeline": (3, "Ny plan")},
    )
    assert a.version == 2 and a.note == "Med styringsgruppen"
    assert dict(a.answers.values_list("item_code", "score")) == {"plan.timeline": 3}


def test_a_stale_version_is_a_conflict_and_nothing_is_saved(cast):
    a = _draft(cast)
    services.assessment_update(
        assessment=a, by=cast.coordinator_a, expected_version=1, answers={"team.roles": (3, "")}
    )
    with pytest.raises(ConflictError):
        services.assessment_update(
            assessment=a, by=cast.admin_a, expected_version=1, answers={"team.roles": (0, "")}
        )
    with pytest.raises(ConflictError):
        services.assessment_submit(assessment=a, by=cast.admin_a, expected_version=1)
    assert AssessmentAnswer.objects.get(item_code="team.roles").score == 3


def test_a_submitted_assessment_cannot_be_changed_by_the_service_or_the_model(cast):
    a = submitted(cast.programme_a, THIS_YEAR - 1, cast.coordinator_a)
    with pytest.raises(ValidationError):
        services.assessment_update(
            assessment=a, by=cast.coordinator_a, answers={"team.roles": (0, "")}
        )
    with pytest.raises(ValidationError):
        services.assessment_discard(assessment=a, by=cast.coordinator_a)
    a.note = "endret i det stille"
    with pytest.raises(ValidationError):
        a.save()
    with pytest.raises(ValidationError):
        a.delete()
    answer = a.answers.first()
    answer.score = 0
    with pytest.raises(ValidationError):
        answer.save()
    with pytest.raises(ValidationError):
        answer.delete()
    with pytest.raises(ValidationError):
        AssessmentAnswer(assessment=a, municipality=cast.a, item_code="team.roles", score=1).save()
    assert set(a.answers.values_list("score", flat=True)) == {2}


def test_a_correction_copies_the_answers_supersedes_and_stands_once_submitted(cast):
    old = submitted(cast.programme_a, THIS_YEAR - 1, cast.coordinator_a)
    with pytest.raises(ValidationError) as exc:
        services.assessment_correct(assessment=old, by=cast.coordinator_a, reason=" ")
    assert "reason" in exc.value.message_dict
    new = services.assessment_correct(assessment=old, by=cast.admin_a, reason="Feil i 1.5")
    assert new.status == "draft" and new.supersedes == old and new.correction_reason == "Feil i 1.5"
    assert new.answers.count() == 20
    # Until the correction is submitted, the old one stands.
    assert is_standing(old) and not is_standing(new)
    with pytest.raises(ValidationError):
        services.assessment_correct(assessment=old, by=cast.admin_a, reason="To ganger")
    with pytest.raises(ValidationError):
        services.assessment_correct(assessment=new, by=cast.admin_a, reason="Et utkast")
    services.assessment_update(assessment=new, by=cast.admin_a, answers={"team.roles": (0, "")})
    services.assessment_submit(assessment=new, by=cast.admin_a)
    assert is_standing(new) and not is_standing(old)
    years = programme_trend(SelfAssessment.objects.all(), cast.programme_a.pk)
    assert [(y.year, y.assessment_id) for y in years] == [(THIS_YEAR - 1, new.pk)]
    assert years[0].scores.not_in_place == 1
    # A correction of the correction is allowed; it chains on.
    newer = services.assessment_correct(assessment=new, by=cast.admin_a, reason="Igjen")
    assert newer.supersedes == new


def test_a_correction_must_be_for_the_same_programme_and_year(cast):
    old = submitted(cast.programme_a, THIS_YEAR - 1, cast.coordinator_a)
    wrong = SelfAssessment(
        municipality=cast.a, programme=cast.programme_a, year=THIS_YEAR, supersedes=old
    )
    with pytest.raises(ValidationError) as exc:
        wrong.full_clean()
    assert "supersedes" in exc.value.message_dict


def test_a_draft_may_be_discarded_and_a_draft_correction_leaves_the_old_one_standing(cast):
    a = _draft(cast)
    services.assessment_discard(assessment=a, by=cast.coordinator_a, expected_version=1)
    assert not SelfAssessment.objects.exists()
    old = submitted(cast.programme_a, THIS_YEAR - 1, cast.coordinator_a)
    new = services.assessment_correct(assessment=old, by=cast.admin_a, reason="Vent")
    services.assessment_discard(assessment=new, by=cast.admin_a)
    assert list(standing(SelfAssessment.objects.all()).values()) == [old]
    # …and it can be corrected again.
    assert services.assessment_correct(assessment=old, by=cast.admin_a, reason="Nå")


def test_every_write_is_audited(cast):
    a = _draft(cast, answers={"team.roles": (1, "")})
    services.assessment_update(
        assessment=a, by=cast.coordinator_a, note="Notat", answers={"team.roles": (2, "x")}
    )
    services.assessment_update(assessment=a, by=cast.coordinator_a, answers=answers(3))
    a = services.assessment_submit(assessment=a, by=cast.admin_a)
    new = services.assessment_correct(assessment=a, by=cast.admin_a, reason="Grunn")
    services.assessment_discard(assessment=new, by=cast.admin_a)
    entries = list(AuditEntry.objects.filter(object_type="quality.selfassessment").order_by("id"))
    assert [(e.action, e.username) for e in entries] == [
        ("create", "koordinator@a.test"),
        ("update", "koordinator@a.test"),
        ("update", "koordinator@a.test"),
        ("update", "admin@a.test"),
        ("create", "admin@a.test"),
        ("delete", "admin@a.test"),
    ]
    assert all(e.municipality_id == cast.a.pk for e in entries)
    assert entries[1].changes["note"] == ["", "Notat"]
    assert entries[1].changes["answer team.roles"] == [[1, ""], [2, "x"]]
    assert len(entries[2].changes) == 20  # 19 answered now, team.roles changed 2 → 3
    assert entries[3].changes["status"] == ["draft", "submitted"]
    assert entries[4].changes == {"supersedes": a.pk, "reason": "Grunn"}


def test_the_database_refuses_a_second_original_for_the_same_year(cast):
    from django.db import IntegrityError, transaction

    _draft(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        SelfAssessment.objects.create(
            municipality=cast.a, programme=cast.programme_a, year=THIS_YEAR - 1
        )


def test_an_old_year_is_fine_but_not_before_2000(cast):
    assert _draft(cast, year=2010)
    with pytest.raises(ValidationError):
        _draft(cast, year=1999)
