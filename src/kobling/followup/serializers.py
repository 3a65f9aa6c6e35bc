"""API shapes for pairings. Who sees what: coordinators and admins the whole pairing; the
training contact their own pairings with only the participant's first name and the meeting; the
referrer only the status and the dates of pairings for people they referred. Never health
details."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.followup.choices import EndReason, PairingStatus
from kobling.followup.models import Pairing
from kobling.matching.serializers import enum_field


class PairingSerializer(serializers.ModelSerializer):
    """A pairing as the coordinator sees it. Send back ``version`` with a change: if someone else
    changed the pairing in between, the answer is 409 and nothing is saved."""

    participant_name = serializers.CharField(source="participant.full_name", read_only=True)
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    confirmed_by = serializers.CharField(
        source="confirmed_by.get_username", default=None, read_only=True
    )
    status = enum_field(PairingStatus.choices, read_only=True)
    end_reason = enum_field([("", ""), *EndReason.choices], read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "municipality",
            "programme",
            "programme_name",
            "referral",
            "participant",
            "participant_name",
            "helper",
            "helper_name",
            "proposal",
            "slot",
            "status",
            "confirmed_at",
            "confirmed_by",
            "intro_meeting_at",
            "intro_meeting_place",
            "started_on",
            "ended_on",
            "end_reason",
            "end_note",
            "version",
        ]
        read_only_fields = fields


class ContactPairingSerializer(serializers.ModelSerializer):
    """A training contact's own pairing: the participant's first name and the meeting, nothing
    more (they learn the rest from the coordinator at the introduction meeting)."""

    participant_first_name = serializers.CharField(source="participant.first_name", read_only=True)
    status = enum_field(PairingStatus.choices, read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "status",
            "participant_first_name",
            "confirmed_at",
            "intro_meeting_at",
            "intro_meeting_place",
            "started_on",
            "ended_on",
        ]
        read_only_fields = fields


class ReferrerPairingSerializer(serializers.ModelSerializer):
    """For the referrer: that the person they referred has a contact, and since when."""

    status = enum_field(PairingStatus.choices, read_only=True)

    class Meta:
        model = Pairing
        fields = ["id", "referral", "status", "started_on", "ended_on"]
        read_only_fields = fields


def serializer_class_for(user: Any, pairing: Pairing) -> type[serializers.ModelSerializer]:
    if user.is_manager_of(pairing.municipality_id):
        return PairingSerializer
    if pairing.helper.user_id == user.pk:
        return ContactPairingSerializer
    return ReferrerPairingSerializer


class PairingViewSerializer(serializers.BaseSerializer):
    """Picks, per pairing, the shape the caller may see."""

    def to_representation(self, instance: Pairing) -> dict[str, Any]:
        user = self.context["request"].user
        return serializer_class_for(user, instance)(instance, context=self.context).data


class VersionMixin(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, allow_null=True, help_text="The version you read (409 if it changed)"
    )


class ActivateRequestSerializer(VersionMixin):
    started_on = serializers.DateField(required=False, allow_null=True)


class PauseRequestSerializer(VersionMixin):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class EndRequestSerializer(VersionMixin):
    reason = enum_field(EndReason.choices, help_text="Why the pair ended (required)")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    ended_on = serializers.DateField(required=False, allow_null=True)
    participant_continues = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The participant wants a new contact: back on the waiting list",
    )
    same_contact_ok = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="May the re-match propose the same contact again? By default not after no "
        "chemistry or the contact leaving.",
    )


class ScheduleIntroRequestSerializer(VersionMixin):
    intro_meeting_at = serializers.DateTimeField()
    intro_meeting_place = serializers.CharField(max_length=160)


class RematchRequestSerializer(serializers.Serializer):
    same_contact_ok = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The participant may be matched with the same contact again",
    )


class RematchResponseSerializer(serializers.Serializer):
    referral = serializers.IntegerField()
    status = serializers.CharField()
    avoid_helper = serializers.IntegerField(allow_null=True)


class PairingCreateSerializer(serializers.Serializer):
    """Confirm a proposal into a pairing (the same as POST matching/proposals/{id}/confirm)."""

    proposal = serializers.IntegerField(min_value=1)
    intro_meeting_at = serializers.DateTimeField(required=False, allow_null=True)
    intro_meeting_place = serializers.CharField(
        required=False, allow_blank=True, max_length=160, default=""
    )
