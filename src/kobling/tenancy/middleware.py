from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kobling.tenancy.audit import audit_context, set_audit_via


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind N trusted reverse proxies (KOBLING_TRUSTED_PROXY_COUNT), the
    N-th address from the right of X-Forwarded-For; otherwise REMOTE_ADDR."""
    proxies = settings.KOBLING_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Records, for the audit log, which screen or endpoint a request came through: the view's
    name once Django has resolved it (Django resolves each path once; this reads its match),
    the method and path until then."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(
            via=f"{request.method} {request.path_info}", ip_address=client_ip(request)
        ):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: object) -> None:
        match = request.resolver_match
        if match is not None and match.view_name:
            # Inside the context set above, which restores what was before it when it closes.
            set_audit_via(f"{request.method} {match.view_name}")


# Paths an admin without a verified second factor may still reach.
_TWO_FACTOR_EXEMPT_PREFIXES = ("/static/", "/healthz", "/readyz", "/konto/", "/i18n/", "/api/")


class TwoFactorRequiredMiddleware:
    """Municipal admins, and anyone who turned two-factor on, must pass TOTP before using the web
    app (the API token endpoint asks for the code itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(_TWO_FACTOR_EXEMPT_PREFIXES)
            and not user.is_verified()
            and user.must_pass_two_factor
        ):
            return redirect("web:two_factor")
        return self.get_response(request)
