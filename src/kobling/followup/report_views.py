"""The referrer's report as a page and as a PDF (WeasyPrint, as the decision letter). Same
access rules as the API (:func:`kobling.followup.access.pairing_for_report`); a referrer who
may not read it is told why (403 with the reason) rather than shown a bare refusal."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from kobling.followup import access
from kobling.followup.models import Pairing, ReferrerNotice
from kobling.followup.report import build_referrer_report
from kobling.followup.selectors import referrer_referrals
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


def _context(request: HttpRequest, pairing: Pairing) -> dict[str, Any]:
    return {
        "pairing": pairing,
        "report": build_referrer_report(pairing),
        "generated": timezone.localtime(),
        "participant": pairing.participant,
        "municipality": pairing.municipality,
        "programme": pairing.programme,
    }


def _pairing(request: HttpRequest, pk: int) -> Pairing | HttpResponse:
    try:
        return access.pairing_for_report(
            request.user,
            pk,
            queryset=Pairing.objects.select_related("participant", "programme", "municipality"),
        )
    except access.ReportDenied as refused:
        return render(request, "followup/report_refused.html", {"reason": str(refused)}, status=403)


@login_required
@require_GET
def referrer_report(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    if isinstance(pairing, HttpResponse):
        return pairing
    audit_log(user=request.user, action=AuditAction.VIEW, obj=pairing, changes={"report": "page"})
    return render(request, "followup/referrer_report.html", _context(request, pairing))


@login_required
@require_GET
def referrer_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    import weasyprint

    pairing = _pairing(request, pk)
    if isinstance(pairing, HttpResponse):
        return pairing
    html = render_to_string("followup/referrer_report_document.html", _context(request, pairing))
    # The report needs nothing from outside: refuse every fetch (no file:, no http:).
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    pdf = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(string=REPORT_CSS)]
    )
    audit_log(user=request.user, action=AuditAction.EXPORT, obj=pairing, changes={"report": "pdf"})
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"rapport-par-{pairing.pk}-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_GET
def my_referrals(request: HttpRequest) -> HttpResponse:
    """ "My referrals": for a referrer, each referral they made with its status, the latest notice
    and a link to the report while the participant's consent allows it."""
    if not request.user.municipality_ids(Role.REFERRER):
        raise PermissionDenied
    page = Paginator(referrer_referrals(request.user), 50).get_page(request.GET.get("page"))
    rows = list(page)
    kinds = dict(ReferrerNotice.Kind.choices)
    for row in rows:
        row.notice_label = kinds.get(row.notice_kind)
    audit_list_read(user=request.user, objects=rows)
    return render(request, "followup/my_referrals.html", {"page": page, "rows": rows})
