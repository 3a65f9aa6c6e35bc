"""drf-spectacular extensions for our own classes."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


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

    def walk(node):  # noqa: ANN001, ANN202
        if isinstance(node, dict):
            choices = node.get("oneOf")
            if isinstance(choices, list) and choices and all(is_object(c) for c in choices):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
