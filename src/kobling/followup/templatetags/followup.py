"""The pairing list's rows, written in Python: the same HTML as the template loop they
replace, without its cost per row."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kobling.core.templatetags.lists import choice_label, date_shown, pk_url, shown
from kobling.followup.models import Pairing

register = template.Library()


@register.simple_tag
def pairing_row(p: Pairing, shape: str) -> SafeString:
    """A row of the pairing list (``followup/pairing_list.html``) in the viewer's shape:
    "manager" (both names, programme), "contact" (the participant's first name) or
    "referrer" (the date only)."""
    if shape == "manager":
        name = f"{shown(p.participant.full_name)} + {shown(p.helper.full_name)}"
        where = (
            f' <span class="k-muted k-hide-small">{shown(p.programme.name)} · '
            f"{shown(p.municipality.name)}</span>"
        )
    elif shape == "contact":
        name, where = shown(p.participant.first_name), ""
    else:
        name = gettext("Pairing from %(d)s") % {"d": date_shown(p.confirmed_at)}
        where = ""
    if shape != "referrer" and p.intro_meeting_at:
        intro = date_shown(p.intro_meeting_at, "SHORT_DATETIME_FORMAT")
    else:
        intro = "—"
    return mark_safe(  # noqa: S308 - every value is escaped by shown()
        "<tr>\n"
        f'      <td><a href="{shown(pk_url(p.pk, "web:pairing_detail"))}">{name}</a>{where}</td>\n'
        f"      <td>{shown(choice_label(p, 'status'))}</td>\n"
        f'      <td class="k-hide-small">{intro}</td>\n'
        f'      <td class="k-hide-small">{date_shown(p.started_on) or "—"}</td>\n'
        f'      <td class="k-hide-small">{date_shown(p.ended_on) or "—"}</td>\n'
        "    </tr>"
    )
