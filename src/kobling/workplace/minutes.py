"""The assignment's minutes as a PDF (lib.pdf): the order, and per meeting the date, who took
part, the scale value and the homework. The notes are left out: the minutes go to the leader."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from kobling.lib.pdf import html_to_pdf
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.workplace.models import Assignment
from kobling.workplace.selectors import meetings_of

PDF_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; }
th, td { border-bottom: 0.5pt solid #999; padding: 1.5mm 1mm; text-align: left; vertical-align: top; }
.muted { color: #555; }
"""


def minutes_pdf(assignment: Assignment, *, user: Any, lang: str = "nb") -> bytes:
    lang = lang if lang in ("nb", "en") else "nb"
    with translation.override(lang):
        html = render_to_string(
            "workplace/minutes_document.html",
            {
                "assignment": assignment,
                "meetings": meetings_of(assignment),
                "printed": timezone.localdate(),
                "lang": lang,
            },
        )
    audit_log(user=user, action=AuditAction.EXPORT, obj=assignment, changes={"pdf": "minutes"})
    return html_to_pdf(html, PDF_CSS)
