"""API shapes for providers, sites, trainers, placements and visits. Writes that change a
versioned row send back the ``version`` read (409 if stale). What a provider sees of a
placement is :class:`PlacementSerializer`: name, contact, activity, period — no health notes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import require_version_on_update, version_field
from kobling.matching.serializers import enum_field
from kobling.providers.choices import (
    ActivityProviderKind,
    CertificateKind,
    PlacementStatus,
    VisitSource,
)
from kobling.providers.models import (
    ActivityProvider,
    Placement,
    ProviderSite,
    ProviderVisit,
    Trainer,
    TrainerCertificate,
)
from kobling.referrals.models import Episode
from kobling.tenancy.models import Municipality


class ActivityProviderSerializer(serializers.ModelSerializer):
    kind = enum_field(ActivityProviderKind.choices)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = ActivityProvider
        fields = [
            "id",
            "municipality",
            "name",
            "organisation_number",
            "kind",
            "partner",
            "contact_name",
            "contact_phone",
            "contact_email",
            "is_active",
            "version",
        ]
        validators: list = []
        extra_kwargs = {"organisation_number": {"validators": []}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "municipality" in self.fields:
            self.fields["municipality"].queryset = Municipality.objects.filter(
                pk__in=sorted(managed_municipality_ids(request.user))
            )


class ProviderSiteSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = ProviderSite
        fields = [
            "id",
            "provider",
            "name",
            "street_address",
            "postcode",
            "post_town",
            "opening_hours",
            "accessibility",
            "is_active",
            "version",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "provider" in self.fields:
            self.fields["provider"].queryset = ActivityProvider.objects.visible_to(
                request.user, "change"
            )


class CertificateSerializer(serializers.ModelSerializer):
    kind = enum_field(CertificateKind.choices)

    class Meta:
        model = TrainerCertificate
        fields = ["id", "kind", "issuer", "number", "valid_from", "expires_on"]


class TrainerSerializer(serializers.ModelSerializer):
    certificates = CertificateSerializer(many=True, read_only=True)

    class Meta:
        model = Trainer
        fields = [
            "id",
            "provider",
            "first_name",
            "last_name",
            "email",
            "phone",
            "is_active",
            "certificates",
            "version",
        ]
        read_only_fields = ["version", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "provider" in self.fields:
            self.fields["provider"].queryset = ActivityProvider.objects.visible_to(request.user)


class PlacementSerializer(serializers.ModelSerializer):
    """A placement as both the municipality and the provider see it: the person's name and
    contact, the recommended activity and the period."""

    status = enum_field(PlacementStatus.choices, read_only=True)
    name = serializers.CharField(source="episode.participant.full_name", read_only=True)
    phone = serializers.CharField(source="episode.participant.phone", read_only=True)
    email = serializers.CharField(source="episode.participant.email", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "episode",
            "provider",
            "provider_name",
            "site",
            "trainer",
            "name",
            "phone",
            "email",
            "activity",
            "starts_on",
            "ends_on",
            "status",
            "answer_by",
            "answered_at",
            "decline_reason",
            "version",
        ]
        read_only_fields = fields


class PlacementCreateSerializer(serializers.Serializer):
    episode = serializers.PrimaryKeyRelatedField(queryset=Episode.objects.all())
    provider = serializers.PrimaryKeyRelatedField(queryset=ActivityProvider.objects.all())
    site = serializers.PrimaryKeyRelatedField(
        queryset=ProviderSite.objects.all(), required=False, allow_null=True
    )
    trainer = serializers.PrimaryKeyRelatedField(
        queryset=Trainer.objects.all(), required=False, allow_null=True
    )
    activity = serializers.CharField(max_length=300)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["episode"].queryset = Episode.objects.visible_to(user, "change")
            self.fields["provider"].queryset = ActivityProvider.objects.visible_to(user, "change")
            self.fields["site"].queryset = ProviderSite.objects.visible_to(user, "change")
            self.fields["trainer"].queryset = Trainer.objects.visible_to(user)


class PlacementAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    trainer = serializers.PrimaryKeyRelatedField(
        queryset=Trainer.objects.all(), required=False, allow_null=True
    )
    version = version_field()


class PlacementWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    version = version_field()


class ProviderVisitSerializer(serializers.ModelSerializer):
    source = enum_field(VisitSource.choices, read_only=True)
    superseded = serializers.SerializerMethodField()

    class Meta:
        model = ProviderVisit
        fields = [
            "id",
            "placement",
            "episode",
            "provider",
            "external_id",
            "source",
            "visited_on",
            "minutes",
            "attended",
            "supersedes",
            "correction_reason",
            "superseded",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_superseded(self, obj: ProviderVisit) -> bool:
        return hasattr(obj, "superseded_by")


class VisitInSerializer(serializers.Serializer):
    """One check-in from the provider's system."""

    visit_id = serializers.CharField(max_length=80, help_text="Your system's id for the visit.")
    placement = serializers.IntegerField(help_text="The placement number Kobling gave you.")
    date = serializers.DateField()
    minutes = serializers.IntegerField(min_value=1, max_value=600)


class VisitImportSerializer(serializers.Serializer):
    csv = serializers.CharField(
        help_text="The file's text: columns visit_id, placement, date, minutes.",
        trim_whitespace=False,
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    already = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)
