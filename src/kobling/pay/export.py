"""Pay out of Kobling: the payroll CSV of a month's approved timesheets (columns documented in
docs/pay.md) and a PDF per contact per month. Neither carries health details; participants
appear by their initials only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kobling.lib.pdf import html_to_pdf
from kobling.lib.spreadsheet import neutralise
from kobling.pay.choices import TimesheetStatus
from kobling.pay.ledger import SheetView, hours
from kobling.pay.models import Timesheet
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

# Norwegian Excel reads this directly: UTF-8 with a byte-order mark, ";" between cells, decimal
# comma (the same convention as the helper register export).
CSV_DELIMITER = ";"
PAYROLL_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "helper_id",
    "national_id",
    "name",
    "month",
    "hours",
    "hourly_rate",
    "pay_amount",
    "expenses_total",
    "total",
    "timesheet_id",
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


def payroll_rows(sheets: QuerySet[Timesheet]) -> list[list[Any]]:
    return [
        [
            sheet.municipality.code,
            sheet.helper_id,
            sheet.helper.national_id,
            sheet.helper.full_name,
            f"{sheet.month:%Y-%m}",
            hours(sheet.paid_minutes or 0),
            sheet.hourly_rate,
            sheet.pay_amount,
            sheet.expenses_total,
            sheet.total_amount,
            sheet.pk,
            sheet.approved_at,
        ]
        for sheet in sheets
    ]


def payroll_queryset(user: Any, month: dt.date) -> QuerySet[Timesheet]:
    """The approved timesheets of ``month`` in the municipalities ``user`` manages."""
    return (
        Timesheet.objects.visible_to(user, "approve")
        .filter(month=month, status=TimesheetStatus.APPROVED)
        .select_related("helper", "municipality")
        .order_by("municipality__code", "helper__last_name", "helper__first_name", "pk")
    )


def payroll_csv(*, user: Any, month: dt.date) -> tuple[bytes, str]:
    """The payroll file for ``month`` as ``(content, file name)``; audited as an export, one
    entry per municipality naming the timesheets (the file holds national identity
    numbers)."""
    sheets = list(payroll_queryset(user, month))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(PAYROLL_COLUMNS)
    writer.writerows([_cell(v) for v in row] for row in payroll_rows(sheets))  # type: ignore[arg-type]
    filename = f"lonn-{month:%Y-%m}.csv"
    by_municipality: dict[int, list[int]] = {}
    for sheet in sheets:
        by_municipality.setdefault(sheet.municipality_id, []).append(sheet.pk)
    for municipality_id in sorted(by_municipality) or [None]:
        audit_log(
            user=user,
            action=AuditAction.EXPORT,
            municipality_id=municipality_id,
            object_type="pay.timesheet",
            object_repr=filename,
            changes={
                "month": f"{month:%Y-%m}",
                "ids": by_municipality.get(municipality_id, []) if municipality_id else [],
                "national_id": True,
            },
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), filename


# --- the PDF per contact per month ------------------------------------------------------------

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


def timesheet_document_html(view: SheetView, *, lang: str = "nb") -> str:
    lang = lang if lang in ("nb", "en") else "nb"
    sheet = view.sheet
    with translation.override(lang):
        return render_to_string(
            "pay/timesheet_document.html",
            {
                "view": view,
                "sheet": sheet,
                "helper": sheet.helper if sheet else None,
                "lang": lang,
                "printed": timezone.localdate(),
            },
        )


def timesheet_pdf(view: SheetView, *, lang: str = "nb") -> bytes:
    return html_to_pdf(timesheet_document_html(view, lang=lang), PDF_CSS)


def timesheet_filename(sheet: Timesheet) -> str:
    return f"timeliste-{sheet.helper_id}-{sheet.month:%Y-%m}.pdf"
