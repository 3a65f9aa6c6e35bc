"""The referral lists' rows, written in Python (the same HTML as the templates they replace:
a 50-row list spent a fifth of its request resolving ``{{ r.participant.full_name }}`` and the
like), and a referral's status as a coloured tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from kobling.core.templatetags.lists import choice_label, date_shown, pk_url, shown
from kobling.referrals.models import Decision, Referral

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


def _person_cell(r: Referral) -> str:
    return (
        f'<td><a href="{shown(pk_url(r.pk, "web:referral_detail"))}">'
        f"{shown(r.participant.full_name)}</a></td>"
    )


def _where(r: Referral) -> str:
    return f"{shown(r.programme.name)} · {shown(r.municipality.name)}"


@register.simple_tag
def referral_row(r: Referral, decision: Decision | None, can_manage: Any) -> SafeString:
    """A row of the referral list (``referrals/referral_list.html``)."""
    if decision:
        decided = f"{shown(choice_label(decision, 'outcome'))} {date_shown(decision.decided_on)}"
    else:
        decided = "—"
    priority = (
        f'<td class="k-hide-small">{shown(choice_label(r, "priority"))}</td>' if can_manage else ""
    )
    return mark_safe(  # noqa: S308 - every value is escaped by shown()
        "<tr>\n"
        f"      {_person_cell(r)}\n"
        f"      <td>{referral_status(r)}</td>\n"
        f'      <td class="k-hide-small">{_where(r)}</td>\n'
        f'      <td class="k-hide-small">{date_shown(r.received_at)}</td>\n'
        f'      <td class="k-hide-small">{decided}</td>\n'
        f"      {priority}\n"
        "    </tr>"
    )


@register.simple_tag
def waiting_row(r: Referral) -> SafeString:
    """A row of the waiting list (``referrals/waiting_list.html``)."""
    groups = ", ".join(shown(t) for t in r.target_groups.all()) or "—"
    area = r.preferred_area or r.participant.home_area or r.participant.postcode
    return mark_safe(  # noqa: S308 - every value is escaped by shown()
        "<tr>\n"
        f"      {_person_cell(r)}\n"
        f"      <td>{shown(choice_label(r, 'priority'))}</td>\n"
        f"      <td>{shown(r.waiting_days())}</td>\n"
        f'      <td class="k-hide-small">{_where(r)}</td>\n'
        f'      <td class="k-hide-small">{groups}</td>\n'
        f'      <td class="k-hide-small">{shown(area)}</td>\n'
        f'      <td class="k-hide-small">{referral_status(r)}</td>\n'
        "    </tr>"
    )
