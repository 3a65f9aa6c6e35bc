"""Course pages: the list of runs, a run with its enrolments and attendance grid, planning and
editing a run, enrolling, assessing and completing, the course templates, and the course
provider's own trainees."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import ListView

from kobling.core.access import is_manager, managed_municipality_ids
from kobling.core.views import ScopedMixin, add_service_errors, error_text, get_visible_or_404
from kobling.courses import selectors, services
from kobling.courses.filtersets import CourseRunFilterSet, ProviderTraineeFilterSet
from kobling.courses.forms import AssessForm, AttendanceForm, CourseRunForm, EnrolForm
from kobling.courses.models import CourseModule, CourseRun, CourseTemplate, Enrolment
from kobling.tenancy.audit import audit_list_read


def _require_scope(request: HttpRequest, model: type) -> None:
    """A role that can never see this kind of record gets 403, as on the list pages and the API."""
    if model.visibility_q(request.user, "view") is None:
        raise PermissionDenied


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class CourseRunListView(ScopedMixin, ListView):
    """Course runs the user may see (their municipality's, or their provider's), with filters."""

    model = CourseRun
    template_name = "courses/course_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        self.filterset = CourseRunFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return selectors.course_run_list_queryset(self.filterset.qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            filter=self.filterset,
            page=context["page_obj"],
            querystring_without_page=_querystring_without_page(self.request),
            can_create=bool(managed_municipality_ids(self.request.user)),
        )
        return context


course_list = CourseRunListView.as_view()


class CourseTemplateListView(ScopedMixin, ListView):
    """The course designs: shared templates and providers' own, with modules and hours."""

    model = CourseTemplate
    template_name = "courses/template_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        return selectors.course_template_list_queryset(
            super().get_queryset().filter(is_active=True)
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(page=context["page_obj"], querystring_without_page="")
        return context


course_template_list = CourseTemplateListView.as_view()


def _run_rows(run: CourseRun, user: Any) -> list[dict[str, Any]]:
    enrolments = selectors.enrolment_list_queryset(
        Enrolment.objects.visible_to(user).filter(run=run)
    )
    rows = []
    for enrolment in enrolments:
        cells = selectors.enrolment_attendance(enrolment)
        rows.append(
            {
                "enrolment": enrolment,
                "cells": cells,
                "attended_hours": selectors.attended_hours(cells),
                "problems": selectors.enrolment_completion_problems(enrolment),
            }
        )
    return rows


@login_required
def course_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_scope(request, CourseRun)
    run = get_visible_or_404(
        request, selectors.course_run_list_queryset(CourseRun.objects.all()), pk=pk
    )
    rows = _run_rows(run, request.user)
    audit_list_read(user=request.user, objects=[row["enrolment"] for row in rows])
    return render(
        request,
        "courses/run_detail.html",
        {
            "run": run,
            "modules": list(run.template.modules.all()),
            "rows": rows,
            "can_change": run.permits(request.user, "change"),
            # Enrolling picks from the municipality's helper register, which only its own
            # coordinators and admins see, so only they enrol.
            "can_enrol": is_manager(request.user, run.municipality_id),
            "places_left": max(run.capacity - run.enrolled_count, 0),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_run_create(request: HttpRequest) -> HttpResponse:
    if not managed_municipality_ids(request.user):
        raise PermissionDenied
    form = CourseRunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.course_run_create(
                by=request.user,
                template=form.cleaned_data["template"],
                provider=form.cleaned_data["provider"],
                programme=form.cleaned_data["programme"],
                data=form.run_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The course run was created."))
            return redirect("web:course_run_detail", pk=run.pk)
    return render(request, "courses/run_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def course_run_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_scope(request, CourseRun)
    run = get_visible_or_404(
        request, CourseRun.objects.select_related("template"), action="change", pk=pk
    )
    form = CourseRunForm(request.POST or None, instance=run, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_run_update(run=run, by=request.user, data=form.run_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:course_run_detail", pk=run.pk)
    return render(request, "courses/run_form.html", {"form": form, "run": run, "creating": False})


@login_required
@require_http_methods(["GET", "POST"])
def course_run_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    _require_scope(request, CourseRun)
    run = get_visible_or_404(
        request,
        CourseRun.objects.select_related("template", "municipality"),
        action="change",
        pk=pk,
    )
    form = EnrolForm(request.POST or None, user=request.user, run=run)
    if request.method == "POST" and form.is_valid():
        helper = form.cleaned_data["helper"]
        try:
            services.enrolment_create(run=run, helper=helper, by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s was enrolled on the course.") % {"name": helper.full_name}
            )
            return redirect("web:course_run_detail", pk=run.pk)
    return render(
        request,
        "courses/enrol_form.html",
        {"form": form, "run": run},
        status=400 if form.errors else 200,
    )


def _enrolment_for_change(request: HttpRequest, pk: int) -> Enrolment:
    if Enrolment.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    return get_visible_or_404(
        request,
        Enrolment.objects.select_related("run", "helper"),
        action="change",
        pk=pk,
    )


@login_required
@require_POST
def enrolment_attendance(request: HttpRequest, pk: int, module_pk: int) -> HttpResponse:
    """Mark one module attended or not for one enrolment. With htmx the grid cell is swapped in
    place; without JavaScript the form posts and the page reloads."""
    enrolment = _enrolment_for_change(request, pk)
    module = get_object_or_404(CourseModule, pk=module_pk, template=enrolment.run.template_id)
    form = AttendanceForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose attended or not attended.")
    else:
        try:
            enrolment = services.attendance_record(
                enrolment=enrolment,
                by=request.user,
                marks={module.pk: form.cleaned_data["attended"]},
            )
        except ValidationError as exc:
            error = error_text(exc)
    if request.headers.get("HX-Request"):
        attended = enrolment.attendance.filter(module=module, attended=True).exists()
        return render(
            request,
            "courses/_attendance_cell.html",
            {
                "enrolment": enrolment,
                "module": module,
                "attended": attended,
                "editable": enrolment.is_open,
                "error": error,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("web:course_run_detail", pk=enrolment.run_id)


@login_required
@require_POST
def module_attendance_all(request: HttpRequest, pk: int, module_pk: int) -> HttpResponse:
    """Mark every open enrolment on the run as present for one module."""
    _require_scope(request, CourseRun)
    run = get_visible_or_404(request, CourseRun.objects.all(), action="change", pk=pk)
    module = get_object_or_404(CourseModule, pk=module_pk, template=run.template_id)
    open_ids = Enrolment.objects.filter(run=run, status__in=["enrolled", "failed"]).values_list(
        "pk", flat=True
    )
    try:
        services.module_attendance_record(
            run=run, module=module, by=request.user, marks=dict.fromkeys(open_ids, True)
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("Everyone was marked present for %(module)s.") % {"module": module.title}
        )
    return redirect("web:course_run_detail", pk=run.pk)


@login_required
@require_POST
def enrolment_assess(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_for_change(request, pk)
    form = AssessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the result: passed or not passed."))
    else:
        try:
            services.enrolment_assess(
                enrolment=enrolment, by=request.user, result=form.cleaned_data["result"]
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("The assessment for %(name)s was saved.") % {"name": enrolment.helper.full_name},
            )
    return redirect("web:course_run_detail", pk=enrolment.run_id)


@login_required
@require_POST
def enrolment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_for_change(request, pk)
    name = enrolment.helper.full_name
    try:
        services.enrolment_complete(enrolment=enrolment, by=request.user)
    except ValidationError as exc:
        messages.error(
            request,
            _("%(name)s cannot complete the course yet. %(missing)s")
            % {"name": name, "missing": error_text(exc)},
        )
    else:
        if enrolment.run.template.qualifies:
            text = _("%(name)s completed the course and is qualified.") % {"name": name}
        else:
            text = _("%(name)s completed the course.") % {"name": name}
        messages.success(request, text)
    return redirect("web:course_run_detail", pk=enrolment.run_id)


@login_required
@require_POST
def enrolment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_for_change(request, pk)
    try:
        services.enrolment_withdraw(enrolment=enrolment, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("%(name)s was withdrawn from the course.") % {"name": enrolment.helper.full_name},
        )
    return redirect("web:course_run_detail", pk=enrolment.run_id)


@login_required
def provider_trainees(request: HttpRequest) -> HttpResponse:
    """For course-provider staff: the helpers they trained, the course and its result, and
    whether each is now in service. Names only."""
    if not request.user.provider_ids:
        raise PermissionDenied
    filterset = ProviderTraineeFilterSet(
        request.GET or None, queryset=selectors.provider_trainees(request.user), request=request
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    audit_list_read(user=request.user, objects=list(page))
    return render(
        request,
        "courses/provider_trainees.html",
        {
            "page": page,
            "filter": filterset,
            "querystring_without_page": _querystring_without_page(request),
        },
    )
