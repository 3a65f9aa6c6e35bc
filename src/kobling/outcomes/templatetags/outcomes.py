"""The goals-and-reviews panel on the pairing page (included by followup/pairing_detail.html),
and small display filters for scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.outcomes import selectors
from kobling.outcomes.choices import ReviewKind
from kobling.outcomes.models import may_record_outcomes
from kobling.tenancy.choices import Role

register = template.Library()


@register.inclusion_tag("outcomes/_panel.html", takes_context=True)
def outcomes_panel(context: dict[str, Any], pairing: Pairing) -> dict[str, Any]:
    """Only for those who may record the pair's goals and reviews (coordinators, admins, the
    pair's contact); the referrer sees nothing of it here."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not may_record_outcomes(user, pairing):
        return {"show": False}
    today = timezone.localdate()
    next_review = selectors.next_reviews(Pairing.objects.filter(pk=pairing.pk), today).get(
        pairing.pk
    )
    return {
        "show": True,
        "pairing": pairing,
        "goals": selectors.goal_progress(pairing),
        "latest": selectors.latest_review(pairing),
        "next_review": None
        if next_review is None
        else {"kind": ReviewKind(next_review[0]).label, "date": next_review[1]},
        "overdue": bool(next_review and next_review[1] <= today),
        "can_add_goal": pairing.status != PairingStatus.ENDED,
        "can_review": pairing.started_on is not None and pairing.status != PairingStatus.CONFIRMED,
        "is_admin": user.has_role(Role.MUNICIPAL_ADMIN, pairing.municipality_id),
    }


@register.filter
def number(value: Any) -> str:
    """A score without trailing zeros: 150.00 → 150, 2.50 → 2.5, -1 → −1."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace("-", "−")
