"""drf-spectacular extensions for our own classes."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import get_lib_doc_excludes


def doc_excludes() -> list[type]:
    """Classes whose docstrings never describe an endpoint (``GET_LIB_DOC_EXCLUDES``): DRF's own,
    as drf-spectacular has it, and Kobling's base viewsets, whose docstrings tell a developer how
    to use them. A viewset without a docstring of its own then has no description, rather than
    "Mix into any GenericViewSet…"."""
    from kobling.core import viewsets

    return [
        *get_lib_doc_excludes(),
        viewsets.ScopedViewSetMixin,
        viewsets.ScopedReadOnlyViewSet,
        viewsets.ScopedCreateViewSet,
        viewsets.ScopedWritableViewSet,
    ]


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "kobling.core.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kobling.core.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }


def role_shapes_any_of(result, generator, request, public):  # noqa: ANN001, ANN201, ARG001
    """A response shaped by the caller's role (a pairing as the coordinator, the contact or the
    referrer sees it) is documented as one of several object shapes. The narrower shapes are
    subsets of the wider, so a coordinator's pairing is valid under every branch, and ``oneOf``
    (exactly one) is false of every real response: such choices are ``anyOf``. A choice between
    enums (a value or blank) stays ``oneOf``: there the branches exclude each other."""
    schemas = result.get("components", {}).get("schemas", {})

    def is_object(ref: dict) -> bool:
        name = ref.get("$ref", "").rsplit("/", 1)[-1]
        return schemas.get(name, {}).get("type") == "object"

    def visit(node: dict) -> None:
        choices = node.get("oneOf")
        if isinstance(choices, list) and choices and all(is_object(c) for c in choices):
            node["anyOf"] = node.pop("oneOf")

    _each_schema(result, visit)
    return result


def _each_schema(node, visit) -> None:  # noqa: ANN001
    """Call ``visit`` on every object in the document, parents before their children."""
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _each_schema(value, visit)
    elif isinstance(node, list):
        for value in node:
            _each_schema(value, visit)


# A time of day as the API gives it: "HH:MM" or "HH:MM:SS" (with fractions), local to the
# municipality, no offset.
LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"


def local_times(result, generator, request, public):  # noqa: ANN001, ANN201, ARG001
    """A time of day (a session's start, a weekly time) is written and read without an offset
    ("10:00:00"), but JSON Schema's ``format: time`` is RFC 3339's full-time, which requires one,
    so a strict validator rejects every real response. Times are documented as ``partial-time``
    (RFC 3339's name for a time without an offset) with the pattern they follow."""

    def visit(node: dict) -> None:
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
            node.setdefault("pattern", LOCAL_TIME_PATTERN)

    _each_schema(result, visit)
    return result
