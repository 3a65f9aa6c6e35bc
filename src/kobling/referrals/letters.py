"""The decision letter (vedtaksbrev) for the participant: one template, shown as a page and
rendered to PDF with WeasyPrint. Norwegian unless English is asked for."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from kobling.lib.pdf import html_to_pdf
from kobling.referrals.choices import DecisionOutcome
from kobling.referrals.models import Decision

LETTER_LANGUAGES = ("nb", "en")

# The PDF's own stylesheet (pages carry no inline styles; the PDF is not a page).
LETTER_CSS = """
@page { size: A4; margin: 2.2cm 2cm 2.5cm 2cm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 15pt; margin: 1.2em 0 0.6em; }
h2 { font-size: 11.5pt; margin: 1.2em 0 0.3em; }
.k-letter__sender { font-weight: bold; font-size: 12pt; }
.k-letter__meta { display: flex; justify-content: space-between; }
.k-muted { color: #555; }
"""


def letter_language(value: str | None) -> str:
    return value if value in LETTER_LANGUAGES else "nb"


def decision_letter_context(decision: Decision) -> dict[str, Any]:
    referral = decision.referral
    return {
        "decision": decision,
        "referral": referral,
        "participant": referral.participant,
        "programme": referral.programme,
        "municipality": decision.municipality,
        "decided_by": decision.decided_by.get_full_name() or decision.decided_by.get_username(),
        "granted": decision.outcome == DecisionOutcome.GRANTED,
        "refused": decision.outcome == DecisionOutcome.REFUSED,
        "more_info": decision.outcome == DecisionOutcome.MORE_INFO,
    }


def decision_letter_html(decision: Decision, *, lang: str = "nb") -> str:
    """The letter as a complete HTML document (what the PDF is made from)."""
    with translation.override(letter_language(lang)):
        return render_to_string(
            "referrals/letter_document.html",
            {**decision_letter_context(decision), "lang": letter_language(lang)},
        )


def letter_pdf(html: str) -> bytes:
    """A letter's complete HTML document as PDF with the letter stylesheet (decision letters
    here, grant letters in kobling.grants). The letter needs nothing from outside: every fetch
    is refused (no file:, no http:)."""
    return html_to_pdf(html, LETTER_CSS)


def decision_letter_pdf(decision: Decision, *, lang: str = "nb") -> bytes:
    return letter_pdf(decision_letter_html(decision, lang=lang))


def letter_filename(decision: Decision) -> str:
    return f"vedtak-{decision.referral_id}-{decision.decided_on:%Y%m%d}.pdf"
