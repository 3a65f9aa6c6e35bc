"""Template helpers: render form widgets with Designsystemet classes."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms, template
from django.utils import formats

from kobling.core.templatetags import lists
from kobling.core.templatetags.lists import number

register = template.Library()


@register.filter
def ds(field: forms.BoundField) -> str:
    """The field's widget with Designsystemet's input class (selects and checkboxes included)."""
    return lists.ds(field)


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> list:
    """The signed-in user's main menu (kobling.web.menu), from the role flags in the context."""
    from kobling.web.menu import main_menu as build

    request = context.get("request")
    return build(context.flatten(), request.path if request is not None else "")


@register.filter
def is_choice_list(field: forms.BoundField) -> bool:
    """A field shown as a list of checkboxes or radio buttons (rendered as a fieldset)."""
    return lists.is_choice_list(field)


@register.filter
def ds_option(option: Any, invalid: bool = False) -> str:
    """One checkbox or radio button of a choice list as Designsystemet's input (the label is
    written by the template next to it, as Designsystemet's checkbox field wants)."""
    data = dict(option.data)
    attrs = dict(data.get("attrs") or {})
    css = attrs.get("class", "")
    if "ds-input" not in css.split():
        attrs["class"] = f"{css} ds-input".strip()
    if invalid:
        attrs["aria-invalid"] = "true"
    data["attrs"] = attrs
    data["wrap_label"] = False
    return option.parent_widget._render(option.template_name, {"widget": data})


@register.filter
def absolute(value: Any) -> Any:
    """The size of a difference without its sign (the page words the direction instead)."""
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def money(value: Any) -> str:
    """An amount in kroner with two decimals, grouped in thousands the active language's way:
    a no-break space in bokmål (12 345,50), a comma in English (12,345.50). Empty is a dash."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return formats.number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def num(value: Any) -> Any:
    """A count or measure grouped in thousands the active language's way (1 234), decimals as
    they are; anything that is not a number is shown unchanged (kobling.core's ``number``, which
    the figures tables use too)."""
    return number(value)
