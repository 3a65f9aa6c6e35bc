"""API for research exports (municipal administrators only): list and read the export records,
and create an export — the response to the POST is the ZIP itself, which is never stored."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from kobling.core.viewsets import ScopedReadOnlyViewSet
from kobling.research import services
from kobling.research.models import ResearchExport
from kobling.research.selectors import export_list_queryset
from kobling.research.serializers import ResearchExportCreateSerializer, ResearchExportSerializer
from kobling.research.views import zip_response


class ResearchExportViewSet(
    ScopedReadOnlyViewSet,
):
    """Research exports of the municipalities you administer. Coordinators and everyone else get
    403; another municipality's export is 404."""

    queryset = ResearchExport.objects.all()
    serializer_class = ResearchExportSerializer
    ordering_fields = ["created_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return export_list_queryset(queryset)

    @extend_schema(
        request=ResearchExportCreateSerializer,
        responses={
            (201, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The dataset: README.txt, data_dictionary.csv and one CSV per "
                "file. Headers X-Export-Id and X-Export-SHA256 name the export's record.",
            ),
            400: OpenApiResponse(description="Field errors, or no consenting participants."),
        },
        summary="Create a research export and download it (ZIP)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        data = ResearchExportCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        result = services.research_export_create(
            by=request.user, programmes=list(values.pop("programmes")), **values
        )
        response = zip_response(result, status=201)
        response["Location"] = f"/api/v1/research-exports/{result.export.pk}/"
        return response


def register(router) -> None:  # noqa: ANN001
    router.register("research-exports", ResearchExportViewSet, basename="research-export")


extra_urls: list = []
