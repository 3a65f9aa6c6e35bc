"""The referrer's report as a page and as a PDF (WeasyPrint, as the decision letter). Same
access rules as the API (:func:`kobling.followup.access.pairing_for_report`); a referrer who
may not read it is told why (403 with the reason) rather than shown a bare refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kobling.core.paginator import CountedPaginator
from kobling.followup import access
from kobling.followup.models import Pairing, ReferrerNotice
from kobling.followup.report import build_episode_report, build_referrer_report
from kobling.followup.selectors import referrer_referral_rows, referrer_referrals
from kobling.lib.pdf import html_to_pdf
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction, Role

# The PDF's own stylesheet (pages carry no inline styles; the PDF is not a page).
REPORT_CSS = """
@page { size: A4; margin: 2cm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.4; }
h1 { font-size: 15pt; margin: 0 0 0.4em; }
h2 { font-size: 11.5pt; margin: 1.2em 0 0.3em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #ccc; }
td.k-num, th.k-num { text-align: right; white-space: nowrap; }
.k-muted { color: #555; }
"""


def _context(subject: Any, report: Any) -> dict[str, Any]:
    """``subject`` is the pairing or the course (forløp) the report is about: both name their
    status, ending reason and hand-over the same way."""
    return {
        "subject": subject,
        "report": report,
        "generated": timezone.localtime(),
        "participant": subject.participant,
        "municipality": subject.municipality,
        "programme": subject.programme,
    }


def _pdf(subject: Any, context: dict[str, Any], name: str, request: HttpRequest) -> HttpResponse:
    html = render_to_string("followup/referrer_report_document.html", context)
    pdf = html_to_pdf(html, REPORT_CSS)
    audit_log(user=request.user, action=AuditAction.EXPORT, obj=subject, changes={"report": "pdf"})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}-{timezone.localdate():%Y%m%d}.pdf"'
    return response


def _pairing_for(user: Any, pk: int) -> Pairing:
    return access.pairing_for_report(
        user,
        pk,
        queryset=Pairing.objects.select_related("participant", "programme", "municipality"),
    )


# What a report is about: how to fetch it (with the access rules), build it, and name it.
_SUBJECTS: dict[str, tuple[Callable[[Any, int], Any], Callable[[Any], Any], str]] = {
    "pairing": (_pairing_for, build_referrer_report, "rapport-par"),
    "episode": (access.episode_for_report, build_episode_report, "rapport-forlop"),
}


def _report(request: HttpRequest, pk: int, about: str, *, pdf: bool) -> HttpResponse:
    """The page (or PDF) of the report about a pairing or a course (forløp): the same access
    rules for both (a referrer without the person's consent is told why), audited."""
    fetch, build, name = _SUBJECTS[about]
    try:
        subject = fetch(request.user, pk)
    except access.ReportDenied as refused:
        return render(request, "followup/report_refused.html", {"reason": str(refused)}, status=403)
    context = _context(subject, build(subject))
    if pdf:
        return _pdf(subject, context, f"{name}-{subject.pk}", request)
    audit_log(user=request.user, action=AuditAction.VIEW, obj=subject, changes={"report": "page"})
    pdf_name = "referrer_report_pdf" if about == "pairing" else "episode_report_pdf"
    context["pdf_url"] = reverse(f"web:{pdf_name}", args=[subject.pk])
    return render(request, "followup/referrer_report.html", context)


@login_required
@require_GET
def referrer_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _report(request, pk, "pairing", pdf=False)


@login_required
@require_GET
def referrer_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _report(request, pk, "pairing", pdf=True)


@login_required
@require_GET
def episode_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The referrer report of a whole course (forløp): every pairing — or group, or provider —
    of the course summed, with the same access rules as a pairing's report."""
    return _report(request, pk, "episode", pdf=False)


@login_required
@require_GET
def episode_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _report(request, pk, "episode", pdf=True)


@login_required
@require_GET
def my_referrals(request: HttpRequest) -> HttpResponse:
    """ "My referrals": for a referrer, each referral they made with its status, the latest notice
    and a link to the report while the participant's consent allows it."""
    if not request.user.municipality_ids(Role.REFERRER):
        raise PermissionDenied
    # Counted without the annotations: they only add columns to the same rows.
    plain = referrer_referral_rows(request.user)
    page = CountedPaginator(
        referrer_referrals(request.user, rows=plain), 50, count_queryset=plain
    ).get_page(request.GET.get("page"))
    rows = list(page)
    kinds = dict(ReferrerNotice.Kind.choices)
    for row in rows:
        row.notice_label = kinds.get(row.notice_kind)
        # The report is of the whole course, once it has begun (a pairing, or a start).
        begun = row.pairing_id or row.course_started
        shown = row.course_id and begun and row.report_shared
        row.report_url = reverse("web:episode_report", args=[row.course_id]) if shown else ""
    audit_list_read(user=request.user, objects=rows)
    return render(request, "followup/my_referrals.html", {"page": page, "rows": rows})
