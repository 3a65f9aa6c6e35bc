"""Writes about courses: runs, enrolment (within capacity), attendance per module, assessment,
completion (which gives a qualification) and withdrawal. Views, the API and commands all come
here; the helper's lifecycle moves go through :func:`kobling.helpers.services.helper_change_status`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.courses.choices import AssessmentResult, CourseLevel, EnrolmentStatus, RunStatus
from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    ModuleAttendance,
    Qualification,
)
from kobling.courses.selectors import enrolment_completion_problems, run_places_taken
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.helpers.services import helper_change_status, status_change_problems
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Programme, User

# Fields of a run that can be set on creation and changed later. Course, provider and programme
# are fixed once the run exists: attendance and qualifications hang on them.
RUN_FIELDS: tuple[str, ...] = (
    "starts_on",
    "ends_on",
    "place",
    "capacity",
    "price_for_trainee",
    "cost_to_municipality",
    "leader_name",
    "leader_education",
    "status",
)

CLOSED_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.CANCELLED})


def _check_fields(data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(RUN_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be set here.") for name in sorted(unknown)}
        )


def _snapshot_run(run: CourseRun) -> dict[str, Any]:
    return {field: getattr(run, field) for field in RUN_FIELDS}


def course_run_create(
    *,
    by: User | None,
    template: CourseTemplate,
    provider: CourseProvider,
    programme: Programme,
    data: Mapping[str, Any],
) -> CourseRun:
    """Plan a run of ``template`` by ``provider`` for ``programme`` (whose municipality
    commissions it and bears its cost). Validates every field; nothing is saved on error."""
    _check_fields(data)
    run = CourseRun(
        template=template,
        provider=provider,
        programme=programme,
        municipality_id=programme.municipality_id,
        **data,
    )
    run.full_clean()
    with transaction.atomic():
        run.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=run,
            changes={
                "template": template.pk,
                "provider": provider.pk,
                "programme": programme.pk,
                **_snapshot_run(run),
            },
        )
    return run


def course_run_update(*, run: CourseRun, by: User | None, data: Mapping[str, Any]) -> CourseRun:
    """Change a run's dates, place, capacity, prices, leader or status. Capacity cannot drop
    below the places already taken."""
    _check_fields(data)
    with transaction.atomic():
        locked = CourseRun.objects.select_for_update().get(pk=run.pk)
        before = _snapshot_run(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        errors: dict[str, str] = {}
        try:
            locked.full_clean()
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
        taken = run_places_taken(locked)
        if "capacity" not in errors and locked.capacity < taken:
            errors["capacity"] = _(
                "%(n)s trainees are already enrolled; the capacity cannot be lower."
            ) % {"n": taken}
        if errors:
            raise ValidationError(errors)
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot_run(locked)),
        )
    return locked


def course_run_delete(*, run: CourseRun, by: User | None) -> None:
    """Delete a run nobody is enrolled on. A run with enrolments is cancelled instead, so the
    history of who took part is kept."""
    with transaction.atomic():
        locked = CourseRun.objects.select_for_update().get(pk=run.pk)
        if locked.enrolments.exists():
            raise ValidationError(
                _("Helpers are enrolled on this course run; cancel it instead of deleting it.")
            )
        audit_log(user=by, action=AuditAction.DELETE, obj=locked)
        locked.delete()


def _lock_enrolment(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("run__template", "run__programme", "helper")
        .get(pk=enrolment.pk)
    )


def _move_into_training(helper: Helper, *, by: User | None, run: CourseRun) -> None:
    """Applicants and helpers in screening who start a course are now in training. The lifecycle
    only allows applicant → screening → in training, so an applicant takes both steps, each kept
    in the history with the course as the reason."""
    reason = _("Enrolled on %(course)s") % {"course": run}
    if helper.status == HelperStatus.APPLICANT:
        helper = helper_change_status(
            helper=helper, by=by, to_status=HelperStatus.SCREENING, reason=reason
        )
    if helper.status == HelperStatus.SCREENING:
        helper_change_status(
            helper=helper, by=by, to_status=HelperStatus.IN_TRAINING, reason=reason
        )


def wrong_municipality_message(run: CourseRun) -> str:
    """The refusal for a helper not registered in the run's municipality (also used for an
    unknown helper id, so that the answer never tells whether someone exists elsewhere)."""
    return _("Only helpers registered in %(municipality)s can be enrolled on this course run.") % {
        "municipality": run.municipality
    }


def enrolment_create(*, run: CourseRun, helper: Helper, by: User | None) -> Enrolment:
    """Enrol ``helper`` on ``run``. Refused when the run is full (checked under a row lock on the
    run, so two coordinators cannot take the last place at once), closed, or when the helper is
    from another municipality or has left. A helper who withdrew earlier is enrolled again.
    Only the municipality's coordinators and admins enrol (``by=None`` is the system)."""
    if by is not None and not by.is_manager_of(run.municipality_id):
        raise PermissionDenied(_("Only the municipality's coordinators can enrol helpers."))
    with transaction.atomic():
        locked_run = (
            CourseRun.objects.select_for_update(of=("self",))
            .select_related("template", "municipality")
            .get(pk=run.pk)
        )
        if helper.municipality_id != locked_run.municipality_id:
            raise ValidationError({"helper": wrong_municipality_message(locked_run)})
        if locked_run.status in CLOSED_RUN_STATUSES:
            raise ValidationError(
                _("Enrolment is closed: the course run is %(status)s.")
                % {"status": RunStatus(locked_run.status).label.lower()}
            )
        if helper.status == HelperStatus.LEFT:
            raise ValidationError(
                {"helper": _("The helper has left the programme and cannot be enrolled.")}
            )
        existing = Enrolment.objects.filter(run=locked_run, helper=helper).first()
        if existing is not None and existing.status != EnrolmentStatus.WITHDRAWN:
            raise ValidationError(
                {"helper": _("The helper is already enrolled on this course run.")}
            )
        taken = run_places_taken(locked_run)
        if taken >= locked_run.capacity:
            raise ValidationError(
                _("The course run is full: all %(capacity)s places are taken.")
                % {"capacity": locked_run.capacity}
            )
        if existing is not None:
            enrolment = existing
            enrolment.status = EnrolmentStatus.ENROLLED
            enrolment.assessment_result = AssessmentResult.NONE
            enrolment.completed_on = None
            enrolment.enrolled_at = timezone.now()
            action = AuditAction.UPDATE
        else:
            enrolment = Enrolment(run=locked_run, helper=helper, municipality=helper.municipality)
            action = AuditAction.CREATE
        enrolment.full_clean()
        enrolment.save()
        audit_log(
            user=by,
            action=action,
            obj=enrolment,
            changes={"run": locked_run.pk, "helper": helper.pk, "status": enrolment.status},
        )
        _move_into_training(helper, by=by, run=locked_run)
    return enrolment


def _check_open(enrolment: Enrolment) -> None:
    if enrolment.status == EnrolmentStatus.COMPLETED:
        raise ValidationError(
            _("The course has been completed; attendance and assessment can no longer change.")
        )
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        raise ValidationError(_("The helper has withdrawn from the course."))
    if enrolment.run.status == RunStatus.CANCELLED:
        raise ValidationError(_("The course run is cancelled."))


def _record(
    *, by: User | None, enrolment: Enrolment, marks: Mapping[CourseModule, bool]
) -> dict[str, list[bool | None]]:
    existing = {a.module_id: a for a in ModuleAttendance.objects.filter(enrolment=enrolment)}
    changes: dict[str, list[bool | None]] = {}
    for module, attended in marks.items():
        row = existing.get(module.pk)
        old = row.attended if row else None
        if row is None:
            row = ModuleAttendance(enrolment=enrolment, module=module, attended=attended)
            row.full_clean(validate_unique=False, validate_constraints=False)  # checked above
            row.save()
        elif row.attended != attended:
            row.attended = attended
            row.save(update_fields=["attended", "recorded_at"])
        if old != attended:
            changes[f"module:{module.pk}"] = [old, attended]
    if changes:
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=enrolment,
            changes={"attendance": changes},
        )
    return changes


def _modules_of(run: CourseRun, module_ids: set[int]) -> dict[int, CourseModule]:
    modules = {m.pk: m for m in CourseModule.objects.filter(template_id=run.template_id)}
    unknown = sorted(module_ids - set(modules))
    if unknown:
        raise ValidationError(
            {
                "module": _("Not a module of this course: %(ids)s.")
                % {"ids": ", ".join(map(str, unknown))}
            }
        )
    return modules


def attendance_record(
    *, enrolment: Enrolment, by: User | None, marks: Mapping[int, bool]
) -> Enrolment:
    """Record attendance for one enrolment: ``marks`` maps module id → attended. Modules not
    mentioned keep what they had. All or nothing."""
    with transaction.atomic():
        locked = _lock_enrolment(enrolment)
        _check_open(locked)
        modules = _modules_of(locked.run, set(marks))
        _record(by=by, enrolment=locked, marks={modules[k]: bool(v) for k, v in marks.items()})
    return locked


def module_attendance_record(
    *, run: CourseRun, module: CourseModule, by: User | None, marks: Mapping[int, bool]
) -> list[Enrolment]:
    """Record attendance for one module across the run: ``marks`` maps enrolment id → attended.
    Completed or withdrawn enrolments are refused. All or nothing."""
    if module.template_id != run.template_id:
        raise ValidationError(
            {"module": _("Not a module of this course: %(ids)s.") % {"ids": module.pk}}
        )
    with transaction.atomic():
        enrolments = {
            e.pk: e
            for e in Enrolment.objects.select_for_update(of=("self",))
            .select_related("run", "helper")
            .filter(run=run, pk__in=list(marks))
        }
        unknown = sorted(set(marks) - set(enrolments))
        if unknown:
            raise ValidationError(
                {
                    "enrolment": _("Not enrolled on this course run: %(ids)s.")
                    % {"ids": ", ".join(map(str, unknown))}
                }
            )
        for enrolment in enrolments.values():
            try:
                _check_open(enrolment)
            except ValidationError as exc:
                raise ValidationError(
                    {"enrolment": f"{enrolment.helper.full_name}: {exc.messages[0]}"}
                ) from None
        for pk, attended in marks.items():
            _record(by=by, enrolment=enrolments[pk], marks={module: bool(attended)})
    return list(enrolments.values())


def enrolment_assess(*, enrolment: Enrolment, by: User | None, result: str) -> Enrolment:
    """Record the exam/assessment result (passed or not passed). Not passed marks the enrolment
    as failed; a later pass (a re-sit) opens it again."""
    if result not in {AssessmentResult.PASSED, AssessmentResult.FAILED}:
        raise ValidationError({"result": _("Give the result: passed or not passed.")})
    with transaction.atomic():
        locked = _lock_enrolment(enrolment)
        _check_open(locked)
        before = {"assessment_result": locked.assessment_result, "status": locked.status}
        locked.assessment_result = result
        locked.status = (
            EnrolmentStatus.FAILED
            if result == AssessmentResult.FAILED
            else EnrolmentStatus.ENROLLED
        )
        locked.full_clean()
        locked.save(update_fields=["assessment_result", "status"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(
                before, {"assessment_result": locked.assessment_result, "status": locked.status}
            ),
        )
    return locked


def enrolment_complete(
    *, enrolment: Enrolment, by: User | None, completed_on: dt.date | None = None
) -> Enrolment:
    """Complete the course: every module attended and the assessment passed, otherwise a
    ValidationError lists what is missing. A qualifying course gives the helper a qualification
    for the run's programme, and a helper in screening or in training becomes qualified. A
    course that does not qualify (e.g. a follow-up course) is recorded as completed only."""
    today = timezone.localdate()
    completed_on = completed_on or today
    with transaction.atomic():
        locked = _lock_enrolment(enrolment)
        run = locked.run
        prefetch_related_objects([locked], "attendance", "run__template__modules")
        problems = enrolment_completion_problems(locked)
        if run.status == RunStatus.CANCELLED:
            problems["run"] = _("The course run is cancelled.")
        if completed_on > today:
            problems["completed_on"] = _("The completion date cannot be in the future.")
        elif completed_on < run.starts_on:
            problems["completed_on"] = _("The completion date is before the course started.")
        if problems:
            raise ValidationError(problems)
        locked.status = EnrolmentStatus.COMPLETED
        locked.completed_on = completed_on
        locked.full_clean()
        locked.save(update_fields=["status", "completed_on"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED]},
        )
        if run.template.qualifies:
            qualification = Qualification(
                helper=locked.helper,
                municipality_id=locked.municipality_id,
                programme=run.programme,
                enrolment=locked,
                template=run.template,
                qualified_on=completed_on,
            )
            qualification.full_clean()
            qualification.save()
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=qualification,
                changes={
                    "helper": locked.helper_id,
                    "programme": run.programme_id,
                    "template": run.template_id,
                    "enrolment": locked.pk,
                },
            )
            _move_to_qualified(locked.helper, by=by, run=run, today=today)
    return locked


def _move_to_qualified(helper: Helper, *, by: User | None, run: CourseRun, today: dt.date) -> None:
    if helper.status not in {HelperStatus.SCREENING, HelperStatus.IN_TRAINING}:
        return
    # The lifecycle rules decide (e.g. a qualification for another programme than the helper's
    # does not count); if they say no, the helper keeps the qualification and their status.
    if status_change_problems(
        helper, HelperStatus.QUALIFIED, paused_until=None, left_reason="", today=today
    ):
        return
    helper_change_status(
        helper=helper,
        by=by,
        to_status=HelperStatus.QUALIFIED,
        reason=_("Completed %(course)s") % {"course": run},
        today=today,
    )


def enrolment_withdraw(*, enrolment: Enrolment, by: User | None, reason: str = "") -> Enrolment:
    """Take a helper off a run; the place is freed. A completed course cannot be withdrawn from."""
    with transaction.atomic():
        locked = _lock_enrolment(enrolment)
        if locked.status == EnrolmentStatus.COMPLETED:
            raise ValidationError(_("The course has been completed and cannot be withdrawn from."))
        if locked.status == EnrolmentStatus.WITHDRAWN:
            raise ValidationError(_("The helper has already withdrawn."))
        before = locked.status
        locked.status = EnrolmentStatus.WITHDRAWN
        locked.full_clean()
        locked.save(update_fields=["status"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "reason": reason[:200]},
        )
    return locked


# --- training before Kobling (the contact import) -------------------------------------------

# The course template that stands for training taken before the municipality used Kobling.
PRIOR_TRAINING_CODE = "tidligere-opplaering"
PRIOR_TRAINING_NAME = "Tidligere opplæring (importert)"


def prior_training_record(helper: Any, programme: Any, qualified_on: dt.date) -> Qualification:
    """A contact imported with a date of earlier training gets a qualification from the shared
    "prior training" template of the programme's kind (registered with the contact import in
    CoursesConfig.ready)."""
    # (provider, code) is unique, but NULL providers are never equal in SQL: look up first.
    template = (
        CourseTemplate.objects.filter(
            provider__isnull=True, code=PRIOR_TRAINING_CODE, programme_kind=programme.kind
        )
        .order_by("pk")
        .first()
    )
    if template is None:
        template = CourseTemplate.objects.create(
            provider=None,
            code=PRIOR_TRAINING_CODE,
            name=PRIOR_TRAINING_NAME,
            level=CourseLevel.BASIC,
            programme_kind=programme.kind,
            qualifies=True,
            description="Opplæring tatt før kontakten ble registrert i Kobling (fra import).",
        )
    return Qualification.objects.create(
        helper=helper,
        municipality=programme.municipality,
        programme=programme,
        template=template,
        qualified_on=qualified_on,
        enrolment=None,
    )
