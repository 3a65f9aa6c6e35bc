from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from kobling.core.invitations import password_reset_queue


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail or username"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class TOTPForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code from your authenticator app"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the six digits shown in the app.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class InvitationAwarePasswordResetForm(PasswordResetForm):
    """Django's reset form skips users without a usable password; for us those are invited users
    whose link was lost or expired, and a reset link is exactly what they need."""

    def get_users(self, email):  # noqa: ANN001, ANN201
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email and u.email.lower() == email.lower())

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        """Through the outbox, as every e-mail the system sends: retried when the mail server
        fails, listed on the outbox page, at most one per user every few minutes."""
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_queue(user=user)
