from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.serializers import FieldsOnceMixin
from kobling.core.versions import require_version_on_update, version_field
from kobling.helpers.choices import HelperStatus, LeftReason, Weekday
from kobling.helpers.models import (
    Activity,
    AvailabilityWindow,
    CheckIn,
    Helper,
    HelperStatusChange,
    TargetGroup,
)
from kobling.helpers.services import EDITABLE_FIELDS, Window
from kobling.tenancy.models import Municipality, Programme


class ActivitySerializer(FieldsOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "code", "name_nb", "name_en", "is_active"]


class TargetGroupSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = TargetGroup
        fields = ["id", "code", "name_nb", "name_en", "is_active"]


class AvailabilityWindowSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)

    class Meta:
        model = AvailabilityWindow
        fields = ["weekday", "start_time", "end_time"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError(
                {"end_time": _("The window must end after it starts.")}
            )
        return attrs


@extend_schema_field(OpenApiTypes.INT)
class ManagedMunicipalityField(serializers.PrimaryKeyRelatedField):
    """Only municipalities where the caller manages the register can be chosen."""

    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Municipality.objects.filter(pk__in=sorted(managed_municipality_ids(user)))


@extend_schema_field(OpenApiTypes.INT)
class ManagedProgrammeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Programme.objects.filter(municipality__in=sorted(managed_municipality_ids(user)))


class HelperSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A helper in the register. On update, send back the ``version`` you read: if someone else
    saved in between, the API answers 409 and nothing is changed."""

    municipality = ManagedMunicipalityField()
    programme = ManagedProgrammeField()
    activities = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Activity.objects.filter(is_active=True),
        required=False,
    )
    target_groups = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
    )
    availability = AvailabilityWindowSerializer(many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    version = serializers.IntegerField(
        required=False, help_text=_("The version you read; required when updating.")
    )
    is_available_for_matching = serializers.BooleanField(read_only=True)
    # Declared: DRF drops allow_blank from a read-only model field, so the schema said never "".
    left_reason = serializers.ChoiceField(
        choices=LeftReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Helper
        fields = [
            "id",
            "municipality",
            "programme",
            *EDITABLE_FIELDS,
            "activities",
            "target_groups",
            "availability",
            "status",
            "status_since",
            "paused_until",
            "left_reason",
            "availability_confirmed_at",
            "is_unconfirmed",
            "is_available_for_matching",
            "source",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "status",
            "status_since",
            "paused_until",
            "left_reason",
            "availability_confirmed_at",
            "is_unconfirmed",
            "source",
            "created_at",
            "updated_at",
        ]
        # Uniqueness is checked by the service (full_clean) with the model's own message.
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            require_version_on_update(self, attrs)
            for fixed in ("municipality", "programme"):
                if fixed in attrs and attrs[fixed] != getattr(self.instance, fixed):
                    raise serializers.ValidationError(
                        {fixed: _("Cannot be changed; register the helper again instead.")}
                    )
        return attrs

    @staticmethod
    def split(attrs: dict[str, Any]) -> dict[str, Any]:
        windows = attrs.pop("availability", None)
        return {
            "data": {k: v for k, v in attrs.items() if k in EDITABLE_FIELDS},
            "activities": attrs.pop("activities", None),
            "target_groups": attrs.pop("target_groups", None),
            "availability": None if windows is None else [Window(**w) for w in windows],
        }


class HelperStatusSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=HelperStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    paused_until = serializers.DateField(required=False, allow_null=True)
    left_reason = serializers.ChoiceField(
        choices=LeftReason.choices, required=False, allow_blank=True
    )
    version = version_field()


class HelperStatusChangeSerializer(serializers.ModelSerializer):
    by = serializers.CharField(
        source="by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = HelperStatusChange
        fields = ["id", "from_status", "to_status", "at", "by", "reason", "paused_until"]


class CheckInSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "helper",
            "helper_name",
            "municipality",
            "created_at",
            "status",
            "sent_at",
            "reminder_sent_at",
            "answered_at",
            "answer",
            "pause_until",
            "lapsed_at",
            "expires_at",
        ]


class OverviewSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    available = serializers.IntegerField()
    free_capacity = serializers.IntegerField()
    unconfirmed = serializers.IntegerField()
    police_expiring = serializers.IntegerField(
        help_text="Police certificates expiring within 60 days"
    )
    police_expired_active = serializers.IntegerField(
        help_text="Active helpers without a valid police certificate where the programme requires one"
    )
    by_activity = serializers.ListField(child=serializers.DictField())
    by_area = serializers.ListField(child=serializers.DictField())


class ImportRequestSerializer(serializers.Serializer):
    programme = ManagedProgrammeField()
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate_file(self, upload):  # noqa: ANN001, ANN201
        from kobling.helpers.io import MAX_IMPORT_BYTES

        if upload.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than 5 MB. Split it into smaller files.")
            )
        return upload


# What a training contact sees of their own record: not the coordinator's screening notes.
SELF_HIDDEN_FIELDS = ("screening_notes", "references_checked", "interview_date")


class HelperSelfSerializer(HelperSerializer):
    """A training contact's own profile, read-only, without the coordinator's internal notes."""

    class Meta(HelperSerializer.Meta):
        fields = [f for f in HelperSerializer.Meta.fields if f not in SELF_HIDDEN_FIELDS]
        read_only_fields = fields
