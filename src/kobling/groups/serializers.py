"""API shapes for group offers, meetings, enrolments and attendance. Changing a meeting or an
enrolment takes the ``version`` you read: if someone else changed it since, the answer is 409."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from kobling.core.serializers import enum_field, id_field
from kobling.core.versions import version_field
from kobling.followup.choices import Intensity
from kobling.groups.choices import EnrolmentStatus, GroupTopic, MeetingStatus
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting, OfferTime
from kobling.helpers.models import Helper
from kobling.partners.models import Partner
from kobling.referrals.models import Episode
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Municipality, Programme


class OfferTimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferTime
        fields = ["weekday", "start_time", "minutes"]
        validators: list = []


class GroupOfferSerializer(serializers.ModelSerializer):
    topic = enum_field(GroupTopic.choices)
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.all())
    leaders = serializers.PrimaryKeyRelatedField(queryset=Helper.objects.all(), many=True)
    venue = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    times = OfferTimeSerializer(many=True)
    enrolled = serializers.IntegerField(read_only=True, help_text="Courses with a place.")
    waiting = serializers.IntegerField(read_only=True, help_text="Courses on the waiting list.")

    class Meta:
        model = GroupOffer
        fields = [
            "id",
            "municipality",
            "programme",
            "title",
            "topic",
            "leaders",
            "venue",
            "place",
            "term_start",
            "term_end",
            "capacity",
            "minimum_size",
            "is_drop_in",
            "is_active",
            "times",
            "enrolled",
            "waiting",
            "version",
        ]
        read_only_fields = ["version"]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return
        # Only what the user may manage can be named (others are "does not exist").
        managed = sorted(request.user.municipality_ids(*MANAGER_ROLES))
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
        self.fields["programme"].queryset = Programme.objects.filter(municipality__in=managed)
        self.fields["leaders"].child_relation.queryset = Helper.objects.filter(
            municipality__in=managed
        )
        self.fields["venue"].queryset = Partner.objects.filter(municipality__in=managed)


class GroupOfferUpdateSerializer(serializers.ModelSerializer):
    """PATCH of a group offer: what may change, with the version read (409 if it changed).
    Its programme, municipality and weekly times stay."""

    topic = enum_field(GroupTopic.choices, required=False)
    leaders = serializers.PrimaryKeyRelatedField(
        queryset=Helper.objects.all(), many=True, required=False
    )
    venue = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    version = version_field("The offer's version you read (409 if it changed).")

    class Meta:
        model = GroupOffer
        fields = [
            "title",
            "topic",
            "leaders",
            "venue",
            "place",
            "term_start",
            "term_end",
            "capacity",
            "minimum_size",
            "is_drop_in",
            "is_active",
            "version",
        ]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer = self.instance
        if isinstance(offer, GroupOffer):
            self.fields["leaders"].child_relation.queryset = Helper.objects.filter(
                municipality_id=offer.municipality_id
            )
            self.fields["venue"].queryset = Partner.objects.filter(
                municipality_id=offer.municipality_id
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The term is checked whole: one end against the other end as it stands.
        start = attrs.get("term_start", getattr(self.instance, "term_start", None))
        end = attrs.get("term_end", getattr(self.instance, "term_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"term_end": [_("The term cannot end before it starts.")]}
            )
        return attrs


class MeetingSubstituteSerializer(serializers.Serializer):
    substitute = serializers.PrimaryKeyRelatedField(
        queryset=Helper.objects.all(),
        allow_null=True,
        help_text="The helper who leads this meeting instead (null: none).",
    )
    version = version_field()


class MeetingSerializer(serializers.ModelSerializer):
    status = enum_field(MeetingStatus.choices, read_only=True)
    intensity = enum_field([("", ""), *Intensity.choices], read_only=True)
    is_moved = serializers.BooleanField(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "offer",
            "date",
            "start_time",
            "minutes",
            "status",
            "slot_date",
            "slot_time",
            "is_moved",
            "substitute",
            "cancel_reason",
            "intensity",
            "account",
            "held_at",
            "version",
        ]
        read_only_fields = fields


class AttendanceRecordSerializer(serializers.Serializer):
    came = serializers.ListField(child=id_field(), help_text="The courses (ids) of those who came.")
    drop_ins = serializers.ListField(
        child=id_field(),
        required=False,
        default=list,
        help_text="Courses in the programme that came without being enrolled (open groups).",
    )
    minutes = serializers.IntegerField(required=False, min_value=1, max_value=600)
    intensity = enum_field([("", ""), *Intensity.choices], required=False, default="")
    account = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    version = version_field("The meeting's version you read (409 if it changed).")


class AttendanceRowSerializer(serializers.Serializer):
    episode = serializers.IntegerField(help_text="The course (forløp).")
    name = serializers.CharField(help_text="The participant's name, for the leader's list.")
    enrolled = serializers.BooleanField()
    attended = serializers.BooleanField(allow_null=True, help_text="null: not recorded yet.")
    is_drop_in = serializers.BooleanField()
    confirmation = serializers.CharField(
        allow_null=True,
        help_text=(
            "The participant's own answer by link, where the programme asks for it: "
            "`confirmed`, `disputed` (says they were not there; the attendance is unchanged), "
            "`awaiting` (a link is out), `no_link` (no e-mail address, or over the send limit), "
            "`kept` (disputed, and kept as present by the leader after a look); "
            "null when there is nothing to confirm."
        ),
    )


class MeetingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    version = version_field()


class MeetingMoveSerializer(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField()
    version = version_field()


class GroupEnrolmentSerializer(serializers.ModelSerializer):
    status = enum_field(EnrolmentStatus.choices, read_only=True)
    offer = serializers.PrimaryKeyRelatedField(queryset=GroupOffer.objects.all())
    episode = serializers.PrimaryKeyRelatedField(queryset=Episode.objects.all())

    class Meta:
        model = GroupEnrolment
        fields = [
            "id",
            "offer",
            "episode",
            "status",
            "enrolled_on",
            "waiting_since",
            "left_on",
            "left_reason",
            "version",
        ]
        read_only_fields = [
            "enrolled_on",
            "waiting_since",
            "left_on",
            "left_reason",
            "version",
        ]
        validators: list = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["offer"].queryset = GroupOffer.objects.visible_to(request.user, "change")
            self.fields["episode"].queryset = Episode.objects.visible_to(request.user, "change")


class EnrolmentLeaveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")
    version = version_field()

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Say why the course leaves the group."))
        return value
