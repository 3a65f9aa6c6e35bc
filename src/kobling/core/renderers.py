"""A form renderer that writes the plain widgets (inputs, selects and their options) in Python.

Django renders every widget through templates: a select is ``select.html``, an ``{% include %}``
of ``select_option.html`` per option and of ``attrs.html`` per tag. On a list page's filter form
(a few selects of 5-20 options) that was 5-10 ms of a request. ``FastWidgetRenderer`` writes
the same HTML, byte for byte, for Django's own input, select and option templates and leaves
every other template (and any project override of these) to the default renderer.
``tests/core/test_renderers.py`` compares the two for every widget it covers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
# Django's templates that are only ``{% include "django/forms/widgets/input.html" %}``.
_INPUTS = frozenset(
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
    )
)
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
# What ``{{ value }}`` does in a template (localisation, time zone, escaping).
_CONTEXT = Context(autoescape=True)


def _value(value: Any) -> str:
    """``{{ value }}`` in a widget template."""
    if type(value) is str:
        return conditional_escape(value)
    return render_value_in_context(value, _CONTEXT)


def _stringformat(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe."""
    text = "%s" % (value,)  # noqa: UP031 - exactly the filter's formatting
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_value(name)}")
        else:
            out.append(f' {_value(name)}="{_stringformat(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_stringformat(value)}"'
    return (
        f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{_stringformat(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_value(option['label'])}</option>"
    )


class FastWidgetRenderer(BaseRenderer):
    """The default form renderer, with Django's plain input and select widgets written in
    Python (the same HTML). Give it to a form as ``form.renderer``."""

    def __init__(self, fallback: BaseRenderer | None = None) -> None:
        self._fallback = fallback

    @property
    def fallback(self) -> BaseRenderer:
        return self._fallback or get_default_renderer()

    def get_template(self, template_name: str) -> Any:
        return self.fallback.get_template(template_name)

    def _overridden(self, template_name: str) -> bool:
        # A project or app template of the same name wins over Django's, as with the default
        # renderer: then it is rendered by that template.
        origin = self.fallback.get_template(template_name).origin
        return "/django/forms/templates/" not in str(origin.name).replace("\\", "/")

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = self._fast(template_name)
        if fast is None:
            return self.fallback.render(template_name, context, request=request)
        return fast(context["widget"]).strip()

    def _fast(self, template_name: str) -> Callable[[dict[str, Any]], str] | None:
        cache = self.__dict__.setdefault("_fast_cache", {})
        if template_name not in cache:
            writer: Callable[[dict[str, Any]], str] | None = None
            if template_name in _INPUTS:
                writer = _input
            elif template_name == _SELECT:
                writer = self._select
            elif template_name == _OPTION:
                writer = _option
            if writer is not None and self._overridden(template_name):
                writer = None
            cache[template_name] = writer
        return cache[template_name]

    def _select(self, widget: dict[str, Any]) -> str:
        """``select.html``, with its options (``select_option.html`` unless a widget names
        another option template)."""
        out = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{_value(group_name)}">')
            for option in group_choices:
                name = option["template_name"]
                write = self._fast(name) if name == _OPTION else None
                if write is not None:
                    html = write(option) + "\n"
                else:
                    html = self.get_template(name).render({"widget": option})
                out.append(f"\n  {html}")
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return "".join(out)


FAST_WIDGETS = FastWidgetRenderer()
