"""Pages for the helper register: list with filters, overview, detail, create/edit, status,
export and import, the public sign-up and the check-in answer page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, ListView

from kobling.core.access import require_manager
from kobling.core.views import ScopedMixin, add_service_errors, get_visible_or_404, service_errors
from kobling.helpers import services
from kobling.helpers.choices import HelperStatus
from kobling.helpers.filtersets import HelperFilterSet
from kobling.helpers.forms import (
    AvailabilityFormSet,
    HelperForm,
    ImportForm,
    StatusForm,
    windows_from_formset,
)
from kobling.helpers.io import EXPORT_FORMATS, helpers_export, helpers_import
from kobling.helpers.models import Helper
from kobling.helpers.selectors import helper_list_queryset, helper_overview, helper_page_queryset
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction


class HelperListView(ScopedMixin, ListView):
    model = Helper
    template_name = "helpers/helper_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        self.filterset = HelperFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return helper_page_queryset(self.filterset.qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            filter=self.filterset,
            querystring_without_page=params.urlencode(),
            page=context["page_obj"],
            export_formats=EXPORT_FORMATS,
        )
        audit_list_read(user=self.request.user, objects=list(context["page_obj"]))
        return context


class HelperDetailView(ScopedMixin, DetailView):
    model = Helper
    template_name = "helpers/helper_detail.html"
    audit_reads = True

    def get_queryset(self):  # noqa: ANN201
        return helper_list_queryset(super().get_queryset()).select_related("user")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        helper = self.object
        context.update(
            can_change=helper.permits(self.request.user, "change"),
            history=helper.status_changes.select_related("by")[:50],
            checkins=helper.checkins.all()[:10],
            qualifications=helper.qualifications.select_related("template")[:20],
            enrolments=helper.enrolments.select_related("run__template")[:20],
        )
        return context


@login_required
def helper_overview_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    filterset = HelperFilterSet(
        request.GET or None, queryset=Helper.objects.visible_to(request.user), request=request
    )
    overview = helper_overview(filterset.qs.order_by())
    status_rows = [
        (value, label, overview.by_status.get(value, 0)) for value, label in HelperStatus.choices
    ]
    return render(
        request,
        "helpers/helper_overview.html",
        {"filter": filterset, "overview": overview, "status_rows": status_rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def helper_create_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    form = HelperForm(request.POST or None, user=request.user)
    formset = AvailabilityFormSet(request.POST or None, prefix="availability")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        programme = form.cleaned_data["programme"]
        try:
            helper = services.helper_create(
                by=request.user,
                municipality=programme.municipality,
                programme=programme,
                data=form.data_kwargs(),
                availability=windows_from_formset(formset),
                **form.relation_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s was registered as an applicant.") % {"name": helper.full_name}
            )
            return redirect("web:helper_detail", pk=helper.pk)
    return render(
        request, "helpers/helper_form.html", {"form": form, "formset": formset, "creating": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def helper_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    helper = get_visible_or_404(
        request, Helper.objects.all(), action="change", pk=pk, audit=request.method == "GET"
    )
    form = HelperForm(
        request.POST or None,
        instance=helper,
        user=request.user,
        initial={"languages": helper.languages},
    )
    formset = AvailabilityFormSet(request.POST or None, instance=helper, prefix="availability")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with service_errors(form) as outcome:
            services.helper_update(
                helper=helper,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
                availability=windows_from_formset(formset),
                **form.relation_kwargs(),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:helper_detail", pk=helper.pk)
    return render(
        request,
        "helpers/helper_form.html",
        {"form": form, "formset": formset, "helper": helper, "creating": False},
    )


@login_required
@require_http_methods(["GET", "POST"])
def helper_status_page(request: HttpRequest, pk: int) -> HttpResponse:
    helper = get_visible_or_404(
        request,
        Helper.objects.select_related("programme"),
        action="change",
        pk=pk,
        audit=request.method == "GET",
    )
    form = StatusForm(request.POST or None, helper=helper)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.helper_change_status(
                helper=helper,
                by=request.user,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                paused_until=form.cleaned_data["paused_until"],
                left_reason=form.cleaned_data["left_reason"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("Status changed."))
            return redirect("web:helper_detail", pk=helper.pk)
    return render(request, "helpers/helper_status.html", {"form": form, "helper": helper})


@login_required
def helper_export_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        fmt = "csv"
    filterset = HelperFilterSet(
        request.GET or None, queryset=Helper.objects.visible_to(request.user), request=request
    )
    queryset = helper_list_queryset(filterset.qs)
    content, content_type, filename = helpers_export(queryset, fmt)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="helpers.helper",
        object_repr=filename,
        changes={"rows": queryset.count(), "filters": dict(request.GET)},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def helper_import_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = helpers_import(
            by=request.user,
            programme=form.cleaned_data["programme"],
            filename=upload.name,
            content=upload.read(),
            dry_run=form.cleaned_data["dry_run"],
        )
        if report.ok and not report.dry_run:
            messages.success(request, _("%(n)s helpers were imported.") % {"n": report.created})
            return redirect("web:helper_list")
    return render(
        request,
        "helpers/helper_import.html",
        {"form": form, "report": report},
        status=400 if report and not report.ok else 200,
    )


def signup_page(request: HttpRequest, municipality_code: str) -> HttpResponse:
    from kobling.helpers.signup import signup_view

    return signup_view(request, municipality_code)


def checkin_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    from kobling.helpers.checkin_views import checkin_answer_view

    return checkin_answer_view(request, token)
