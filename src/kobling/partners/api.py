"""API for partners and agreements: list, detail, create, update (coordinators and municipal
admins of the partner's municipality; everyone else 403, other municipalities 404)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from kobling.core.access import require_manager
from kobling.core.viewsets import ScopedViewSetMixin
from kobling.partners import services
from kobling.partners.filtersets import AgreementFilterSet, PartnerFilterSet
from kobling.partners.models import Agreement, Partner
from kobling.partners.selectors import partner_list_queryset
from kobling.partners.serializers import AgreementSerializer, PartnerSerializer

extra_urls: list = []


class _Writable(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    pass


@extend_schema_view(
    list=extend_schema(summary="Partners (filter by kind, programme, agreement status)"),
    create=extend_schema(summary="Register a partner"),
    update=extend_schema(summary="Change a partner (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of a partner's fields"),
)
class PartnerViewSet(_Writable):
    """The municipality's partner register, each partner with its agreements."""

    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    ordering_fields = ["name", "kind", "updated_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return partner_list_queryset(queryset)

    def _fresh(self, partner: Partner) -> Partner:
        return partner_list_queryset(Partner.objects.filter(pk=partner.pk)).get()

    def perform_create(self, serializer: PartnerSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        require_manager(
            self.request.user,
            municipality.pk,
            message="Only the municipality's coordinators and administrators can register its partners.",
        )
        attrs.pop("version", None)
        programmes = attrs.pop("programmes", None)
        partner = services.partner_create(
            by=self.request.user, municipality=municipality, data=attrs, programmes=programmes
        )
        serializer.instance = self._fresh(partner)

    def perform_update(self, serializer: PartnerSerializer) -> None:
        attrs: dict[str, Any] = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        programmes = attrs.pop("programmes", None)
        partner = services.partner_update(
            partner=serializer.instance,
            by=self.request.user,
            data=attrs,
            expected_version=version,
            programmes=programmes,
        )
        serializer.instance = self._fresh(partner)


@extend_schema_view(
    list=extend_schema(summary="Agreements with partners"),
    create=extend_schema(summary="Record an agreement with a partner"),
    update=extend_schema(summary="Change an agreement (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of an agreement's fields"),
)
class AgreementViewSet(_Writable):
    """Agreements with the municipality's partners; ``status`` is derived from the dates."""

    queryset = Agreement.objects.all()
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    ordering_fields = ["starts_on", "ends_on", "review_on"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("partner")

    def perform_create(self, serializer: AgreementSerializer) -> None:
        attrs = dict(serializer.validated_data)
        partner = attrs.pop("partner")
        attrs.pop("version", None)
        serializer.instance = services.agreement_create(
            partner=partner, by=self.request.user, data=attrs
        )

    def perform_update(self, serializer: AgreementSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("partner", None)
        version = attrs.pop("version")
        serializer.instance = services.agreement_update(
            agreement=serializer.instance,
            by=self.request.user,
            data=attrs,
            expected_version=version,
        )


def register(router) -> None:  # noqa: ANN001
    router.register("partners", PartnerViewSet, basename="partner")
    router.register("agreements", AgreementViewSet, basename="agreement")
