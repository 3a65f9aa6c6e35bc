"""The grant letter: the decision with its amount, conditions and reasons, and the
municipality's watchdog-role sentence — one template, shown as a page and rendered to PDF with
the decision letters' renderer (:func:`kobling.referrals.letters.letter_pdf`)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from kobling.grants.models import GrantDecision
from kobling.partners.models import watchdog_sentence
from kobling.referrals.letters import letter_language, letter_pdf


def grant_letter_context(decision: GrantDecision) -> dict[str, Any]:
    application = decision.application
    return {
        "decision": decision,
        "application": application,
        "partner": application.partner,
        "scheme": application.round.scheme,
        "grant_round": application.round,
        "municipality": decision.municipality,
        "decided_by": decision.decided_by.get_full_name() or decision.decided_by.get_username(),
        "requested": application.amount_requested,
        "watchdog_sentence": watchdog_sentence(decision.municipality_id),
        "corrects": decision.supersedes,
    }


def grant_letter_html(decision: GrantDecision, *, lang: str = "nb") -> str:
    """The letter as a complete HTML document (what the PDF is made from)."""
    with translation.override(letter_language(lang)):
        return render_to_string(
            "grants/letter_document.html",
            {**grant_letter_context(decision), "lang": letter_language(lang)},
        )


def grant_letter_pdf(decision: GrantDecision, *, lang: str = "nb") -> bytes:
    return letter_pdf(grant_letter_html(decision, lang=lang))


def letter_filename(decision: GrantDecision) -> str:
    return f"tilskudd-{decision.application_id}-{decision.decided_at:%Y%m%d}-{decision.pk}.pdf"
