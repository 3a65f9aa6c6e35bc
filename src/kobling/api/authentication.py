"""Authentication classes for the API (kept free of view imports: DRF loads them from settings)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.authentication import SessionAuthentication


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session sign-in for htmx calls and the browser — but a user who must use two-factor and
    has not passed it in this session is not authenticated here either."""

    def authenticate(self, request):  # noqa: ANN001, ANN201
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if (
            settings.KOBLING_REQUIRE_2FA_FOR_ADMINS
            and user.requires_two_factor
            and not user.is_verified()
        ):
            return None
        return result
