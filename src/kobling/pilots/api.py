"""The pilots in the API: the list, one pilot, and its health account (aggregates only; the
national analyst and the pilot's named owners)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.viewsets import ScopedReadOnlyViewSet
from kobling.pilots.models import Pilot
from kobling.pilots.selectors import pilot_report
from kobling.pilots.serializers import AccountSerializer, PilotSerializer, account_data


class PilotViewSet(ScopedReadOnlyViewSet):
    """Pilots across municipalities. The national analyst sees every pilot, a named owner their
    own; everyone else gets 403."""

    queryset = Pilot.objects.all()
    serializer_class = PilotSerializer
    ordering_fields = ["period_start", "name"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("municipalities", "programmes").order_by(
            "-period_start", "name", "pk"
        )

    @extend_schema(
        summary="The pilot's health account (aggregates, small cells suppressed)",
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["get"])
    def account(self, request: Request, pk: str | None = None) -> Response:
        return Response(account_data(pilot_report(self.get_object())))


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("pilots", PilotViewSet, basename="pilot")


extra_urls: list = []
