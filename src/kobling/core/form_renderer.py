"""A form renderer that writes Django's plain widgets in Python.

Django renders every widget — each ``<input>``, each ``<option>`` of a select, each radio
button — through its template (a context, an include of ``attrs.html``, filters): ~60-100 µs a
piece. The contact's log form on the phone has ~30 of them per pair, a few ms of every
"my participants". :class:`PlainWidgetRenderer` writes the same bytes for Django's own
``input``, ``select``/``option``, radio/checkbox option and ``textarea`` templates, and leaves
everything else (form and field templates, option groups, any template a project app overrides)
to the templates. ``tests/core/test_form_renderer.py`` holds it to Django's output.

It is every form's renderer (``FORM_RENDERER`` in the settings)."""

from __future__ import annotations

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

_WIDGETS = "django/forms/widgets/"
# Django's templates that are exactly ``{% include "django/forms/widgets/input.html" %}``.
_INPUTS = {
    f"{_WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
}
_OPTIONS = {f"{_WIDGETS}radio_option.html", f"{_WIDGETS}checkbox_option.html"}
_SELECT = f"{_WIDGETS}select.html"
_SELECT_OPTION = f"{_WIDGETS}select_option.html"
_TEXTAREA = f"{_WIDGETS}textarea.html"
_ALL = _INPUTS | _OPTIONS | {_SELECT, _SELECT_OPTION, _TEXTAREA, f"{_WIDGETS}input_option.html"}


def _text(value: Any) -> str:
    """``{{ value }}`` in a template: localised, then escaped unless safe. A plain ``str`` (the
    common case) is neither localised nor safe: escaped directly, without Django's lazy-aware
    wrappers around ``escape``."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(localize(template_localtime(value)))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe."""
    text = "%s" % (value,)  # noqa: UP031 — exactly the filter's formatting
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    """``input.html`` (without its closing newline)."""
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict[str, Any]) -> str:
    """``input_option.html`` (the include of ``input.html`` keeps its newline)."""
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)}\n {_text(widget['label'])}</label>"


def _option(widget: dict[str, Any]) -> str:
    """``select_option.html``."""
    return (
        f'<option value="{_formatted(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{_text(widget['label'])}</option>"
    )


class PlainWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with its plain widgets written in Python (same bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self._bundled: dict[str, bool] = {}

    def _is_bundled(self, template_name: str) -> bool:
        """Whether ``template_name`` — and every widget template this class writes — is
        Django's own (an app may override them; then the templates render everything)."""
        if not self._bundled:
            bundled = all(
                "/django/forms/templates/" in str(self.get_template(name).origin.name)
                for name in _ALL
            )
            self._bundled = dict.fromkeys(_ALL, bundled)
        return self._bundled.get(template_name, False)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if len(context) == 1 else None
        if widget is None or not self._is_bundled(template_name):
            return super().render(template_name, context, request)
        if template_name in _INPUTS:
            return _input(widget)
        if template_name in _OPTIONS:
            return _input_option(widget)
        if template_name == _SELECT_OPTION:
            return _option(widget)
        if template_name == _TEXTAREA:
            value = widget["value"]
            return (
                f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
                f"{_text(value) if value else ''}</textarea>"
            )
        if template_name == _SELECT:
            return self._select(widget, context, request)
        return super().render(template_name, context, request)

    def _select(self, widget: dict[str, Any], context: dict[str, Any], request: Any) -> str:
        """``select.html``: each option's include keeps its closing newline."""
        parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:  # option groups: rare, left to the template
                return super().render(_SELECT, context, request)
            for option in options:
                if option.get("template_name") != _SELECT_OPTION:
                    return super().render(_SELECT, context, request)
                parts.append(f"\n  {_option(option)}\n")
        parts.append("\n</select>")
        return "".join(parts)


plain_widgets = PlainWidgetRenderer()
