"""Template helpers: render form widgets with Designsystemet classes."""

from django import forms, template

register = template.Library()


@register.filter
def ds(field: forms.BoundField) -> str:
    """The field's widget with Designsystemet's input class (selects and checkboxes included)."""
    widget = field.field.widget
    if isinstance(widget, forms.HiddenInput):
        return str(field)
    attrs = dict(widget.attrs)
    css = attrs.get("class", "")
    if "ds-input" not in css.split():
        attrs["class"] = f"{css} ds-input".strip()
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> list:
    """The signed-in user's main menu (kobling.web.menu), from the role flags in the context."""
    from kobling.web.menu import main_menu as build

    request = context.get("request")
    return build(context.flatten(), request.path if request is not None else "")
