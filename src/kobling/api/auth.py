"""Token sign-in for API clients: POST {"username","password"[, "otp"]} → {"token"}.

Goes through Django's authenticate() so the lock-out (django-axes) applies to the API as well;
municipal admins with two-factor must also send their current TOTP code."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.shared_cache import SharedScopedRateThrottle
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.two_factor import check_code


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Current TOTP code, required for users with two-factor"),
    )


class ObtainTokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SharedScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        summary="Obtain an API token",
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            return Response(
                {"detail": _("Wrong username or password, or the account is locked.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        devices = list(devices_for_user(user, confirmed=True))
        if devices or user.requires_two_factor:
            code = data.validated_data.get("otp", "")
            if not devices:
                return Response(
                    {"detail": _("Set up two-factor sign-in in the web app before using the API.")},
                    status=status.HTTP_403_FORBIDDEN,
                )
            if not code or not any(check_code(d, code).ok for d in devices):
                return Response(
                    {"otp": [_("A valid two-factor code is required.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        token = Token.objects.filter(user=user).first()
        if token is not None and token.created < timezone.now() - dt.timedelta(
            days=settings.KOBLING_API_TOKEN_DAYS
        ):
            token.delete()
            token = None
        if token is None:
            token = Token.objects.create(user=user)
        audit_log(
            user=user,
            action=AuditAction.LOGIN,
            object_type="api.token",
            object_repr=user.get_username(),
        )
        return Response({"token": token.key})
