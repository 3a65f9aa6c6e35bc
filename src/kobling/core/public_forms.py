"""Spam protection for the public forms (contact sign-up, citizens' applications) without
third-party services: a signed time trap and a per-address rate limit. (The honeypot field lives
in each form.)"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kobling.core.shared_cache import shared_cache
from kobling.tenancy.middleware import client_ip


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def min_seconds() -> int:
    """A person needs at least this long to fill in a form."""
    return _setting("KOBLING_SIGNUP_MIN_SECONDS", 3)


def max_age_seconds() -> int:
    return _setting("KOBLING_SIGNUP_MAX_AGE_SECONDS", 4 * 3600)


def rate_limit() -> tuple[int, int]:
    """(submissions, per seconds) from one address."""
    return _setting("KOBLING_SIGNUP_RATE_LIMIT", 5), _setting("KOBLING_SIGNUP_RATE_WINDOW", 3600)


class PublicFormGuard:
    """The time trap and rate limit of one public form; ``salt`` keeps the forms' tokens and
    counters apart."""

    def __init__(self, salt: str) -> None:
        self.salt = salt

    def token(self, municipality_code: str, *, issued_at: float | None = None) -> str:
        """The signed timestamp put in the form when it is shown."""
        issued = int(time.time() if issued_at is None else issued_at)
        return signing.dumps({"m": municipality_code, "t": issued}, salt=self.salt)

    def token_problem(self, token: str, municipality_code: str) -> str | None:
        """Why the form's timestamp is not acceptable, or None."""
        try:
            payload = signing.loads(token or "", salt=self.salt)
            issued = int(payload["t"])
            ok = payload["m"] == municipality_code
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            ok, issued = False, 0
        age = time.time() - issued
        if not ok or age > max_age_seconds():
            return _(
                "The form has been open for a long time. Please check your answers and send it again."
            )
        if age < min_seconds():
            return _("That was quick! Please check your answers and send the form again.")
        return None

    def _key(self, request: HttpRequest) -> str:
        # The address is kept only as a keyed hash.
        ip = client_ip(request) or "unknown"
        return f"kobling:{self.salt}:" + salted_hmac(self.salt, ip).hexdigest()[:32]

    def rate_limited(self, request: HttpRequest) -> bool:
        limit, _window = rate_limit()
        return (shared_cache().get(self._key(request)) or 0) >= limit

    def count(self, request: HttpRequest) -> None:
        _limit, window = rate_limit()
        key = self._key(request)
        cache = shared_cache()  # every web process counts together
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
