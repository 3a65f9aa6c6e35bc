"""The provider's own system signs in to ``/api/v1/provider/…`` with a provider API key:
``Authorization: Provider kpv_…``. The key is scoped to its provider — it reaches that
provider's accepted placements and nothing else, no person's record beyond them — and is kept
only as its SHA-256 (:func:`kobling.providers.services.token_issue`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from kobling.providers.models import ProviderToken
from kobling.providers.services import hash_key

KEYWORD = b"provider"


class ProviderClient:
    """Who a provider key signs in as: the provider's system (not a person)."""

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, token: ProviderToken) -> None:
        self.token = token
        self.provider = token.provider

    def get_username(self) -> str:
        return f"provider-key:{self.token.prefix}"

    def __str__(self) -> str:
        return self.get_username()


class ProviderTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[ProviderClient, ProviderToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send one provider key after 'Provider'."))
        token = (
            ProviderToken.objects.select_related("provider")
            .filter(key_hash=hash_key(parts[1].decode(errors="replace")), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.provider.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked provider key."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ProviderToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return ProviderClient(token), token

    def authenticate_header(self, request: Any) -> str:
        return "Provider"


class IsProviderClient(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, ProviderToken)


class ProviderKeyScheme(OpenApiAuthenticationExtension):
    target_class = "kobling.providers.auth.ProviderTokenAuthentication"
    name = "providerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Provider <key>`: a key issued to one provider's system.",
        }
