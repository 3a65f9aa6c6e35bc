"""The evaluation dashboard pages: RE-AIM and cost per programme and year, as a page, CSV per
table and a yearly PDF. They read only the aggregates (:func:`selectors.build_report`)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kobling.dashboards.access import default_programme, managed_programmes, programme_for
from kobling.dashboards.selectors import Report, build_group_year_report, build_report
from kobling.lib.pdf import html_to_pdf
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

REPORT_CSS = """
@page { size: A4; margin: 1.8cm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.5pt; line-height: 1.35; }
h1 { font-size: 15pt; margin: 0 0 0.4em; }
h2 { font-size: 12pt; margin: 1.2em 0 0.3em; }
h3 { font-size: 10.5pt; margin: 1em 0 0.3em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 0.6em; }
th, td { text-align: left; padding: 2px 5px; border-bottom: 1px solid #ccc; }
td.k-num, th.k-num { text-align: right; white-space: nowrap; }
svg { max-width: 16cm; }
.k-muted { color: #555; }
"""


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _report(request: HttpRequest, pk: int) -> Report:
    return build_report(programme_for(request.user, pk), _year(request))


@login_required
@require_GET
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """Sends a manager to their first programme's dashboard (403 for everyone else)."""
    if request.GET.get("programme"):
        programme = programme_for(request.user, request.GET["programme"])
    else:
        programme = default_programme(request.user)
    if programme is None:
        return render(request, "dashboards/empty.html")
    url = reverse("web:dashboard", args=[programme.pk])
    return redirect(f"{url}?year={_year(request)}")


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    this_year = timezone.localdate().year
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "report": report,
            "programmes": managed_programmes(request.user).order_by("municipality__name", "name"),
            "years": list(range(this_year, this_year - 8, -1)),
        },
    )


@login_required
@require_GET
def dashboard_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """One table as CSV (``?table=<key>``; the first table when not given)."""
    report = _report(request, pk)
    key = request.GET.get("table") or report.tables[0].key
    table = report.table(key)
    if table is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table.key}-{report.programme.pk}-{report.year}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if c is None else c for c in row])
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.programme,
        changes={"dashboard": table.key, "year": report.year, "format": "csv"},
    )
    return response


def render_pdf(report: Report) -> bytes:
    html = render_to_string(
        "dashboards/report_document.html",
        {"report": report, "generated": timezone.localtime()},
    )
    return html_to_pdf(html, REPORT_CSS)


@login_required
@require_GET
def dashboard_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The yearly report of the programme as a PDF."""
    report = _report(request, pk)
    pdf = render_pdf(report)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.programme,
        changes={"dashboard": "report", "year": report.year, "format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"evaluering-{report.programme.pk}-{report.year}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- the yearly report of a group programme (Aktiv på dagtid) ------------------------------------


def _group_report(request: HttpRequest, pk: int) -> Report:
    """The yearly report of a group programme the user manages (404 for a programme that is not
    delivered in groups, or outside the municipalities they manage; 403 for non-managers)."""
    from kobling.tenancy.choices import Delivery

    programme = programme_for(request.user, pk)
    if programme.delivery != Delivery.GROUP:
        raise Http404
    return build_group_year_report(programme, _year(request))


@login_required
@require_GET
def group_year_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The page: participants, meetings and attendance of a group programme in a year, for the
    municipality and its NAV office, under the small-cell rule."""
    report = _group_report(request, pk)
    this_year = timezone.localdate().year
    return render(
        request,
        "dashboards/group_year.html",
        {"report": report, "years": list(range(this_year, this_year - 8, -1))},
    )


@login_required
@require_GET
def group_year_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Every table of the yearly report in one CSV (or one, ``?table=<key>``). Audited."""
    report = _group_report(request, pk)
    key = request.GET.get("table")
    tables = report.tables if not key else [t for t in report.tables if t.key == key]
    if not tables:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = key or "arsrapport"
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{report.programme.pk}-{report.year}.csv"'
    )
    writer = csv.writer(response)
    for n, table in enumerate(tables):
        if len(tables) > 1:
            if n:
                writer.writerow([])
            writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow(["" if c is None else c for c in row])
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.programme,
        changes={
            "report": "group_year",
            "table": key or "all",
            "year": report.year,
            "format": "csv",
        },
    )
    return response


@login_required
@require_GET
def group_year_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The yearly report as a PDF, to send to the NAV office. Audited."""
    report = _group_report(request, pk)
    html = render_to_string(
        "dashboards/group_year_document.html",
        {"report": report, "generated": timezone.localtime()},
    )
    pdf = html_to_pdf(html, REPORT_CSS)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=report.programme,
        changes={"report": "group_year", "year": report.year, "format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"arsrapport-{report.programme.pk}-{report.year}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


__all__: list[Any] = [
    "dashboard",
    "dashboard_csv",
    "dashboard_home",
    "dashboard_pdf",
    "group_year_report",
    "group_year_report_csv",
    "group_year_report_pdf",
]
