"""API shapes for supervision. Changing a group takes the ``version`` you read (409 if it
changed since)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.core.serializers import enum_field
from kobling.core.versions import version_field
from kobling.helpers.models import Helper
from kobling.support.choices import EntryKind, MeetingStatus, PoolEntryKind
from kobling.support.models import (
    PoolEntry,
    PoolRun,
    SupervisionEntry,
    SupervisionGroup,
    SupervisionMeeting,
    SupervisionSettings,
)
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Programme, User


def _managed(serializer: serializers.Serializer) -> list[int] | None:
    request = serializer.context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    return sorted(request.user.municipality_ids(*MANAGER_ROLES))


class SupervisionSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionSettings
        fields = [
            "id",
            "programme",
            "allowance_hours",
            "return_month",
            "return_day",
            "alert_weeks",
            "version",
        ]
        read_only_fields = fields


class SupervisionGroupSerializer(serializers.ModelSerializer):
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.all())
    leader = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    members = serializers.PrimaryKeyRelatedField(
        queryset=Helper.objects.all(), many=True, required=False
    )

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "municipality",
            "programme",
            "name",
            "leader",
            "leader_name",
            "members",
            "meeting_minutes",
            "is_active",
            "version",
        ]
        read_only_fields = ["municipality", "version"]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = _managed(self)
        if managed is None:
            return
        # Only what the user may manage can be named (others are "does not exist").
        self.fields["programme"].queryset = Programme.objects.filter(municipality__in=managed)
        self.fields["members"].child_relation.queryset = Helper.objects.filter(
            municipality__in=managed
        )
        self.fields["leader"].queryset = User.objects.filter(
            memberships__municipality__in=managed
        ).distinct()


class SupervisionGroupUpdateSerializer(SupervisionGroupSerializer):
    version = version_field()

    class Meta(SupervisionGroupSerializer.Meta):
        read_only_fields = ["municipality", "programme"]


class SupervisionMeetingSerializer(serializers.ModelSerializer):
    status = enum_field(MeetingStatus.choices, read_only=True)
    group = serializers.PrimaryKeyRelatedField(queryset=SupervisionGroup.objects.all())

    class Meta:
        model = SupervisionMeeting
        fields = ["id", "group", "date", "start_time", "minutes", "topic", "status"]
        extra_kwargs = {"minutes": {"required": False}}
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["group"].queryset = SupervisionGroup.objects.visible_to(
                request.user, "record"
            )


class AttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(
        child=serializers.IntegerField(), help_text="The members (helper ids) who came."
    )


class SupervisionEntrySerializer(serializers.ModelSerializer):
    kind = enum_field(EntryKind.choices, read_only=True)
    helper = serializers.PrimaryKeyRelatedField(queryset=Helper.objects.all())

    class Meta:
        model = SupervisionEntry
        fields = [
            "id",
            "helper",
            "programme",
            "kind",
            "date",
            "hours",
            "meeting",
            "supervisor",
            "topic",
            "corrects",
            "at",
        ]
        read_only_fields = ["programme", "kind", "meeting", "corrects", "at"]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = _managed(self)
        if managed is not None:
            self.fields["helper"].queryset = Helper.objects.filter(municipality__in=managed)


class PoolRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PoolRun
        fields = ["id", "programme", "year", "on", "returned_hours", "shared_hours", "at"]
        read_only_fields = ["year", "on", "returned_hours", "shared_hours", "at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = _managed(self)
        if managed is not None:
            self.fields["programme"].queryset = Programme.objects.filter(municipality__in=managed)


class PoolEntrySerializer(serializers.ModelSerializer):
    kind = enum_field(PoolEntryKind.choices, read_only=True)

    class Meta:
        model = PoolEntry
        fields = ["id", "run", "programme", "year", "helper", "kind", "hours"]
        read_only_fields = fields


# --- Training evaluated (Kirkpatrick): every count is a number or "<5", every mean a number,
# "<5" or null (nothing to compute) — lib/suppression.py.

Cell = serializers.JSONField


class ReactionItemSerializer(serializers.Serializer):
    item = serializers.CharField()
    answers = Cell()
    mean = Cell()


class ReactionSerializer(serializers.Serializer):
    answered = Cell()
    items = ReactionItemSerializer(many=True)
    comments = serializers.ListField(child=serializers.CharField())


class LearningItemSerializer(serializers.Serializer):
    item = serializers.CharField()
    pairs = Cell()
    before = Cell()
    after = Cell()
    change = Cell()


class LearningSerializer(serializers.Serializer):
    before = Cell()
    after = Cell()
    pairs = Cell()
    change = Cell()
    items = LearningItemSerializer(many=True)


class BehaviourSerializer(serializers.Serializer):
    qualified = Cell()
    judged_placed = Cell()
    placed = Cell()
    placed_share = Cell()
    judged_stayed = Cell()
    stayed = Cell()
    stayed_share = Cell()


class ResultsSerializer(serializers.Serializer):
    participants = Cell()
    ended = Cell()
    goal_reached = Cell()
    goal_reached_share = Cell()
    measured = Cell()
    minutes_change = Cell()


class EvaluationSerializer(serializers.Serializer):
    """Kirkpatrick's four levels for a course run or a provider's runs."""

    runs = serializers.IntegerField()
    reaction = ReactionSerializer()
    learning = LearningSerializer()
    behaviour = BehaviourSerializer()
    results = ResultsSerializer()
