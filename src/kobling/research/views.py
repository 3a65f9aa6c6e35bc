"""Pages for research exports (municipal administrators only): the list of earlier exports, one
export's record, and the form whose POST creates an export and returns its ZIP. Nobody else
gets further than 403; another municipality's export is 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, ListView

from kobling.core.views import ScopedMixin, add_service_errors
from kobling.research import services
from kobling.research.forms import ResearchExportForm
from kobling.research.models import ResearchExport
from kobling.research.selectors import export_list_queryset
from kobling.tenancy.choices import Role


def zip_response(result: services.ExportResult, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(result.content, content_type="application/zip", status=status)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Content-Length"] = str(len(result.content))
    response["X-Export-Id"] = str(result.export.pk)
    response["X-Export-SHA256"] = result.export.sha256
    response["Cache-Control"] = "no-store"
    return response


class ExportListView(ScopedMixin, ListView):
    model = ResearchExport
    template_name = "research/export_list.html"
    context_object_name = "exports"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        return export_list_queryset(super().get_queryset())


class ExportDetailView(ScopedMixin, DetailView):
    model = ResearchExport
    template_name = "research/export_detail.html"
    context_object_name = "export"

    def get_queryset(self):  # noqa: ANN201
        return export_list_queryset(super().get_queryset())


@login_required
@require_http_methods(["GET", "POST"])
def export_create_page(request: HttpRequest) -> HttpResponse:
    if not request.user.municipality_ids(Role.MUNICIPAL_ADMIN):
        raise PermissionDenied
    form = ResearchExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = dict(form.cleaned_data)
        try:
            result = services.research_export_create(
                by=request.user, programmes=list(data.pop("programmes")), **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return zip_response(result)
    return render(request, "research/export_form.html", {"form": form})
