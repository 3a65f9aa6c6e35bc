from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from kobling.tenancy.api import AuditFilterSet
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import AuditEntry

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
                        e.username,
                        e.municipality_id,
                        e.action,
                        e.object_type,
                        e.object_id,
                        e.object_repr,
                        e.via,
                        e.ip_address or "",
                        e.changes,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "tenancy/audit_list.html", {"filter": filterset, "page": page})
