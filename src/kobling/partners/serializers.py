"""API shapes for partners and agreements. On update, send back the ``version`` you read: if
someone else changed the record since, the answer is 409 and nothing is saved."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.core.serializers import enum_field
from kobling.core.versions import require_version_on_update, version_field
from kobling.partners.choices import (
    AgreementKind,
    AgreementStatus,
    BookingStatus,
    Clause,
    KeyAction,
    MeetingKind,
    PartnerKind,
    PremisesKind,
    PreventionLevel,
)
from kobling.partners.models import (
    Agreement,
    Booking,
    IncidentNote,
    KeyLogEntry,
    Meeting,
    MeetingInvitation,
    Partner,
    Premises,
    watchdog_sentence,
)
from kobling.tenancy.models import Municipality, Programme, User


class AgreementSerializer(serializers.ModelSerializer):
    kind = enum_field(AgreementKind.choices)
    clauses = serializers.ListField(
        child=enum_field(Clause.choices), required=False, help_text="Clauses the agreement covers."
    )
    status = serializers.SerializerMethodField(help_text="Derived from the dates, today.")
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    premises = serializers.PrimaryKeyRelatedField(
        queryset=Premises.objects.all(), many=True, required=False, help_text="Premises it covers."
    )
    watchdog_sentence = serializers.SerializerMethodField(
        help_text="The municipality's watchdog-role sentence, stated on every agreement."
    )
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
            "premises",
            "status",
            "watchdog_sentence",
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
            self.fields["premises"].child_relation.queryset = Premises.objects.visible_to(
                request.user, "change"
            )
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # The partner of an agreement does not change.
            self.fields["partner"].read_only = True

    @extend_schema_field(enum_field(AgreementStatus.choices))
    def get_status(self, obj: Agreement) -> str:
        return obj.status_on(timezone.localdate())

    def get_watchdog_sentence(self, obj: Agreement) -> str:
        # One query per municipality per response, not per agreement.
        cache = self.context.setdefault("_watchdog", {}) if self.context is not None else {}
        if obj.municipality_id not in cache:
            cache[obj.municipality_id] = watchdog_sentence(obj.municipality_id)
        return cache[obj.municipality_id]

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
    municipal_contact = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        help_text="The partner's contact person in the municipality (a user id).",
    )
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
            "municipal_contact",
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
            self.fields["municipal_contact"].queryset = User.objects.filter(
                memberships__municipality__in=sorted(managed_municipality_ids(request.user))
            ).distinct()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["municipality"].read_only = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs


# --- premises, bookings, the key log, incidents, meetings -----------------------------------


class PremisesSerializer(serializers.ModelSerializer):
    kind = enum_field(PremisesKind.choices)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = Premises
        fields = [
            "id",
            "municipality",
            "name",
            "kind",
            "address",
            "capacity",
            "owner",
            "keys",
            "locking",
            "cleaning",
            "alarm",
            "contact_name",
            "contact_phone",
            "is_active",
            "version",
        ]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["owner"].queryset = Partner.objects.visible_to(request.user, "change")
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["municipality"].read_only = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs


class PremisesBookingSerializer(serializers.ModelSerializer):
    status = enum_field(BookingStatus.choices, read_only=True)
    partner_name = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "municipality",
            "premises",
            "partner",
            "partner_name",
            "title",
            "starts_at",
            "ends_at",
            "series",
            "status",
            "booked_by_name",
            "cancelled_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_partner_name(self, obj: Booking) -> str:
        return obj.holder_name()


class PremisesBookingInputSerializer(serializers.Serializer):
    premises = serializers.PrimaryKeyRelatedField(queryset=Premises.objects.all())
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(),
        required=False,
        allow_null=True,
        help_text="The organisation it is for; empty: the municipality's own booking.",
    )
    title = serializers.CharField(max_length=160)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    repeat_until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Repeat weekly until this date (a term). All or nothing: a conflict on any "
        "date refuses the whole series with the dates listed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["premises"].queryset = Premises.objects.visible_to(request.user, "change")
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user, "change")


class BookingCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    whole_series = serializers.BooleanField(required=False, default=False)


class BookingCancelOutputSerializer(serializers.Serializer):
    cancelled = serializers.IntegerField()


class KeyLogEntrySerializer(serializers.ModelSerializer):
    action = enum_field(KeyAction.choices)
    premises = serializers.PrimaryKeyRelatedField(queryset=Premises.objects.all())
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    supersedes = serializers.PrimaryKeyRelatedField(
        queryset=KeyLogEntry.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = KeyLogEntry
        fields = [
            "id",
            "municipality",
            "premises",
            "key_label",
            "action",
            "partner",
            "holder_name",
            "happened_at",
            "note",
            "supersedes",
            "recorded_at",
        ]
        read_only_fields = ["municipality", "recorded_at"]
        extra_kwargs = {"holder_name": {"required": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["premises"].queryset = Premises.objects.visible_to(request.user, "change")
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user, "change")
            self.fields["supersedes"].queryset = KeyLogEntry.objects.visible_to(
                request.user, "change"
            )


class IncidentNoteSerializer(serializers.ModelSerializer):
    premises = serializers.PrimaryKeyRelatedField(queryset=Premises.objects.all())
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    booking = serializers.PrimaryKeyRelatedField(
        queryset=Booking.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = IncidentNote
        fields = [
            "id",
            "municipality",
            "premises",
            "booking",
            "partner",
            "happened_at",
            "description",
            "recorded_at",
        ]
        read_only_fields = ["municipality", "recorded_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["premises"].queryset = Premises.objects.visible_to(request.user, "change")
            self.fields["partner"].queryset = Partner.objects.visible_to(request.user, "change")
            self.fields["booking"].queryset = Booking.objects.visible_to(request.user, "change")


class PartnerMeetingInvitationSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    email = serializers.CharField(
        read_only=True, help_text="Where the invitation went; empty when the partner has none."
    )

    class Meta:
        model = MeetingInvitation
        fields = ["partner", "partner_name", "email", "invited_at", "attended"]
        read_only_fields = fields


class PartnerMeetingSerializer(serializers.ModelSerializer):
    kind = enum_field(MeetingKind.choices)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    booking = serializers.PrimaryKeyRelatedField(
        queryset=Booking.objects.all(), required=False, allow_null=True
    )
    invitations = PartnerMeetingInvitationSerializer(many=True, read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when updating."
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "municipality",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "place",
            "booking",
            "agenda",
            "minutes",
            "invitations",
            "version",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["booking"].queryset = Booking.objects.visible_to(request.user, "change")
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["municipality"].read_only = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        require_version_on_update(self, attrs)
        return attrs


class MeetingInviteInputSerializer(serializers.Serializer):
    partners = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all(), many=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["partners"].child_relation.queryset = Partner.objects.visible_to(
                request.user, "change"
            )


class MeetingAttendanceInputSerializer(serializers.Serializer):
    came = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the invited partners who came."
    )
    version = version_field()
