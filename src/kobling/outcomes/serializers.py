"""API shapes for instruments, goals, reviews and follow-ups. Values are decimals (strings in
JSON); every score carries the instrument's code, version and unit as they were recorded."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.serializers import enum_field
from kobling.core.versions import version_field
from kobling.followup.choices import HandoverDestination
from kobling.outcomes.choices import FollowUpStatus, GoalStatus, InstrumentKind, ReviewKind
from kobling.outcomes.models import FollowUp, Goal, Instrument, InstrumentItem, Review, ReviewScore


class InstrumentItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = InstrumentItem
        fields = ["value", "label"]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    """An instrument with its range and labelled scale points, in the caller's language."""

    name = serializers.CharField(read_only=True)
    help = serializers.CharField(read_only=True)
    kind = enum_field(InstrumentKind.choices, read_only=True)
    items = InstrumentItemSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "unit",
            "min_value",
            "max_value",
            "decimals",
            "is_core",
            "help",
            "items",
        ]
        read_only_fields = fields


class GoalSerializer(serializers.ModelSerializer):
    """A goal in the participant's own words. Send back ``version`` with a change: if someone
    else changed the goal in between, the answer is 409 and nothing is saved."""

    status = enum_field(GoalStatus.choices, read_only=True)
    created_by = serializers.CharField(
        source="created_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "pairing",
            "episode",
            "text",
            "target_date",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class GoalCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True,
        max_length=2000,
        help_text="The goal in the participant's own words (required, at most 500 characters)",
    )
    target_date = serializers.DateField(required=False, allow_null=True)


class GoalUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    target_date = serializers.DateField(required=False, allow_null=True)
    status = enum_field(GoalStatus.choices, required=False)
    version = version_field()


class ScoreSerializer(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument_code", read_only=True)
    name = serializers.CharField(source="instrument.name", read_only=True)
    version = serializers.CharField(source="instrument_version", read_only=True)

    class Meta:
        model = ReviewScore
        fields = ["instrument", "name", "version", "value", "unit", "goal"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    """A review and its scores. ``superseded_by`` is set when a later correction replaced it;
    ``is_void`` marks a correction that withdrew a review recorded by mistake."""

    kind = enum_field(ReviewKind.choices, read_only=True)
    scores = ScoreSerializer(many=True, read_only=True)
    superseded_by = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(
        source="recorded_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "pairing",
            "episode",
            "kind",
            "date",
            "note",
            "scores",
            "supersedes",
            "superseded_by",
            "is_void",
            "correction_reason",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, review: Review) -> int | None:
        try:
            return review.superseded_by.pk
        except Review.superseded_by.RelatedObjectDoesNotExist:
            return None


class ScoreInputSerializer(serializers.Serializer):
    instrument = serializers.CharField(
        max_length=40, help_text="The instrument's code (see /instruments/)"
    )
    value = serializers.DecimalField(max_digits=12, decimal_places=4)
    goal = serializers.IntegerField(
        required=False, allow_null=True, help_text="For goal attainment: the goal scored"
    )


class ReviewCreateSerializer(serializers.Serializer):
    """A review with its scores; with ``supersedes``, a correction that replaces that review
    (give ``correction_reason``)."""

    kind = enum_field(ReviewKind.choices)
    date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    scores = ScoreInputSerializer(many=True, allow_empty=True)
    supersedes = serializers.IntegerField(required=False, allow_null=True)
    correction_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default=""
    )


class FollowUpSerializer(serializers.ModelSerializer):
    status = enum_field(FollowUpStatus.choices, read_only=True)
    where = enum_field([("", ""), *HandoverDestination.choices], read_only=True)
    recipient = enum_field(
        [("", ""), *FollowUp._meta.get_field("recipient").choices], read_only=True
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "pairing",
            "episode",
            "months",
            "due_on",
            "status",
            "recipient",
            "sent_at",
            "reminder_sent_at",
            "answered_at",
            "still_active",
            "minutes_per_week",
            "where",
            "where_other",
        ]
        read_only_fields = fields


class MaintenanceRowSerializer(serializers.Serializer):
    months = serializers.IntegerField()
    asked = serializers.IntegerField()
    answered = serializers.IntegerField()
    active = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    response_rate = serializers.FloatField(allow_null=True)
    median_minutes = serializers.DecimalField(
        max_digits=8, decimal_places=1, allow_null=True, coerce_to_string=False
    )


def maintenance_rows(figures: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"months": months, **row} for months, row in figures.items()]
