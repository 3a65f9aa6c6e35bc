"""A referral's status as a coloured tag (lists show it on every row)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from kobling.core.templatetags.lists import choice_label
from kobling.referrals.models import Referral

register = template.Library()

_COLOURS = {
    "waiting": "info",
    "refused": "danger",
    "withdrawn": "danger",
    "more_info": "warning",
    "paired": "success",
    "started": "success",
}


@register.filter
def referral_status(referral: Referral) -> str:
    """The status tag: ``<span class="ds-tag" data-color="…">label</span>``."""
    return format_html(
        '<span class="ds-tag" data-color="{}">{}</span>',
        _COLOURS.get(referral.status, "neutral"),
        choice_label(referral, "status"),
    )
