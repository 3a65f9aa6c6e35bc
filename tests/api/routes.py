"""The API's routes, walked from the router and the URL patterns, for the tests that hold for
every endpoint (filters, OPTIONS, caching, the schema)."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver


def list_routes() -> list[tuple[str, type]]:
    """(prefix, viewset) of every router registration that has a list."""
    from kobling.api.urls import router

    routes = []
    for prefix, viewset, _basename in router.registry:
        if any(route.mapping.get("get") == "list" for route in router.get_routes(viewset)):
            routes.append((prefix, viewset))
    return routes


def _walk(patterns, prefix: str = ""):  # noqa: ANN001, ANN202
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def api_paths(identifier: str = "1") -> list[str]:
    """Every path under /api/v1/, with ``identifier`` for each path parameter."""
    paths = set()
    for raw in _walk(get_resolver().url_patterns):
        if not raw.startswith("api/v1/") or "(?P<format>" in raw or "\\.(?P" in raw:
            continue
        path = raw.lstrip("^").rstrip("$")
        path = re.sub(r"<(?:\w+:)?\w+>", identifier, path)
        path = re.sub(r"\(\?P<\w+>[^)]*\)", identifier, path)
        paths.add("/" + path.replace("\\", ""))
    return sorted(paths)
