"""The pilot's pages: the list of pilots and the health account as a page, a CSV file and a PDF.
Aggregates only (:func:`kobling.pilots.selectors.pilot_report`); every download is audited."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.dashboards.views import REPORT_CSS
from kobling.lib.spreadsheet import neutralise
from kobling.pilots import services
from kobling.pilots.forms import PilotForm
from kobling.pilots.models import Pilot
from kobling.pilots.selectors import Report, pilot_report
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

# The long format a health economist reads into R or Stata: one row per group and figure.
CSV_COLUMNS = (
    "pilot",
    "group",
    "municipality_code",
    "figure",
    "label",
    "unit",
    "n",
    "value",
    "ci95_low",
    "ci95_high",
)


def _pilot(request: HttpRequest, pk: int) -> Pilot:
    return get_visible_or_404(request, Pilot.objects.all(), pk=pk)


@login_required
@require_GET
def pilot_list(request: HttpRequest) -> HttpResponse:
    if Pilot.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    pilots = (
        Pilot.objects.visible_to(request.user)
        .prefetch_related("municipalities")
        .order_by("-period_start", "name", "pk")
    )
    return render(
        request,
        "pilots/pilot_list.html",
        {"pilots": pilots, "can_create": Pilot.visibility_q(request.user, "change") is not None},
    )


def _form_page(request: HttpRequest, form: PilotForm, title: str, cancel: str) -> HttpResponse:
    return render(
        request, "pilots/pilot_form.html", {"form": form, "title": title, "cancel": cancel}
    )


@login_required
@require_http_methods(["GET", "POST"])
def pilot_create(request: HttpRequest) -> HttpResponse:
    """Set up a pilot: its municipalities, programmes, period and owners (the national
    analyst)."""
    if Pilot.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = PilotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pilot = services.pilot_create(by=request.user, **form.kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The pilot was set up."))
            return redirect("web:pilot_detail", pk=pilot.pk)
    return _form_page(request, form, _("New pilot"), reverse("web:pilot_list"))


@login_required
@require_http_methods(["GET", "POST"])
def pilot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a pilot, with the version read (a concurrent change is refused, not overwritten)."""
    pilot = get_visible_or_404(request, Pilot.objects.all(), action="change", pk=pk)
    form = PilotForm(request.POST or None, pilot=pilot)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.pilot_update(
                by=request.user,
                pilot=pilot,
                expected_version=form.cleaned_data["version"],
                **form.kwargs(),
            )
        if outcome.ok:
            messages.success(request, _("The pilot was saved."))
            return redirect("web:pilot_detail", pk=pilot.pk)
    return _form_page(
        request,
        form,
        _("Edit %(name)s") % {"name": pilot.name},
        reverse("web:pilot_detail", args=[pilot.pk]),
    )


@login_required
@require_GET
def pilot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = _pilot(request, pk)
    report = pilot_report(pilot)
    return render(
        request,
        "pilots/pilot_detail.html",
        {"report": report, "can_edit": pilot.permits(request.user, "change")},
    )


def _text(value: Any) -> Any:
    """Numbers as numbers; text made safe for a spreadsheet (never a formula)."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def report_csv_rows(report: Report) -> list[list[Any]]:
    rows = []
    for line in report.lines:
        for group, code, cell in zip(report.groups, report.group_codes, line.cells, strict=True):
            rows.append(
                [
                    _text(report.pilot.name),
                    _text(group),
                    _text(code),
                    line.key,
                    _text(line.label),
                    _text(line.unit),
                    _text(cell.n),
                    _text(cell.value),
                    _text(cell.low),
                    _text(cell.high),
                ]
            )
    return rows


@login_required
@require_GET
def pilot_csv(request: HttpRequest, pk: int) -> HttpResponse:
    report = pilot_report(_pilot(request, pk))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pilot-{report.pilot.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(report_csv_rows(report))
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.pilot,
        changes={"report": "health account", "format": "csv"},
    )
    return response


def render_pdf(report: Report) -> bytes:
    import weasyprint

    html = render_to_string(
        "pilots/pilot_document.html", {"report": report, "generated": timezone.localtime()}
    )
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(string=REPORT_CSS)]
    )


@login_required
@require_GET
def pilot_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = pilot_report(_pilot(request, pk))
    pdf = render_pdf(report)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.pilot,
        changes={"report": "health account", "format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pilot-{report.pilot.pk}.pdf"'
    return response
