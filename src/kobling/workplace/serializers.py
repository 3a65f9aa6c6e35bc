"""Serializers of workplace coaching. A meeting's notes are included only for the assignment's
coach and adviser; for everyone else the field is absent."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.versions import version_field
from kobling.helpers.models import Helper
from kobling.workplace.choices import Decision, Rating
from kobling.workplace.models import (
    SCALE,
    Assignment,
    CoachingMeeting,
    IAFigures,
    LeaderNetwork,
    NetworkMeeting,
    Workplace,
)


class WorkplaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workplace
        fields = ["id", "municipality", "name", "sector", "leader", "is_active", "version"]
        read_only_fields = ["id", "is_active", "version"]


class AssignmentSerializer(serializers.ModelSerializer):
    workplace_name = serializers.CharField(source="workplace.name", read_only=True)
    coach_name = serializers.SerializerMethodField()
    target = serializers.CharField(source="target_text", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "municipality",
            "workplace",
            "workplace_name",
            "status",
            "requested_on",
            "request",
            "adviser",
            "coach",
            "coach_name",
            "co_coach",
            "pre_meeting_on",
            "goals",
            "success",
            "target_low",
            "target_high",
            "target",
            "planned_meetings",
            "ordered_on",
            "decision",
            "decided_on",
            "closed_on",
            "reaction",
            "usefulness",
            "evaluation_comment",
            "evaluated_on",
            "version",
        ]
        read_only_fields = [f for f in fields if f not in ("workplace", "request", "requested_on")]
        extra_kwargs = {"requested_on": {"required": False}}

    # Blank until the continue-or-close decision is taken.
    decision = serializers.ChoiceField(choices=Decision.choices, allow_blank=True, read_only=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A workplace the caller may not see is as unknown as one that does not exist (400),
        # so the answer does not tell that an id is taken in another municipality.
        request = self.context.get("request")
        if request is not None:
            self.fields["workplace"].queryset = Workplace.objects.visible_to(request.user)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_coach_name(self, obj: Assignment) -> str | None:
        return obj.coach.full_name if obj.coach_id else None


class LinkSerializer(serializers.Serializer):
    version = version_field()
    coach = serializers.PrimaryKeyRelatedField(queryset=Helper.objects.all())
    co_coach = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    pre_meeting_on = serializers.DateField(required=False, allow_null=True, default=None)


class OrderSerializer(serializers.Serializer):
    version = version_field()
    goals = serializers.CharField()
    success = serializers.CharField(required=False, allow_blank=True, default="")
    target_low = serializers.IntegerField(validators=SCALE)
    target_high = serializers.IntegerField(
        validators=SCALE, required=False, allow_null=True, default=None
    )
    planned_meetings = serializers.IntegerField(min_value=1, max_value=50)


class DecisionSerializer(serializers.Serializer):
    version = version_field()
    decision = serializers.ChoiceField(choices=Decision.choices)


class EvaluationSerializer(serializers.Serializer):
    reaction = serializers.ChoiceField(choices=Rating.choices)
    usefulness = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScalePointSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    held_on = serializers.DateField()
    low = serializers.IntegerField()
    high = serializers.IntegerField(allow_null=True)


class ScalesSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    target_low = serializers.IntegerField(allow_null=True)
    target_high = serializers.IntegerField(allow_null=True)
    points = ScalePointSerializer(many=True)


class CoachingMeetingSerializer(serializers.ModelSerializer):
    scale = serializers.CharField(source="scale_text", read_only=True)
    version = serializers.IntegerField(required=False, help_text="The version you read (on update)")

    class Meta:
        model = CoachingMeeting
        fields = [
            "id",
            "assignment",
            "held_on",
            "participants",
            "notes",
            "scale_low",
            "scale_high",
            "scale",
            "homework",
            "version",
        ]
        read_only_fields = ["id"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As for an assignment's workplace: an assignment the caller may not see is unknown.
        request = self.context.get("request")
        if request is not None:
            self.fields["assignment"].queryset = Assignment.objects.visible_to(request.user)

    def to_representation(self, instance: CoachingMeeting) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not instance.assignment.may_read_notes(request.user):
            data.pop("notes", None)
        return data


class NetworkPlanRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    topic = serializers.CharField(max_length=200)


class LeaderNetworkSerializer(serializers.ModelSerializer):
    plan = NetworkPlanRowSerializer(many=True, write_only=True, required=False)

    class Meta:
        model = LeaderNetwork
        fields = ["id", "municipality", "name", "members", "facilitators", "plan", "version"]
        read_only_fields = ["id", "version"]


class NetworkMeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkMeeting
        fields = [
            "id",
            "network",
            "date",
            "topic",
            "held",
            "attended",
            "homework",
            "minutes",
            "version",
        ]
        read_only_fields = fields


class NetworkMeetingRecordSerializer(serializers.Serializer):
    version = version_field()
    attended = serializers.PrimaryKeyRelatedField(queryset=Workplace.objects.all(), many=True)
    homework = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class IAFiguresSerializer(serializers.ModelSerializer):
    class Meta:
        model = IAFigures
        fields = [
            "id",
            "municipality",
            "year",
            "quarter",
            "active_sick_leave",
            "graded_sick_leave",
            "vocational_rehabilitation",
            "grants_applied",
            "grants_approved",
            "grants_rejected",
            "source",
            "version",
        ]
        read_only_fields = ["id", "source", "version"]
        # One quarter typed again replaces it (the service), so no uniqueness check here.
        validators: list = []


class CoachProposalSerializer(serializers.Serializer):
    """One proposed coach (``workplace.proposals``), best first."""

    rank = serializers.IntegerField()
    helper = serializers.IntegerField(source="helper.pk")
    name = serializers.CharField(source="helper.full_name")
    open_assignments = serializers.IntegerField()
    capacity = serializers.IntegerField()
    free = serializers.IntegerField()
    knows_workplace = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class _RegionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class _RegionMunicipalitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    own = serializers.BooleanField()
    values = serializers.ListField(
        child=serializers.JSONField(), help_text='Per quarter: a count, "<5" or null.'
    )


class RegionFiguresSerializer(serializers.Serializer):
    """One IA measure across a health region (``workplace.region``), for the schema."""

    region = _RegionSerializer()
    measure = serializers.CharField()
    quarters = serializers.ListField(child=serializers.CharField())
    municipalities = _RegionMunicipalitySerializer(many=True)
    totals = serializers.ListField(child=serializers.JSONField())
    suppressed_as = serializers.CharField()


class _ScaleMovementSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    assignments = serializers.IntegerField()


class _NewsletterSupervisionSerializer(serializers.Serializer):
    month_hours = serializers.JSONField(help_text='Hours, or "<5" when fewer than 5 coaches.')
    month_coaches = serializers.JSONField()
    year_hours = serializers.JSONField()
    year_coaches = serializers.JSONField()
    pool_shared_on = serializers.DateField(allow_null=True)
    pool_returned_hours = serializers.JSONField()
    pool_returned_by = serializers.JSONField()
    pool_shared_hours = serializers.JSONField()
    pool_shared_to = serializers.JSONField()


class NewsletterSerializer(serializers.Serializer):
    """The monthly newsletter (``workplace.newsletter.as_json``), for the schema."""

    municipality = serializers.DictField()
    month = serializers.CharField()
    assignments_started = serializers.IntegerField()
    assignments_closed = serializers.IntegerField()
    scale_movement = _ScaleMovementSerializer()
    networks_met = serializers.IntegerField()
    network_meetings = serializers.IntegerField()
    ia_quarter = serializers.CharField()
    ia_figures = serializers.DictField(child=serializers.JSONField())
    supervision = _NewsletterSupervisionSerializer()
    suppressed_as = serializers.CharField()
