"""The implementation-quality pages: the programmes with their latest score and trend, a
self-assessment (create, edit the draft, submit, view, correct, discard a draft), the trend with
its chart and CSV, and the key-person risk. Managers (municipal admin, coordinator) of the
programme's municipality only: other roles 403, another municipality's records 404."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core import charts
from kobling.core.versions import VERSION_REQUIRED
from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.dashboards.access import managed_programmes, programme_for
from kobling.quality import services
from kobling.quality.forms import (
    AssessmentForm,
    CorrectionForm,
    NewAssessmentForm,
    VersionForm,
    comment_field,
    score_field,
)
from kobling.quality.keypersons import key_person_risk
from kobling.quality.models import SelfAssessment
from kobling.quality.scoring import TrendYear, direction
from kobling.quality.selectors import (
    answers_of,
    assessments_of,
    evidence,
    overview,
    programme_trend,
    scores_of,
    standing,
    with_answers,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def _assessment(request: HttpRequest, pk: int) -> SelfAssessment:
    return get_visible_or_404(
        request, with_answers(SelfAssessment.objects.all()), action="change", pk=pk
    )


@login_required
@require_GET
def quality_list(request: HttpRequest) -> HttpResponse:
    programmes = managed_programmes(request.user).order_by("municipality__name", "name")
    rows = overview(programmes)
    risks = key_person_risk([r.programme for r in rows], today=timezone.localdate())
    for row in rows:
        row.risks = [r for r in risks[row.programme.pk] if r.status != "ok"]  # type: ignore[attr-defined]
    form = NewAssessmentForm(programmes=programmes)
    return render(request, "quality/list.html", {"rows": rows, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def quality_create(request: HttpRequest) -> HttpResponse:
    programmes = managed_programmes(request.user).order_by("municipality__name", "name")
    form = NewAssessmentForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(
                programme=form.cleaned_data["programme"],
                year=form.cleaned_data["year"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The self-assessment was started."))
            return redirect("web:quality_edit", pk=assessment.pk)
    return render(request, "quality/new.html", {"form": form})


def _previous(assessment: SelfAssessment, everything: list[SelfAssessment]) -> TrendYear | None:
    """The standing submitted assessment of the latest earlier year, scored."""
    earlier = [
        a
        for (pid, year), a in standing(everything).items()
        if pid == assessment.programme_id and year < assessment.year and a.is_submitted
    ]
    if not earlier:
        return None
    before = max(earlier, key=lambda a: a.year)
    return TrendYear(year=before.year, assessment_id=before.pk, scores=scores_of(before))


def _domains(assessment: SelfAssessment, form: AssessmentForm | None, found: dict) -> list:
    """The checklist grouped for the templates: per domain, its items with the answer, the form
    fields (when editing) and the evidence."""
    answers = answers_of(assessment)
    out = []
    for domain in assessment.checklist.domains:
        items = []
        for item in domain.items:
            items.append(
                {
                    "item": item,
                    "answer": answers.get(item.code),
                    "score_field": form[score_field(item.code)] if form else None,
                    "comment_field": form[comment_field(item.code)] if form else None,
                    "evidence": found.get(item.code),
                }
            )
        out.append({"domain": domain, "items": items})
    return out


@login_required
@require_GET
def quality_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    everything = assessments_of([assessment.programme])
    scores = scores_of(assessment)
    previous = _previous(assessment, everything)
    responsibilities = key_person_risk([assessment.programme], today=timezone.localdate())[
        assessment.programme_id
    ]
    found = evidence(assessment.programme, assessment.year, responsibilities)
    stand = standing(everything).get((assessment.programme_id, assessment.year))
    corrected_by = next((a for a in everything if a.supersedes_id == assessment.pk), None)
    rows = []
    for d in scores.domains:
        before = previous.scores.domain(d.code) if previous else None
        change = direction(d.percent, before.percent) if before is not None else None
        rows.append({"score": d, "before": before, "change": change})
    return render(
        request,
        "quality/detail.html",
        {
            "assessment": assessment,
            "scores": scores,
            "rows": rows,
            "previous": previous,
            "domains": _domains(assessment, None, found),
            "responsibilities": responsibilities,
            "is_standing": stand is not None and stand.pk == assessment.pk,
            "corrected_by": corrected_by,
            "version_form": VersionForm(initial={"version": assessment.version}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quality_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    if assessment.is_submitted:
        messages.error(request, _("A submitted self-assessment cannot be changed."))
        return redirect("web:quality_detail", pk=assessment.pk)
    checklist = assessment.checklist
    if request.method == "POST":
        form = AssessmentForm(request.POST, checklist=checklist)
        if form.is_valid():
            with service_errors(form) as outcome:
                services.assessment_update(
                    assessment=assessment,
                    by=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    note=form.cleaned_data["note"],
                    answers=form.answers(),
                )
            if outcome.ok:
                messages.success(request, _("The self-assessment was saved."))
                return redirect("web:quality_detail", pk=assessment.pk)
    else:
        form = AssessmentForm(initial=AssessmentForm.initial_for(assessment), checklist=checklist)
    responsibilities = key_person_risk([assessment.programme], today=timezone.localdate())[
        assessment.programme_id
    ]
    found = evidence(assessment.programme, assessment.year, responsibilities)
    return render(
        request,
        "quality/form.html",
        {
            "assessment": assessment,
            "form": form,
            "domains": _domains(assessment, form, found),
        },
    )


@login_required
@require_POST
def quality_submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, VERSION_REQUIRED)
        return redirect("web:quality_detail", pk=assessment.pk)
    version = form.cleaned_data["version"]
    with service_errors(request) as outcome:
        services.assessment_submit(assessment=assessment, by=request.user, expected_version=version)
    if outcome.ok:
        messages.success(request, _("The self-assessment was submitted."))
    return redirect("web:quality_detail", pk=assessment.pk)


@login_required
@require_POST
def quality_discard(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, VERSION_REQUIRED)
        return redirect("web:quality_detail", pk=assessment.pk)
    version = form.cleaned_data["version"]
    with service_errors(request) as outcome:
        services.assessment_discard(
            assessment=assessment, by=request.user, expected_version=version
        )
    if outcome.ok:
        messages.success(request, _("The draft was deleted."))
        return redirect("web:quality_list")
    return redirect("web:quality_detail", pk=assessment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def quality_correct(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.assessment_correct(
                assessment=assessment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The correction was started. It replaces the submitted one when you submit it."),
            )
            return redirect("web:quality_edit", pk=new.pk)
    return render(request, "quality/correct.html", {"assessment": assessment, "form": form})


def _trend(request: HttpRequest, pk: int) -> tuple[Any, list[TrendYear]]:
    programme = programme_for(request.user, pk)
    return programme, programme_trend(assessments_of([programme]), programme.pk)


def _arrow(change: str | None) -> str:
    return {"up": "↑", "down": "↓", "same": "→"}.get(change or "", "")


@login_required
@require_GET
def quality_trend(request: HttpRequest, pk: int) -> HttpResponse:
    programme, years = _trend(request, pk)
    checklist_domains = years[-1].scores.domains if years else ()
    table = [
        {
            "year": y,
            "cells": [(d.percent, _arrow(y.changes.get(d.code))) for d in y.scores.domains],
            "total": (y.scores.percent, _arrow(y.total_change)),
        }
        for y in years
    ]
    chart = (
        charts.columns(
            _("Total score per year (percent of the most possible)"),
            [str(y.year) for y in years],
            [y.scores.percent for y in years],
        )
        if years
        else None
    )
    latest_chart = (
        charts.bars(
            _("Score per domain in %(year)s (percent)") % {"year": years[-1].year},
            # The chart's label column is narrow: the full titles are in the table below.
            [Truncator(f"{d.number} {d.title}").chars(26) for d in checklist_domains],
            [d.percent for d in checklist_domains],
        )
        if years
        else None
    )
    return render(
        request,
        "quality/trend.html",
        {
            "programme": programme,
            "years": years,
            "domains": checklist_domains,
            "table": table,
            "chart": chart,
            "latest_chart": latest_chart,
        },
    )


@login_required
@require_GET
def quality_trend_csv(request: HttpRequest, pk: int) -> HttpResponse:
    programme, years = _trend(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kvalitet-{programme.pk}.csv"'
    writer = csv.writer(response)
    domains = years[-1].scores.domains if years else ()
    writer.writerow(
        [
            _("Year"),
            *[f"{d.number} {d.title} %" for d in domains],
            *[f"{d.number} {_('change')}" for d in domains],
            _("Points"),
            _("Most possible"),
            _("Total %"),
            _("Total change"),
            _("Items not in place"),
        ]
    )
    for y in years:
        writer.writerow(
            [
                y.year,
                *[d.percent for d in y.scores.domains],
                *[y.changes.get(d.code) or "" for d in y.scores.domains],
                y.scores.points,
                y.scores.max_points,
                y.scores.percent,
                y.total_change or "",
                y.scores.not_in_place,
            ]
        )
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        obj=programme,
        changes={"quality": "trend", "format": "csv"},
    )
    return response


@login_required
@require_GET
def quality_key_persons(request: HttpRequest, pk: int) -> HttpResponse:
    programme = programme_for(request.user, pk)
    responsibilities = key_person_risk([programme], today=timezone.localdate())[programme.pk]
    return render(
        request,
        "quality/key_persons.html",
        {"programme": programme, "responsibilities": responsibilities},
    )
