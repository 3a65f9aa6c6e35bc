"""The shell's middleware: the trusted proxy's headers, the access log, the language,
``no-store`` on private responses, and the signed-in session's sliding expiry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import check_for_language, get_language_from_request

from kobling.core.logs import route_of
from kobling.tenancy.middleware import client_ip

access_log = logging.getLogger("kobling.access")


def _from_right(header: str, proxies: int) -> str | None:
    """The value the outermost trusted proxy wrote: the ``proxies``-th from the right (each
    proxy appends; whatever stands further left came from the client and is not believed)."""
    values = [part.strip() for part in header.split(",") if part.strip()]
    return values[-proxies] if len(values) >= proxies else None


class TrustedProxyMiddleware:
    """Behind ``KOBLING_TRUSTED_PROXY_COUNT`` reverse proxies, the client's address
    (``REMOTE_ADDR``: lock-out, the audit log) comes from X-Forwarded-For and the scheme
    (``request.is_secure()``: the HTTPS redirect, secure cookies) from X-Forwarded-Proto, each
    read as far from the right as there are trusted proxies. With 0 both headers are ignored, so
    a client talking to the app directly cannot claim another address or HTTPS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxies = settings.KOBLING_TRUSTED_PROXY_COUNT
        if proxies > 0:
            address = client_ip(request)
            if address:
                request.META["REMOTE_ADDR"] = address
            scheme = _from_right(request.META.get("HTTP_X_FORWARDED_PROTO", ""), proxies)
            if scheme in {"http", "https"}:
                # WSGIRequest.scheme reads it (its META is the WSGI environ).
                request.META["wsgi.url_scheme"] = scheme
        return self.get_response(request)


class RequestLogMiddleware:
    """One access-log line per request (logger ``kobling.access``, INFO): method, the URL
    pattern it matched (never the path: signed-link tokens are in paths; never the query),
    status and milliseconds; the request id comes with every line (core.logs). No user, no
    address: the proxy's own log has the address, the audit log who read what."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if access_log.isEnabledFor(logging.INFO):
            milliseconds = round((time.perf_counter() - started) * 1000, 1)
            route = route_of(request)
            access_log.info(
                "%s %s %s %.1f ms",
                request.method,
                route,
                response.status_code,
                milliseconds,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": milliseconds,
                },
            )
        return response


class LanguageMiddleware:
    """Pages follow the language the user chose (the language cookie set by the switch in the
    header), else bokmål — never the browser's Accept-Language, so a municipal employee with an
    English browser still gets the Norwegian product. API and FHIR clients may ask with Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and check_for_language(chosen) and chosen in dict(settings.LANGUAGES):
            language = chosen
        elif request.path_info.startswith(("/api/", "/fhir/")):
            language = get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if not request.path_info.startswith(("/api/", "/fhir/")):
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
            or request.path_info.startswith(("/api/", "/fhir/"))
            or (match is not None and "token" in match.kwargs)
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response


# The session key holding when the session's expiry was last slid forward (epoch seconds).
_TOUCHED = "_kobling_touched"


def session_touched_at_sign_in(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """A new session starts touched: the sign-in saves it anyway, so the first page after it
    need not write again (``user_logged_in``, connected in WebConfig.ready)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[_TOUCHED] = int(time.time())


class SessionTouchMiddleware:
    """The 30-minute idle sign-out (``SESSION_COOKIE_AGE``) slides forward as the user works, but
    at most once every ``KOBLING_SESSION_TOUCH_SECONDS`` (60): saving the session on every
    request (``SESSION_SAVE_EVERY_REQUEST``) made every read a write — a transaction and an
    UPDATE of the session row per page — which under load costs more than the page's own
    queries. The price is that the idle time is counted from the last touch, up to a minute
    before the last request. Sessions without a key (anonymous, signed out, API tokens) are
    left alone. Sits just inside SessionMiddleware, so the session it marks is saved there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.session_key
            and not session.modified
            and not session.is_empty()
        ):
            now = int(time.time())
            if now - int(session.get(_TOUCHED, 0)) >= settings.KOBLING_SESSION_TOUCH_SECONDS:
                session[_TOUCHED] = now
        return response
