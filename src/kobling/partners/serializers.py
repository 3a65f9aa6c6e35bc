"""API shapes for partners and agreements. On update, send back the ``version`` you read: if
someone else changed the record since, the answer is 409 and nothing is saved."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.serializers import enum_field
from kobling.core.versions import require_version_on_update
from kobling.partners.choices import (
    AgreementKind,
    AgreementStatus,
    Clause,
    PartnerKind,
    PreventionLevel,
)
from kobling.partners.models import Agreement, Partner
from kobling.tenancy.models import Municipality, Programme


class AgreementSerializer(serializers.ModelSerializer):
    kind = enum_field(AgreementKind.choices)
    clauses = serializers.ListField(
        child=enum_field(Clause.choices), required=False, help_text="Clauses the agreement covers."
    )
    status = serializers.SerializerMethodField(help_text="Derived from the dates, today.")
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "partner",
            "municipality",
            "kind",
            "starts_on",
            "ends_on",
            "review_on",
            "covers",
            "clauses",
            "status",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["municipality", "created_at", "updated_at"]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "partner" in self.fields:
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user, "change")
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # The partner of an agreement does not change.
            self.fields["partner"].read_only = True

    @extend_schema_field(enum_field(AgreementStatus.choices))
    def get_status(self, obj: Agreement) -> str:
        return obj.status_on(timezone.localdate())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs


class PartnerSerializer(serializers.ModelSerializer):
    kind = enum_field(PartnerKind.choices)
    prevention_level = enum_field([("", ""), *PreventionLevel.choices], required=False)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    programmes = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(), many=True, required=False
    )
    agreements = AgreementSerializer(many=True, read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = Partner
        fields = [
            "id",
            "municipality",
            "name",
            "organisation_number",
            "kind",
            "prevention_level",
            "programmes",
            "contact_name",
            "contact_phone",
            "contact_email",
            "is_active",
            "agreements",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The service checks names, numbers and programmes, with messages in the user's language.
        validators: list = []
        extra_kwargs = {"organisation_number": {"validators": []}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only the programmes of municipalities the caller manages: another municipality's
            # programme gets the same answer as one that does not exist.
            self.fields["programmes"].child_relation.queryset = Programme.objects.filter(
                municipality__in=sorted(managed_municipality_ids(request.user))
            )
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["municipality"].read_only = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs
