"""The product shell: sign-in, two-factor, home, the 500 page."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_guid.context import guid
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.services import revoke_tokens
from kobling.tenancy.two_factor import check_code
from kobling.web.forms import InvitationAwarePasswordResetForm, LoginForm, TOTPForm
from kobling.web.worklist import work_list


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):  # noqa: ANN001, ANN201
        response = super().form_valid(form)
        audit_log(
            user=self.request.user,
            action=AuditAction.LOGIN,
            object_type="auth.session",
            object_repr=self.request.user.get_username(),
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/password_reset.html"
    form_class = InvitationAwarePasswordResetForm
    success_url = reverse_lazy("web:password_reset_done")


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Choosing a password from an invitation or a reset link (single-use, expires)."""

    template_name = "web/password_set.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form):  # noqa: ANN001, ANN201
        response = super().form_valid(form)
        revoke_tokens(form.user)  # a new password signs every API client out
        audit_log(
            user=form.user,
            action=AuditAction.UPDATE,
            object_type="auth.user",
            object_id=str(form.user.pk),
            object_repr=_("Password set"),
        )
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"work_list": work_list(request.user)})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


PENDING_TOTP_KEY = "kobling.pending_totp_key"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (first time) or verify (each sign-in) a TOTP authenticator."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        # Until a code confirms it, the new key lives in the session: showing the page writes
        # no device (GET requests never write); the first code sent stores it.
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            key = request.session.setdefault(PENDING_TOTP_KEY, default_key())
            device = TOTPDevice(user=user, name="default", confirmed=False, key=key)
            if request.method == "POST":
                device.save()
                request.session.pop(PENDING_TOTP_KEY, None)
    form = TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = check_code(device, form.cleaned_data["code"])
        if check.ok:
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                revoke_tokens(user)  # tokens issued without a code no longer do
                audit_log(
                    user=user,
                    action=AuditAction.UPDATE,
                    object_type="otp.totpdevice",
                    object_id=str(device.pk),
                    object_repr=_("Two-factor enabled"),
                )
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in confirmed."))
            return redirect("web:home")
        if check.wait_seconds:
            form.add_error(
                "code",
                ngettext(
                    "Too many wrong codes in a row. Wait %(n)d second, then enter the newest "
                    "code from the app.",
                    "Too many wrong codes in a row. Wait %(n)d seconds, then enter the newest "
                    "code from the app.",
                    check.wait_seconds,
                )
                % {"n": check.wait_seconds},
            )
        else:
            form.add_error(
                "code",
                _(
                    "The code is wrong or has expired. Check the six digits and enter the "
                    "newest code from the app; each code can be used once."
                ),
            )
    context = {"form": form, "setting_up": setting_up, "required": user.requires_two_factor}
    if setting_up:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "web/two_factor.html", context)


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:  # noqa: ANN001, ANN002, ANN003
    """Lock-out answer from django-axes: JSON for the API, a page for people."""
    if request.path.startswith("/api/"):
        # The lock lasts the cool-off (AXES_COOLOFF_TIME, in hours): the client is told so.
        wait = int(float(settings.AXES_COOLOFF_TIME) * 3600)
        response = JsonResponse(
            {
                "detail": _(
                    "Too many failed sign-in attempts. The account is locked for 30 minutes."
                ),
                "code": "locked_out",
                "wait": wait,
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    return render(request, "web/locked_out.html", status=429)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, with the request id to quote to support (it is on every log line of the
    request). Rendered without the request's context processors: the database may be why we
    are here."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": guid.get() or ""}))
