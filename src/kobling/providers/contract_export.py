"""Out of Kobling for the contract: the payment file of approved claims (CSV, columns
documented in docs/providers.md, formula-safe), a PDF per claim, and the contract follow-up as
a PDF for the contract meeting (small-cell rule applied: it leaves the municipality). Persons
appear by course number and initials only; no health detail."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from kobling.lib.pdf import html_to_pdf
from kobling.lib.spreadsheet import neutralise
from kobling.providers import contract_selectors as sel
from kobling.providers.choices import ClaimStatus, LineDecision
from kobling.providers.models import ClaimLine, ConcessionTerms, ReimbursementClaim
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

CSV_DELIMITER = ";"
PAYMENT_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "provider",
    "organisation_number",
    "contract_id",
    "claim_id",
    "month",
    "line_id",
    "kind",
    "date",
    "course_id",
    "quantity",
    "unit_price",
    "amount",
    "adjusts_line_id",
    "approved_at",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def payment_lines(user: Any, month: dt.date) -> list[ClaimLine]:
    """The approved lines of the approved claims for ``month`` that ``user`` may approve."""
    claims = ReimbursementClaim.objects.visible_to(user, "approve").filter(
        month=month, status=ClaimStatus.APPROVED
    )
    return list(
        ClaimLine.objects.filter(claim__in=claims, decision=LineDecision.APPROVED)
        .select_related("claim__municipality", "claim__provider")
        .order_by("claim__municipality__code", "claim__provider__name", "claim_id", "day", "pk")
    )


def payment_csv(*, user: Any, month: dt.date) -> tuple[bytes, str]:
    """The payment file for ``month`` as ``(content, file name)``: UTF-8 with a byte-order mark,
    ";" between cells, decimal comma (as the payroll file). Audited as an export."""
    lines = payment_lines(user, month)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(PAYMENT_COLUMNS)
    for ln in lines:
        claim = ln.claim
        row = [
            claim.municipality.code,
            claim.provider.name,
            claim.provider.organisation_number,
            claim.terms_id,
            claim.pk,
            f"{claim.month:%Y-%m}",
            ln.pk,
            ln.kind,
            ln.day,
            ln.episode_id,
            ln.quantity,
            ln.unit_price,
            ln.amount,
            ln.adjusts_id,
            claim.approved_at,
        ]
        writer.writerow([_cell(v) for v in row])
    filename = f"refusjon-{month:%Y-%m}.csv"
    by_municipality: dict[int, set[int]] = {}
    for ln in lines:
        by_municipality.setdefault(ln.municipality_id, set()).add(ln.claim_id)
    for municipality_id in sorted(by_municipality) or [None]:
        audit_log(
            user=user,
            action=AuditAction.EXPORT,
            municipality_id=municipality_id,
            object_type="providers.reimbursementclaim",
            object_repr=filename,
            changes={
                "claims": sorted(by_municipality.get(municipality_id, set()))
                if municipality_id
                else []
            },
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), filename


PDF_CSS = """
@page { size: A4; margin: 2cm 1.8cm 2.2cm 1.8cm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.4; }
h1 { font-size: 15pt; margin: 0 0 0.4em; }
h2 { font-size: 11.5pt; margin: 1.2em 0 0.3em; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #ccc; }
td.k-num, th.k-num { text-align: right; white-space: nowrap; }
.k-muted { color: #555; }
.k-total td { font-weight: bold; border-top: 2px solid #333; }
"""


def initials(episode: Any) -> str:
    if episode is None:
        return ""
    person = episode.participant
    return "".join(p[:1] for p in (person.first_name, person.last_name)).upper()


def claim_pdf(claim: ReimbursementClaim, *, user: Any, lang: str = "nb") -> bytes:
    lines = sel.claim_lines_of(claim)
    lang = lang if lang in ("nb", "en") else "nb"
    with translation.override(lang):
        html = render_to_string(
            "providers/claim_document.html",
            {
                "claim": claim,
                "lines": [(ln, initials(ln.episode)) for ln in lines],
                "totals": sel.claim_totals(lines),
                "lang": lang,
                "printed": timezone.localdate(),
            },
        )
    audit_log(user=user, action=AuditAction.EXPORT, obj=claim, changes={"pdf": True})
    return html_to_pdf(html, PDF_CSS)


def follow_up_pdf(terms: ConcessionTerms, *, user: Any, lang: str = "nb") -> bytes:
    """For the contract meeting with the provider: the figures leave the municipality, so the
    small-cell rule applies."""
    lang = lang if lang in ("nb", "en") else "nb"
    rows = sel.contract_follow_up(terms, outside=True)
    with translation.override(lang):
        html = render_to_string(
            "providers/contract_document.html",
            {"terms": terms, "rows": rows, "lang": lang, "printed": timezone.localdate()},
        )
    audit_log(user=user, action=AuditAction.EXPORT, obj=terms, changes={"pdf": True})
    return html_to_pdf(html, PDF_CSS)
