"""Language: Norwegian bokmål unless the user has chosen English."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import check_for_language, get_language_from_request


class LanguageMiddleware:
    """Pages follow the language the user chose (the language cookie set by the switch in the
    header), else bokmål — never the browser's Accept-Language, so a municipal employee with an
    English browser still gets the Norwegian product. API clients may ask with Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and check_for_language(chosen) and chosen in dict(settings.LANGUAGES):
            language = chosen
        elif request.path_info.startswith("/api/"):
            language = get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if not request.path_info.startswith("/api/"):
            # Pages depend on the language cookie, not on Accept-Language.
            response.headers["Vary"] = ", ".join(
                filter(None, [response.headers.get("Vary"), "Cookie"])
            )
        return response


class PrivateResponseMiddleware:
    """Responses with personal data are never stored by a browser or a proxy cache: ``private,
    no-store`` on every response to a signed-in user (pages, API, files), on every API response
    (also its 401s and the token exchange), and on pages reached by a signed link (the token is in
    the URL, the page shows the person's own data). Static files (WhiteNoise answers before this
    middleware) and the public pages (sign-in, the public forms, the health check) are left to
    their defaults."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: DRF sets request.user for token-authenticated API calls.
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (
            (user is not None and user.is_authenticated)
            or request.path_info.startswith("/api/")
            or (match is not None and "token" in match.kwargs)
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
