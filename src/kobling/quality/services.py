"""Writing self-assessments: create a draft, change it, submit it, correct a submitted one,
discard a draft. Only the managers (municipal admin, coordinator) of the programme's
municipality write; every write is audited. A submitted assessment is never changed (the models
refuse too); a correction is a new draft that supersedes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.access import require_manager
from kobling.lib.errors import ConflictError
from kobling.quality.checklist import CHECKLIST, MAX_SCORE
from kobling.quality.models import (
    AssessmentAnswer,
    AssessmentStatus,
    SelfAssessment,
    submitted_message,
)
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme, User

_UNSET: Any = object()

# item code → (score or None for "not answered", comment)
Answers = Mapping[str, tuple[Any, str]]


def _require_manager(by: User | None, municipality_id: int) -> None:
    # ``by`` None: the system itself (the demo loader, tasks).
    if by is not None:
        require_manager(
            by, municipality_id, _("Only coordinators and municipal administrators do this.")
        )


def _year(value: Any, errors: dict[str, str]) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        errors["year"] = _("Give a year.")
        return None
    if year > timezone.localdate().year:
        errors["year"] = _("The year cannot be in the future.")
    elif year < 2000:
        errors["year"] = _("Give a year from 2000 on.")
    return year


def _clean_answers(checklist: Any, answers: Answers, errors: dict[str, str]) -> dict[str, Any]:
    """item code → (score | None, comment), checked against ``checklist``."""
    clean: dict[str, Any] = {}
    known = set(checklist.item_codes)
    for code, (raw, comment) in answers.items():
        if code not in known:
            errors[code] = _("Unknown checklist item.")
            continue
        if raw in (None, ""):
            clean[code] = (None, (comment or "").strip())
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if isinstance(raw, bool) or not 0 <= value <= MAX_SCORE or str(raw).strip() != str(value):
            errors[code] = _("The score is from 0 to 3.")
            continue
        clean[code] = (value, (comment or "").strip())
    return clean


def _snapshot(assessment: SelfAssessment) -> dict[str, Any]:
    answers = {a.item_code: [a.score, a.comment] for a in assessment.answers.order_by("item_code")}
    return {"note": assessment.note, "answers": answers}


def _write_answers(assessment: SelfAssessment, answers: dict[str, Any]) -> None:
    existing = {a.item_code: a for a in assessment.answers.all()}
    for code, (value, comment) in answers.items():
        row = existing.get(code)
        if value is None:
            if row is not None:
                row.delete()
            continue
        if row is None:
            AssessmentAnswer.objects.create(
                assessment=assessment,
                municipality_id=assessment.municipality_id,
                item_code=code,
                score=value,
                comment=comment,
            )
        elif (row.score, row.comment) != (value, comment):
            row.score, row.comment = value, comment
            row.save(update_fields=["score", "comment"])


def assessment_create(
    *,
    programme: Programme,
    year: Any,
    by: User,
    municipality: Municipality | None = None,
    note: str = "",
    answers: Answers | None = None,
) -> SelfAssessment:
    """A new draft self-assessment of ``programme`` for ``year`` on the current checklist. One
    per programme and year (a submitted one is corrected, not created again)."""
    _require_manager(by, programme.municipality_id)
    errors: dict[str, str] = {}
    if municipality is not None and programme.municipality_id != municipality.pk:
        errors["programme"] = _("The programme belongs to another municipality.")
    year_value = _year(year, errors)
    clean = _clean_answers(CHECKLIST, answers or {}, errors)
    if year_value is not None and "year" not in errors:
        taken = SelfAssessment.objects.filter(
            programme=programme, year=year_value, supersedes__isnull=True
        ).exists()
        if taken:
            errors["year"] = _(
                "This programme already has a self-assessment for that year. Open it, or "
                "correct it if it has been submitted."
            )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            assessment = SelfAssessment(
                municipality_id=programme.municipality_id,
                programme=programme,
                year=year_value,
                checklist_version=CHECKLIST.version,
                note=(note or "").strip(),
                created_by=by,
            )
            assessment.full_clean(validate_constraints=False)
            assessment.save()
            _write_answers(assessment, clean)
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=assessment,
                changes={
                    "year": year_value,
                    "programme": programme.pk,
                    "note": assessment.note,
                    "answers": [[c, *v] for c, v in _snapshot(assessment)["answers"].items()],
                },
            )
    except IntegrityError:
        # Someone created the same programme and year at the same moment.
        raise ValidationError(
            {
                "year": _(
                    "This programme already has a self-assessment for that year. Open it, or "
                    "correct it if it has been submitted."
                )
            }
        ) from None
    return assessment


def _lock_draft(assessment: SelfAssessment, expected_version: int | None) -> SelfAssessment:
    locked = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.is_submitted:
        raise ValidationError(submitted_message())
    if expected_version is not None and locked.version != int(expected_version):
        raise ConflictError(
            _("Someone else changed this self-assessment in the meantime. Reload and try again.")
        )
    return locked


def assessment_update(
    *,
    assessment: SelfAssessment,
    by: User,
    expected_version: int | None = None,
    note: Any = _UNSET,
    answers: Answers | None = None,
) -> SelfAssessment:
    """Change a draft: its note and any of its answers (a score of None clears an answer).
    ``expected_version`` is the version the user started from: if someone saved in between,
    :class:`ConflictError` and nothing is saved. Audited with the diff."""
    _require_manager(by, assessment.municipality_id)
    with transaction.atomic():
        locked = _lock_draft(assessment, expected_version)
        errors: dict[str, str] = {}
        clean = _clean_answers(locked.checklist, answers or {}, errors)
        if errors:
            raise ValidationError(errors)
        before = _snapshot(locked)
        if note is not _UNSET:
            locked.note = (note or "").strip()
        _write_answers(locked, clean)
        locked.version += 1
        locked.save(update_fields=["note", "version"])
        after = _snapshot(locked)
        changes = diff({"note": before["note"]}, {"note": after["note"]})
        # One key per changed item ("answer team.roles": [[score, comment], [score, comment]];
        # null where unanswered), since the audit log keeps flat values.
        for code in sorted(set(before["answers"]) | set(after["answers"])):
            if before["answers"].get(code) != after["answers"].get(code):
                changes[f"answer {code}"] = [
                    before["answers"].get(code),
                    after["answers"].get(code),
                ]
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def assessment_submit(
    *,
    assessment: SelfAssessment,
    by: User,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> SelfAssessment:
    """Submit a draft: every item must be answered. From then on it cannot change; when it is a
    correction, it replaces the one it supersedes as the year's standing assessment. ``now`` is
    the time of submission (the demo's history gives past times)."""
    _require_manager(by, assessment.municipality_id)
    with transaction.atomic():
        locked = _lock_draft(assessment, expected_version)
        answered = set(locked.answers.values_list("item_code", flat=True))
        missing = [i for i in locked.checklist.items if i.code not in answered]
        if missing:
            numbers = ", ".join(i.number for i in missing)
            raise ValidationError(
                {
                    "answers": _("Answer every item before you submit. Not answered: %(items)s.")
                    % {"items": numbers}
                }
            )
        locked.status = AssessmentStatus.SUBMITTED
        locked.submitted_by = by
        locked.submitted_at = now or timezone.now()
        locked.version += 1
        locked.save(update_fields=["status", "submitted_by", "submitted_at", "version"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED]},
        )
    return locked


def assessment_correct(*, assessment: SelfAssessment, by: User, reason: str) -> SelfAssessment:
    """Start a correction of a submitted assessment: a new draft for the same programme and year
    with the same answers and note, superseding it, with the reason. Only the latest assessment
    of the year can be corrected, and only one correction at a time."""
    _require_manager(by, assessment.municipality_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the assessment is corrected.")})
    try:
        with transaction.atomic():
            old = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
            if not old.is_submitted:
                raise ValidationError(
                    {
                        "supersedes": _(
                            "Only a submitted self-assessment is corrected; change the draft."
                        )
                    }
                )
            if SelfAssessment.objects.filter(supersedes=old).exists():
                raise ValidationError(
                    {"supersedes": _("This self-assessment already has a correction.")}
                )
            new = SelfAssessment(
                municipality_id=old.municipality_id,
                programme_id=old.programme_id,
                year=old.year,
                checklist_version=old.checklist_version,
                note=old.note,
                supersedes=old,
                correction_reason=reason,
                created_by=by,
            )
            new.save()
            AssessmentAnswer.objects.bulk_create(
                [
                    AssessmentAnswer(
                        assessment=new,
                        municipality_id=new.municipality_id,
                        item_code=a.item_code,
                        score=a.score,
                        comment=a.comment,
                    )
                    for a in old.answers.all()
                ]
            )
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=new,
                changes={"supersedes": old.pk, "reason": reason},
            )
    except IntegrityError:
        raise ValidationError(
            {"supersedes": _("This self-assessment already has a correction.")}
        ) from None
    return new


def assessment_discard(
    *, assessment: SelfAssessment, by: User, expected_version: int | None = None
) -> None:
    """Delete a draft (a submitted assessment is never deleted)."""
    _require_manager(by, assessment.municipality_id)
    with transaction.atomic():
        locked = _lock_draft(assessment, expected_version)
        audit_log(
            user=by,
            action=AuditAction.DELETE,
            obj=locked,
            changes={"year": locked.year, "supersedes": locked.supersedes_id},
        )
        locked.delete()
