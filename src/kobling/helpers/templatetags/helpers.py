"""The contact list's rows, written in Python: the same HTML as the template loop they
replace, without its cost per row (a 50-row list resolved some 600 template variables)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kobling.core.templatetags.lists import choice_label, date_shown, pk_url, shown
from kobling.helpers.models import Helper

register = template.Library()


@register.simple_tag
def helper_row(h: Helper) -> SafeString:
    """A row of the contact list (``helpers/helper_list.html``)."""
    status = shown(choice_label(h, "status"))
    if h.is_unconfirmed:
        status += (
            f' <span class="ds-tag" data-color="warning">{shown(gettext("unconfirmed"))}</span>'
        )
    if h.paused_until:
        until = gettext("until %(d)s") % {"d": date_shown(h.paused_until)}
        status += f' <span class="k-muted">{until}</span>'
    activities = ", ".join(shown(a) for a in h.activities.all())
    return mark_safe(  # noqa: S308 - every value is escaped by shown()
        "<tr>\n"
        f'      <td><a href="{shown(pk_url(h.pk, "web:helper_detail"))}">{shown(h.full_name)}</a></td>\n'
        f"      <td>{status}</td>\n"
        f'      <td class="k-hide-small">{shown(h.programme.name)} · {shown(h.municipality.name)}</td>\n'
        f'      <td class="k-hide-small">{shown(h.home_area or h.postcode)}</td>\n'
        f'      <td class="k-hide-small">{activities}</td>\n'
        f"      <td>{shown(h.capacity)}</td>\n"
        "    </tr>"
    )
