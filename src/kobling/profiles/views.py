"""Pages for the national analyst: the public-health-profile comparison (with a chart and a CSV
download), the import of profile categories and the upload of status sets. Aggregates only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core.views import add_service_errors
from kobling.profiles import io, selectors, services
from kobling.profiles.forms import NATIONAL, CompareForm, ImportForm, StatusUploadForm
from kobling.profiles.models import StatusSet
from kobling.profiles.stats import CATEGORIES, GROUPS, REASONS, Comparison
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def _require_analyst(request: HttpRequest) -> None:
    if not getattr(request.user, "is_analyst", False):
        raise PermissionDenied


# Bar colours (SVG presentation attributes, not inline styles, so the strict CSP holds).
COLOURS = {"better": "#1e7a3c", "same": "#8a8f98", "worse": "#b3261e"}
TEXT_ON = {"better": "#ffffff", "same": "#1a1a1a", "worse": "#ffffff"}
CHART_LEFT, CHART_WIDTH, BAR_HEIGHT, BAR_GAP = 90, 300, 22, 10


def _svg(number: float) -> str:
    return f"{number:.2f}".rstrip("0").rstrip(".")


def chart(comparison: Comparison) -> dict[str, Any]:
    """Geometry of a stacked horizontal bar per group (row percentages) for the SVG template."""
    bars = []
    for i, group in enumerate(GROUPS):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        x = float(CHART_LEFT)
        segments = []
        for category in CATEGORIES:
            pct = comparison.percent[group][category]
            width = CHART_WIDTH * (pct or 0) / 100
            segments.append(
                {
                    "category": category,
                    # Strings, so the locale's decimal comma never reaches an SVG length.
                    "x": _svg(x),
                    "width": _svg(width),
                    "pct": pct,
                    "count": comparison.counts[group][category],
                    "fill": COLOURS[category],
                    "text_fill": TEXT_ON[category],
                    "label_x": _svg(x + width / 2),
                    "show_label": width >= 34,
                }
            )
            x += width
        bars.append(
            {
                "group": group,
                "y": y,
                "text_y": _svg(y + BAR_HEIGHT / 2 + 4),
                "empty": not comparison.row_total(group),
                "segments": segments,
            }
        )
    legend_y = BAR_GAP + len(GROUPS) * (BAR_HEIGHT + BAR_GAP)
    legend = [
        {
            "category": category,
            "fill": COLOURS[category],
            "x": CHART_LEFT + i * 100,
            "text_x": CHART_LEFT + i * 100 + 16,
        }
        for i, category in enumerate(CATEGORIES)
    ]
    return {
        "bars": bars,
        "legend": legend,
        "legend_y": legend_y,
        "legend_text_y": legend_y + 10,
        "width": CHART_LEFT + CHART_WIDTH + 10,
        "height": legend_y + 18,
        "bar_height": BAR_HEIGHT,
        "left": CHART_LEFT,
    }


def _status_for(form: CompareForm) -> tuple[dict[str, bool | None], str, bool]:
    """The status map, its label and whether it is the demo loader's made-up status set."""
    # The form only offers "national" when the national app has scheme_status_map.
    set_id = form.status_set_id()
    source = selectors.national_status_source()
    if set_id is None and source is not None:
        on = form.on_date()
        return dict(source(on)), _("the national register on %(date)s") % {"date": on}, False
    status_set = StatusSet.objects.get(pk=set_id)
    return status_set.as_map(), status_set.name, status_set.is_demo


def _compare_form(request: HttpRequest) -> tuple[CompareForm, list[str]]:
    periods = selectors.periods()
    sets = selectors.status_sets()
    national = selectors.national_status_source() is not None
    data = request.GET.copy()
    if "period" not in data and periods:
        data["period"] = periods[0]
    if "status" not in data:
        # An uploaded set is a deliberate choice: the newest one first, else the register.
        if sets:
            data["status"] = f"set-{sets[0].pk}"
        elif national:
            data["status"] = NATIONAL
    form = CompareForm(data, periods=periods, status_sets=sets, national=national)
    return form, periods


@login_required
@require_GET
def profiles_compare(request: HttpRequest) -> HttpResponse:
    _require_analyst(request)
    form, periods = _compare_form(request)
    context: dict[str, Any] = {"form": form, "periods": periods, "report": None}
    if periods and form.is_valid():
        status, label, demo_status = _status_for(form)
        report = selectors.stored_comparison(
            period=form.cleaned_data["period"], status=status, status_label=label
        )
        context["report"] = report
        context["demo"] = report.demo or demo_status
        context["rows"] = [
            {
                "indicator": r.indicator,
                "name": report.names.get(r.indicator, r.indicator),
                "c": r.comparison,
                "groups": [
                    {
                        "group": g,
                        "cells": [
                            (r.comparison.counts[g][k], r.comparison.percent[g][k])
                            for k in CATEGORIES
                        ],
                        "total": r.comparison.row_total(g),
                    }
                    for g in GROUPS
                ],
                "reason": REASONS.get(r.comparison.reason or ""),
                "chart": chart(r.comparison),
            }
            for r in report.results
        ]
        # form.data holds the defaults filled in when the page was opened without a choice.
        context["csv_url"] = f"{reverse('web:profiles_compare_csv')}?{form.data.urlencode()}"
    return render(request, "profiles/compare.html", context)


@login_required
@require_GET
def profiles_compare_csv(request: HttpRequest) -> HttpResponse:
    _require_analyst(request)
    form, periods = _compare_form(request)
    if not periods or not form.is_valid():
        return HttpResponse(
            _("Choose a profile period and a status source."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    status, label, _demo = _status_for(form)
    period = form.cleaned_data["period"]
    report = selectors.stored_comparison(period=period, status=status, status_label=label)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="profiles.comparison",
        object_repr=f"{period} / {label}"[:200],
    )
    response = HttpResponse(io.to_csv(report.results), content_type="text/csv; charset=utf-8")
    slug = "".join(ch if ch.isalnum() else "-" for ch in period)
    filename = f"folkehelseprofiler-{slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profiles_import(request: HttpRequest) -> HttpResponse:
    _require_analyst(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = services.profiles_import(
                data=upload.read(),
                period=form.cleaned_data["period"],
                source=form.cleaned_data["source"],
                by=request.user,
                filename=upload.name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        if report and report.ok and not report.dry_run:
            messages.success(
                request,
                _("Imported %(rows)s rows: %(created)s new, %(updated)s changed.")
                % {"rows": report.rows, "created": report.created, "updated": report.updated},
            )
            return redirect(
                f"{reverse('web:profiles_compare')}?period={form.cleaned_data['period']}"
            )
    return render(
        request,
        "profiles/import.html",
        {"form": form, "report": report},
        status=400 if (report and not report.ok) or form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profiles_status(request: HttpRequest) -> HttpResponse:
    _require_analyst(request)
    form = StatusUploadForm(request.POST or None, request.FILES or None)
    problems: list[io.Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            status_set = services.status_set_create(
                data=upload.read(),
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                by=request.user,
                filename=upload.name,
            )
        except io.DataError as exc:
            problems = exc.problems
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The status set was saved."))
            return redirect(f"{reverse('web:profiles_compare')}?status=set-{status_set.pk}")
    return render(
        request,
        "profiles/status.html",
        {"form": form, "problems": problems, "status_sets": selectors.status_sets()},
        status=400 if problems or form.errors else 200,
    )
