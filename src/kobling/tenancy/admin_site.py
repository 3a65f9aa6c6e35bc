"""The Django admin site, for superusers only.

Django lets any active *staff* user with model permissions into the admin. Kobling gives no one
model permissions on purpose (roles live in memberships), but a staff flag set by mistake should
still open nothing: the admin answers to superusers alone, and every look at a person's record
in it is audited (:mod:`kobling.tenancy.admin_mixins`)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class KoblingAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class KoblingAdminConfig(AdminConfig):
    default_site = "kobling.tenancy.admin_site.KoblingAdminSite"
