"""Authentication classes for the API (kept free of view imports: DRF loads them from settings)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session sign-in for htmx calls and the browser — but a user who must use two-factor and
    has not passed it in this session is not authenticated here either."""

    def authenticate(self, request):  # noqa: ANN001, ANN201
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if user.must_pass_two_factor and not user.is_verified():
            return None
        return result


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …`` with a lifetime (KOBLING_API_TOKEN_DAYS). Tokens are also
    deleted when the user's roles, password or two-factor change (see kobling.tenancy.services.revoke_tokens), so a token
    never outlives the conditions it was issued under."""

    def authenticate_credentials(self, key):  # noqa: ANN001, ANN201
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - dt.timedelta(days=settings.KOBLING_API_TOKEN_DAYS):
            raise exceptions.AuthenticationFailed(_("The token has expired. Ask for a new one."))
        return user, token
