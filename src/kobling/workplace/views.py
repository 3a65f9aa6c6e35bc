"""Pages for workplace coaching: the list of assignments (the IA adviser: the municipality's;
the coach: their own; the leader: their workplace's), a new workplace and a new request, the
assignment's page with its steps and the progress chart, the coach's meeting log (phone first)
and the minutes as PDF. The leader sees everything but the meeting notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.tenancy.audit import audit_list_read
from kobling.workplace import minutes, services
from kobling.workplace.charts import scale_progress
from kobling.workplace.choices import AssignmentStatus
from kobling.workplace.forms import (
    DecisionForm,
    EvaluationForm,
    LinkForm,
    MeetingForm,
    OrderForm,
    RequestForm,
    WorkplaceForm,
)
from kobling.workplace.models import Assignment, Workplace
from kobling.workplace.selectors import assignments_for, meetings_of, scale_points


@login_required
@require_GET
def assignment_list(request: HttpRequest) -> HttpResponse:
    if Assignment.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    queryset = assignments_for(request.user)
    coach = request.GET.get("coach", "")
    if coach.isdigit():  # from a coach's page: their assignments (of those this user sees)
        queryset = queryset.filter(coach_id=int(coach))
    rows = list(queryset)
    audit_list_read(user=request.user, objects=rows)
    return render(
        request,
        "workplace/assignment_list.html",
        {
            "assignments": rows,
            "is_staff": Assignment.visibility_q(request.user, "change") is not None,
            "workplaces": list(Workplace.objects.visible_to(request.user).select_related("leader")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def workplace_create(request: HttpRequest) -> HttpResponse:
    if Workplace.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = WorkplaceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.workplace_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The workplace was added."))
            return redirect("web:workplace_assignment_list")
    return render(request, "workplace/form.html", {"form": form, "title": _("New workplace")})


@login_required
@require_http_methods(["GET", "POST"])
def assignment_create(request: HttpRequest) -> HttpResponse:
    """The leader's request, by the leader or by the IA adviser who took it."""
    if (
        Assignment.visibility_q(request.user, "change") is None
        and not request.user.led_workplaces.exists()
    ):
        raise PermissionDenied
    form = RequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_request(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The request was registered."))
            return redirect("web:workplace_assignment_detail", pk=assignment.pk)
    return render(request, "workplace/form.html", {"form": form, "title": _("Ask for a coach")})


def _step_forms(request: HttpRequest, assignment: Assignment) -> dict[str, Any]:
    """The forms of the steps this user may take now (unbound)."""
    user, status = request.user, assignment.status
    forms: dict[str, Any] = {}
    initial = {"version": assignment.version}
    if assignment.permits(user, "change") and status in (
        AssignmentStatus.REQUESTED,
        AssignmentStatus.LINKED,
    ):
        forms["link"] = LinkForm(
            initial={
                **initial,
                "coach": assignment.coach_id,
                "co_coach": assignment.co_coach,
                "pre_meeting_on": assignment.pre_meeting_on,
            },
            assignment=assignment,
        )
    if assignment.permits(user, "log") and status in (
        AssignmentStatus.LINKED,
        AssignmentStatus.ORDERED,
        AssignmentStatus.IN_PROGRESS,
    ):
        forms["order"] = OrderForm(
            initial={
                **initial,
                "goals": assignment.goals,
                "success": assignment.success,
                "target_low": assignment.target_low,
                "target_high": assignment.target_high,
                "planned_meetings": assignment.planned_meetings,
            }
        )
    if assignment.permits(user, "log") and status == AssignmentStatus.IN_PROGRESS:
        forms["decide"] = DecisionForm(initial=initial)
    if (
        assignment.permits(user, "evaluate")
        and status == AssignmentStatus.CLOSED
        and assignment.evaluated_on is None
    ):
        forms["evaluate"] = EvaluationForm()
    return forms


def _take_step(request: HttpRequest, assignment: Assignment, forms: dict[str, Any]) -> Any:
    """Run the posted step; returns a redirect, or the bound form with its errors."""
    step = request.POST.get("step", "")
    if step not in forms:
        raise PermissionDenied
    kinds = {"link": LinkForm, "order": OrderForm, "decide": DecisionForm}
    if step == "evaluate":
        form: Any = EvaluationForm(request.POST)
    elif step == "link":
        form = LinkForm(request.POST, assignment=assignment)
    else:
        form = kinds[step](request.POST)
    forms[step] = form
    if not form.is_valid():
        return None
    data = dict(form.cleaned_data)
    version = data.pop("version", None)
    with service_errors(form) as outcome:
        if step == "link":
            services.assignment_link(
                by=request.user, assignment=assignment, expected_version=version, **data
            )
        elif step == "order":
            services.assignment_order(
                by=request.user, assignment=assignment, expected_version=version, **data
            )
        elif step == "decide":
            services.assignment_decide(
                by=request.user, assignment=assignment, expected_version=version, **data
            )
        else:
            services.assignment_evaluate(by=request.user, assignment=assignment, **data)
    if not outcome.ok:
        return None
    messages.success(request, _("Saved."))
    return redirect("web:workplace_assignment_detail", pk=assignment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_visible_or_404(
        request,
        Assignment.objects.select_related("workplace__leader", "coach", "adviser"),
        audit=True,
        pk=pk,
    )
    forms = _step_forms(request, assignment)
    if request.method == "POST":
        done = _take_step(request, assignment, forms)
        if done is not None:
            return done
    meetings = meetings_of(assignment)
    return render(
        request,
        "workplace/assignment_detail.html",
        {
            "assignment": assignment,
            "meetings": meetings,
            "show_notes": assignment.may_read_notes(request.user),
            "chart": scale_progress(
                _("The scale at each meeting against the target"),
                scale_points(meetings),
                assignment.target_low,
                assignment.target_high,
            )
            if meetings
            else None,
            "forms": forms,
            "can_log": assignment.permits(request.user, "log")
            and assignment.status in (AssignmentStatus.ORDERED, AssignmentStatus.IN_PROGRESS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The coach's meeting log, one short form on a phone."""
    assignment = get_visible_or_404(
        request, Assignment.objects.select_related("workplace", "coach"), action="log", pk=pk
    )
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.meeting_log(by=request.user, assignment=assignment, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The meeting was logged."))
            return redirect("web:workplace_assignment_detail", pk=assignment.pk)
    elif request.method == "GET" and assignment.status not in (
        AssignmentStatus.ORDERED,
        AssignmentStatus.IN_PROGRESS,
    ):
        messages.warning(request, _("Meetings are logged once the order is made, until closing."))
    return render(
        request,
        "workplace/meeting_form.html",
        {"form": form, "assignment": assignment, "count": assignment.meetings.count()},
    )


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes: the order and each meeting's date, participants, scale and homework — never
    the confidential notes, so the leader can have them too."""
    assignment = get_visible_or_404(
        request, Assignment.objects.select_related("workplace", "coach"), pk=pk
    )
    pdf = minutes.minutes_pdf(assignment, user=request.user, lang=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="referat-{assignment.pk}.pdf"'
    return response
