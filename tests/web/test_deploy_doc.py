"""docs/deploy.md keeps signed-link tokens out of nginx's access log with a ``map`` of the paths
that carry one. Every page that takes a token in its path must be covered by it, or the token
lands in the proxy's log (Kobling's own access log records the URL pattern, never the path)."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def _routes(resolver: URLResolver, prefix: str = ""):  # noqa: ANN202
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _token_routes() -> list[str]:
    return [r for r in _routes(get_resolver()) if re.search(r"<(?:str:)?token>", r)]


def _mapped() -> re.Pattern[str]:
    text = DEPLOY.read_text(encoding="utf-8")
    match = re.search(r"map \$uri \$kobling_logged_uri \{\n\s*~(\S+)\s", text)
    assert match, "the nginx map of token paths is missing from docs/deploy.md"
    return re.compile(match.group(1).replace("?<area>", "?P<area>"))


def test_every_path_with_a_signed_token_is_kept_out_of_the_proxy_log():
    routes = _token_routes()
    # The pages reached from e-mailed links: check-ins, follow-ups, surveys, confirmations, the
    # participant's card, the password reset (at least these; new ones must join the map).
    assert len(routes) >= 6, routes
    pattern = _mapped()
    example = {r: "/" + re.sub(r"<[^>]+>", "x" * 20, r) for r in routes}
    uncovered = [r for r, path in example.items() if not pattern.match(path)]
    assert not uncovered, f"add these to the nginx map in docs/deploy.md: {uncovered}"


def test_the_map_does_not_hide_ordinary_pages():
    pattern = _mapped()
    for path in ("/", "/forlop/12/", "/henvisninger/3/", "/api/v1/episodes/"):
        assert not pattern.match(path), path
