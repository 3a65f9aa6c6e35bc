from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kobling.core.tenancy_api import AuditFilterSet
from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.lib.spreadsheet import neutralise
from kobling.tenancy import services
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.forms import (
    GrantForm,
    MunicipalitySettingsForm,
    ProgrammeCourseForm,
    ProgrammeForm,
)
from kobling.tenancy.models import AuditEntry, Membership, Municipality

EXPORT_COLUMNS = [
    "at",
    "username",
    "municipality_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "via",
    "ip_address",
    "changes",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Municipal admins search the audit log of their municipalities and export it as CSV."""
    if not request.user.municipality_ids(Role.MUNICIPAL_ADMIN):
        raise PermissionDenied
    filterset = AuditFilterSet(
        request.GET or None, queryset=AuditEntry.objects.visible_to(request.user)
    )
    entries = filterset.qs.select_related("municipality")
    if request.GET.get("export") == "csv":
        audit_log(
            user=request.user,
            action=AuditAction.EXPORT,
            object_type="tenancy.auditentry",
            object_repr="audit.csv",
            changes={"filters": dict(request.GET)},
        )
        writer = csv.writer(_Echo())

        def rows():  # noqa: ANN202
            yield writer.writerow(EXPORT_COLUMNS)
            for e in entries.iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        e.at.isoformat(),
                        neutralise(e.username),
                        e.municipality_id,
                        e.action,
                        e.object_type,
                        neutralise(e.object_id),
                        neutralise(e.object_repr),
                        neutralise(e.via),
                        e.ip_address or "",
                        neutralise(json.dumps(e.changes, ensure_ascii=False)),
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "tenancy/audit_list.html", {"filter": filterset, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def membership_list(request: HttpRequest) -> HttpResponse:
    """Municipal admins see who holds which role, grant roles (inviting new users) and revoke them."""
    if not request.user.municipality_ids(Role.MUNICIPAL_ADMIN):
        raise PermissionDenied
    form = GrantForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if "revoke" in request.POST:
            membership = get_visible_or_404(
                request,
                Membership.objects.select_related("user"),
                action="change",
                pk=request.POST.get("revoke"),
            )
            try:
                services.membership_revoke(by=request.user, membership=membership)
                messages.success(request, _("The role was removed."))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect("web:membership_list")
        if form.is_valid():
            try:
                services.membership_grant(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The role was given. New users get an e-mail to choose a password.")
                )
                return redirect("web:membership_list")
    memberships = Membership.objects.visible_to(request.user).select_related("user", "municipality")
    return render(
        request, "tenancy/membership_list.html", {"form": form, "memberships": memberships}
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Municipal admins set the check-in rhythm and run their programmes."""
    admin_of = sorted(request.user.municipality_ids(Role.MUNICIPAL_ADMIN))
    if not admin_of:
        raise PermissionDenied
    municipalities = list(
        Municipality.objects.filter(pk__in=admin_of).prefetch_related("programmes")
    )
    forms_by_id = {}
    saved = False
    for municipality in municipalities:
        prefix = f"m{municipality.pk}"
        bound = request.method == "POST" and request.POST.get("form") == prefix
        form = MunicipalitySettingsForm(
            request.POST if bound else None, instance=municipality, prefix=prefix
        )
        new_programme = ProgrammeForm(
            request.POST
            if request.method == "POST" and request.POST.get("form") == f"{prefix}-new"
            else None,
            prefix=f"{prefix}-new",
        )
        if bound and form.is_valid():
            try:
                services.municipality_update(
                    by=request.user,
                    municipality=municipality,
                    data={k: form.cleaned_data[k] for k in services.MUNICIPALITY_SETTINGS},
                )
                saved = True
            except ValidationError as exc:
                add_service_errors(form, exc)
        if new_programme.is_bound and new_programme.is_valid():
            try:
                services.programme_create(
                    by=request.user,
                    municipality=municipality,
                    data=dict(new_programme.cleaned_data),
                )
                saved = True
            except ValidationError as exc:
                add_service_errors(new_programme, exc)
        programme_forms = []
        for programme in municipality.programmes.all():
            key = f"p{programme.pk}"
            edit = ProgrammeCourseForm(
                request.POST
                if request.method == "POST" and request.POST.get("form") == key
                else None,
                instance=programme,
                prefix=key,
            )
            if edit.is_bound and edit.is_valid():
                data = dict(edit.cleaned_data)
                version = data.pop("version")
                with service_errors(edit) as outcome:
                    services.programme_update(
                        by=request.user, programme=programme, data=data, expected_version=version
                    )
                if outcome.ok:
                    saved = True
            programme_forms.append((programme, edit))
        forms_by_id[municipality.pk] = (municipality, form, new_programme, programme_forms)
    if saved:
        messages.success(request, _("Saved."))
        return redirect("web:settings")
    return render(request, "tenancy/settings.html", {"blocks": list(forms_by_id.values())})
