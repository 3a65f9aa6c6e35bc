"""Reads about courses and qualifications: lists that keep a fixed number of queries, what an
enrolment still lacks before completion, and the provider's feedback view."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from kobling.courses.choices import EnrolmentStatus
from kobling.courses.models import (
    CourseModule,
    CourseRun,
    CourseTemplate,
    Enrolment,
    Qualification,
)
from kobling.helpers.choices import PLACE_TAKING_PAIRING_STATUSES
from kobling.helpers.models import Helper

if TYPE_CHECKING:
    from kobling.tenancy.models import User

_MODULES = Prefetch("modules", queryset=CourseModule.objects.order_by("position", "id"))


def course_template_list_queryset(queryset: QuerySet[CourseTemplate]) -> QuerySet[CourseTemplate]:
    return queryset.select_related("provider").prefetch_related(_MODULES)


def course_run_list_queryset(queryset: QuerySet[CourseRun]) -> QuerySet[CourseRun]:
    """Runs with their course, provider, municipality, programme, modules and the number of
    places taken (``enrolled_count``, withdrawn enrolments excluded)."""
    # Meta.ordering is not applied to aggregate (GROUP BY) queries, so order explicitly.
    return (
        queryset.select_related("template", "provider", "municipality", "programme")
        .prefetch_related(Prefetch("template__modules", queryset=_MODULES.queryset))
        .annotate(
            enrolled_count=Count(
                "enrolments", filter=~Q(enrolments__status=EnrolmentStatus.WITHDRAWN)
            )
        )
        .order_by(*CourseRun._meta.ordering)
    )


def enrolment_list_queryset(queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Enrolments with the helper's name, the run and its modules, attendance and any
    qualification it gave."""
    return queryset.select_related(
        "helper", "municipality", "run__template", "run__provider", "qualification"
    ).prefetch_related("attendance", Prefetch("run__template__modules", queryset=_MODULES.queryset))


def qualification_list_queryset(queryset: QuerySet[Qualification]) -> QuerySet[Qualification]:
    return queryset.select_related("helper", "programme", "template")


def run_places_taken(run: CourseRun) -> int:
    return run.enrolments.exclude(status=EnrolmentStatus.WITHDRAWN).count()


@dataclass(frozen=True)
class AttendanceCell:
    module: CourseModule
    attended: bool


def enrolment_attendance(enrolment: Enrolment) -> list[AttendanceCell]:
    """One cell per module of the run's course, in order; modules with no mark count as not
    attended. Uses prefetched data when the enrolment came from :func:`enrolment_list_queryset`."""
    attended = {a.module_id for a in enrolment.attendance.all() if a.attended}
    return [
        AttendanceCell(module=m, attended=m.pk in attended)
        for m in enrolment.run.template.modules.all()
    ]


def attended_hours(cells: list[AttendanceCell]) -> Decimal:
    return sum((c.module.hours for c in cells if c.attended), Decimal("0"))


def enrolment_completion_problems(enrolment: Enrolment) -> dict[str, str]:
    """What stands between ``enrolment`` and completion (field → message); empty when it can be
    completed. The same rule the service enforces, so pages can show it before anyone clicks."""
    from django.utils.translation import gettext as _

    problems: dict[str, str] = {}
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return {"status": _("The course has already been completed.")}
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        return {"status": _("The helper has withdrawn from the course.")}
    missing = [c.module.title for c in enrolment_attendance(enrolment) if not c.attended]
    if missing:
        problems["attendance"] = _("Not attended: %(modules)s.") % {"modules": ", ".join(missing)}
    if not enrolment.assessment_result:
        problems["assessment_result"] = _("The assessment has not been recorded.")
    elif enrolment.assessment_result != "passed":
        problems["assessment_result"] = _("The assessment was not passed.")
    return problems


def provider_trainees(user: User) -> QuerySet[Enrolment]:
    """Every enrolment on a run of the user's course providers: the helpers the provider trained.
    Only for provider staff; anyone else gets nothing."""
    provider_ids = sorted(user.provider_ids) if user.is_authenticated else []
    if not provider_ids:
        return Enrolment.objects.none()
    # Whether the helper has a participant now (an open pairing) — a yes/no, nothing about whom.
    # Through followup's reverse relation on the helper: courses is below followup.
    assigned = Exists(
        Helper.objects.filter(
            pk=OuterRef("helper"), pairings__status__in=PLACE_TAKING_PAIRING_STATUSES
        )
    )
    return (
        Enrolment.objects.visible_to(user)
        .filter(run__provider__in=provider_ids)
        .annotate(helper_is_assigned=assigned)
        .select_related("helper", "municipality", "run__template", "qualification")
        .order_by("helper__last_name", "helper__first_name", "-run__starts_on", "id")
    )
