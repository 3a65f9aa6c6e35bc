"""API shapes for pairings. Who sees what: coordinators and admins the whole pairing; the
training contact their own pairings with only the participant's first name and the meeting; the
referrer only the status and the dates of pairings for people they referred. Never health
details."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.core.access import is_manager
from kobling.core.serializers import FieldsOnceMixin, enum_field, id_field, represent
from kobling.core.versions import version_field
from kobling.followup.choices import (
    CancelledBy,
    ConfirmedVia,
    EndReason,
    HandoverDestination,
    Intensity,
    PairingStatus,
    SessionStatus,
)
from kobling.followup.models import Pairing, Session
from kobling.helpers.models import Activity
from kobling.referrals.choices import (
    EPISODE_END_REASONS,
    ConversationArea,
    ConversationKind,
    EpisodeStatus,
)
from kobling.referrals.models import Conversation, Episode
from kobling.tenancy.choices import Delivery


class PairingSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A pairing as the coordinator sees it. Send back ``version`` with a change: if someone else
    changed the pairing in between, the answer is 409 and nothing is saved."""

    participant_name = serializers.CharField(source="participant.full_name", read_only=True)
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    confirmed_by = serializers.CharField(
        source="confirmed_by.get_username", default=None, read_only=True, allow_null=True
    )
    status = enum_field(PairingStatus.choices, read_only=True)
    end_reason = enum_field([("", ""), *EndReason.choices], read_only=True)
    handover_destination = enum_field([("", ""), *HandoverDestination.choices], read_only=True)
    handover_partner_name = serializers.CharField(
        source="handover_partner.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Pairing
        fields = [
            "id",
            "municipality",
            "programme",
            "programme_name",
            "referral",
            "episode",
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
            "paused_on",
            "end_reason",
            "end_note",
            "handover_destination",
            "handover_partner",
            "handover_partner_name",
            "handover_note",
            "version",
        ]
        read_only_fields = fields


class ContactPairingSerializer(FieldsOnceMixin, serializers.ModelSerializer):
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


class ReferrerPairingSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """For the referrer: that the person they referred has a contact, and since when."""

    status = enum_field(PairingStatus.choices, read_only=True)

    class Meta:
        model = Pairing
        fields = ["id", "referral", "episode", "status", "started_on", "ended_on"]
        read_only_fields = fields


def serializer_class_for(user: Any, pairing: Pairing) -> type[serializers.ModelSerializer]:
    if is_manager(user, pairing.municipality_id):
        return PairingSerializer
    if pairing.helper.user_id == user.pk:
        return ContactPairingSerializer
    return ReferrerPairingSerializer


class PairingViewSerializer(serializers.BaseSerializer):
    """Picks, per pairing, the shape the caller may see."""

    def to_representation(self, instance: Pairing) -> dict[str, Any]:
        user = self.context["request"].user
        return represent(self, serializer_class_for(user, instance), instance)


class VersionMixin(serializers.Serializer):
    version = version_field()


class ActivateRequestSerializer(VersionMixin):
    started_on = serializers.DateField(required=False, allow_null=True)


class PauseRequestSerializer(VersionMixin):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class EndRequestSerializer(VersionMixin):
    reason = enum_field(EndReason.choices, help_text="Why the pair ended (required)")
    handover_destination = enum_field(
        HandoverDestination.choices,
        help_text="Where the participant goes on to be active (required; `none` is an answer)",
    )
    handover_note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Where and how the participant goes on (place, times, contact)",
    )
    handover_partner = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional: the id of the partner that takes the participant over (an active "
        "partner of the pairing's municipality)",
    )
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

    proposal = id_field()
    intro_meeting_at = serializers.DateTimeField(required=False, allow_null=True)
    intro_meeting_place = serializers.CharField(
        required=False, allow_blank=True, max_length=160, default=""
    )


# --- sessions --------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    """A session as the pair's contact and the coordinator see it. ``confirmed``: the
    participant confirmed that it took place."""

    status = enum_field(SessionStatus.choices, read_only=True)
    intensity = enum_field([("", ""), *Intensity.choices], read_only=True)
    cancelled_by = enum_field([("", ""), *CancelledBy.choices], read_only=True)
    confirmed_via = enum_field([("", ""), *ConfirmedVia.choices], read_only=True)
    activity_name = serializers.CharField(
        source="activity.name", default=None, read_only=True, allow_null=True
    )
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True)
    logged_by = serializers.CharField(
        source="logged_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "pairing",
            "episode",
            "date",
            "start_time",
            "minutes",
            "status",
            "activity",
            "activity_name",
            "intensity",
            "borg",
            "cancelled_by",
            "with_notice",
            "note",
            "confirmed",
            "confirmed_at",
            "confirmed_via",
            "supersedes",
            "correction_reason",
            "logged_by",
            "logged_at",
        ]
        read_only_fields = fields


class ReferrerSessionSerializer(serializers.ModelSerializer):
    """For the referrer (within the participant's consent): that a session took place, when
    and for how long — nothing about how it went."""

    status = enum_field(SessionStatus.choices, read_only=True)

    class Meta:
        model = Session
        fields = ["id", "date", "minutes", "status"]
        read_only_fields = fields


class SessionViewSerializer(serializers.BaseSerializer):
    """Picks, per session, the shape the caller may see."""

    def to_representation(self, instance: Session) -> dict[str, Any]:
        from kobling.followup.access import sees_session_details

        user = self.context["request"].user
        shape = (
            SessionSerializer
            if sees_session_details(user, instance.pairing)
            else ReferrerSessionSerializer
        )
        return represent(self, shape, instance)


class _SessionValues(serializers.Serializer):
    """The values of a session entry. Ranges and the rules between fields are checked by the
    service (400 with field errors, nothing saved)."""

    start_time = serializers.TimeField(required=False, allow_null=True, default=None)
    activity = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.all(), required=False, allow_null=True, default=None
    )
    intensity = enum_field(
        [("", ""), *Intensity.choices],
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for a held session unless `borg` is given",
    )
    borg = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Borg rating, 6–20"
    )
    cancelled_by = enum_field(
        [("", ""), *CancelledBy.choices],
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when cancelled",
    )
    with_notice = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Required when cancelled"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SessionLogSerializer(_SessionValues):
    date = serializers.DateField()
    minutes = serializers.IntegerField(help_text="1–600")
    status = enum_field(SessionStatus.choices, help_text="What became of the session")


class SessionCorrectSerializer(_SessionValues):
    """A correction: the reason, and only the values that change (the others are kept).
    ``void: true`` withdraws the entry."""

    reason = serializers.CharField(max_length=300)
    void = serializers.BooleanField(required=False, default=False)
    date = serializers.DateField(required=False)
    minutes = serializers.IntegerField(required=False, help_text="1–600")
    status = enum_field(
        SessionStatus.choices, required=False, help_text="What became of the session"
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values = super().to_internal_value(data)
        # Only what the caller sent changes; defaults must not overwrite the old entry.
        sent = set(data) if hasattr(data, "keys") else set()
        return {k: v for k, v in values.items() if k in sent or k in {"reason", "void"}}


class ReportMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    sessions_held = serializers.IntegerField()
    minutes_total = serializers.IntegerField()


class ReportAttainmentSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=8, decimal_places=2)
    label = serializers.CharField()
    date = serializers.DateField()


class ReportGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField(help_text="The goal in the participant's own words.")
    status = serializers.CharField()
    status_label = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)
    latest_attainment = ReportAttainmentSerializer(allow_null=True)


class ReportScoreSerializer(serializers.Serializer):
    instrument = serializers.CharField(help_text="Instrument code, e.g. activity_minutes.")
    name = serializers.CharField()
    version = serializers.CharField(help_text="The instrument's version when the score was taken.")
    value = serializers.DecimalField(max_digits=8, decimal_places=2)
    unit = serializers.CharField()
    goal_id = serializers.IntegerField(allow_null=True)


class ReportReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    scores = ReportScoreSerializer(many=True)
    weekly_minutes = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    recommended_minutes = serializers.IntegerField()
    meets_recommendation = serializers.BooleanField(allow_null=True)


class ReferrerReportSerializer(serializers.Serializer):
    """The referrer's report on a pairing; every number is computed from the logged sessions
    that stand (docs/followup.md has the definitions)."""

    pairing_id = serializers.IntegerField()
    status = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="The end date, or today while it runs.")
    is_open = serializers.BooleanField()
    sessions_planned = serializers.IntegerField()
    sessions_held = serializers.IntegerField()
    sessions_cancelled = serializers.IntegerField()
    sessions_no_show = serializers.IntegerField()
    minutes_total = serializers.IntegerField(help_text="Sum of the minutes of held sessions.")
    attendance_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        allow_null=True,
        help_text="Held / planned (held + cancelled + no-show); null before any session.",
    )
    participant_attendance_rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        allow_null=True,
        help_text="As attendance_rate, leaving out cancellations that were not the participant's.",
    )
    weekly_minutes_average = serializers.DecimalField(
        max_digits=8, decimal_places=1, allow_null=True
    )
    first_session = serializers.DateField(allow_null=True)
    last_session = serializers.DateField(allow_null=True)
    sessions_confirmed = serializers.IntegerField(
        help_text="Held sessions the participant confirmed."
    )
    by_month = ReportMonthSerializer(many=True)
    goals = ReportGoalSerializer(many=True)
    latest_review = ReportReviewSerializer(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)
    handover_destination = serializers.CharField(allow_blank=True)
    handover_note = serializers.CharField(allow_blank=True)


class EpisodeSerializer(serializers.ModelSerializer):
    """A participant's course (forløp) as the coordinator sees it: one person in one programme
    from the grant to the end, whatever delivers it (``delivery``); ``pairings`` are the
    treningskontakt view of it (a re-match adds one)."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    participant_name = serializers.CharField(source="participant.full_name", read_only=True)
    delivery = enum_field(Delivery.choices, read_only=True)
    status = enum_field(EpisodeStatus.choices, read_only=True)
    end_reason = enum_field([("", ""), *EPISODE_END_REASONS], read_only=True)
    handover_destination = enum_field([("", ""), *HandoverDestination.choices], read_only=True)
    planned_end = serializers.DateField(read_only=True, allow_null=True)
    waiting_days = serializers.IntegerField(read_only=True)
    pairings = serializers.SerializerMethodField()

    class Meta:
        model = Episode
        fields = [
            "id",
            "municipality",
            "programme",
            "programme_name",
            "referral",
            "decision",
            "participant",
            "participant_name",
            "delivery",
            "status",
            "opened_on",
            "planned_start",
            "planned_weeks",
            "renewals_used",
            "planned_end",
            "started_on",
            "paused_on",
            "ended_on",
            "waiting_days",
            "end_reason",
            "end_note",
            "handover_destination",
            "handover_note",
            "pairings",
            "version",
        ]
        read_only_fields = fields

    def get_pairings(self, episode: Episode) -> list[int]:
        return [p.pk for p in episode.pairings.all()]


class ReferrerEpisodeSerializer(serializers.ModelSerializer):
    """For the referrer (within the person's consent): where the course stands."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    status = enum_field(EpisodeStatus.choices, read_only=True)

    class Meta:
        model = Episode
        fields = [
            "id",
            "referral",
            "programme",
            "programme_name",
            "status",
            "opened_on",
            "started_on",
            "ended_on",
        ]
        read_only_fields = fields


class EpisodeReportSerializer(ReferrerReportSerializer):
    """The referrer report of a whole course: the pairing report's fields, summed over every
    pairing of the course; ``pairing_id`` is its latest pairing (0 when it has none yet)."""

    episode_id = serializers.IntegerField()
    pairing_ids = serializers.ListField(child=id_field())
    meetings_offered = serializers.IntegerField(
        help_text="Group meetings held while the course was enrolled, and any it came to."
    )
    meetings_attended = serializers.IntegerField(help_text="Group meetings the person came to.")
    meetings_confirmed = serializers.IntegerField(
        help_text=(
            "Of the group meetings attended, those the person confirmed by link (where the "
            "programme asks for it); counted in sessions_confirmed too."
        )
    )
    provider_visits = serializers.IntegerField(
        help_text="Visits at an outside provider (a gym) that the provider confirmed."
    )
    provider_visits_confirmed = serializers.IntegerField(
        help_text=(
            "Of the provider's visits, those the person confirmed by link (where the "
            "programme asks for it); counted in sessions_confirmed too."
        )
    )
    provider_visits_disputed = serializers.IntegerField(
        help_text=(
            "Of the provider's visits, those the person said by link they did not come to "
            "(still counted until the coordinator corrects the entry)."
        )
    )
    completed = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "Whether the course is completed under its programme's rule (ended, and the end "
            "conversation and share of meetings attended the programme asks for); null when the "
            "programme has no completion rule."
        ),
    )
    completion_rule = serializers.CharField(help_text="The programme's completion rule in words.")


class EpisodeViewSerializer(serializers.BaseSerializer):
    """Picks, per course, the shape the caller may see."""

    def to_representation(self, instance: Episode) -> dict[str, Any]:
        user = self.context["request"].user
        shape = (
            EpisodeSerializer
            if user.is_manager_of(instance.municipality_id)
            else ReferrerEpisodeSerializer
        )
        return represent(self, shape, instance)


class EpisodeRenewSerializer(VersionMixin):
    reason = serializers.CharField(max_length=2000, help_text="Why the course is renewed")
    renewed_on = serializers.DateField(required=False, allow_null=True)


class EpisodePlanSerializer(VersionMixin):
    planned_start = serializers.DateField(allow_null=True)


class EpisodeEndSerializer(VersionMixin):
    """End a course that no pair delivers (a group course, a provider's)."""

    ended_on = serializers.DateField()
    end_reason = enum_field(EndReason.choices)
    end_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    handover_destination = enum_field(
        [("", ""), *HandoverDestination.choices], required=False, allow_blank=True, default=""
    )
    handover_note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class ConversationSerializer(serializers.ModelSerializer):
    """A start or end conversation of a course (where the programme uses them), kept to the
    structured fields: the areas to work on, the person's goals in their own words, the plan."""

    kind = enum_field(ConversationKind.choices)
    areas = serializers.ListField(
        child=enum_field(ConversationArea.choices),
        required=False,
        default=list,
        help_text="What the person wants to work on (a start conversation names at least one).",
    )
    own_goals = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="The person's goals, in their own words.",
    )
    plan = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="The plan agreed.",
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "episode",
            "kind",
            "held_on",
            "held_by",
            "areas",
            "own_goals",
            "plan",
            "goals_agreed",
            "note",
        ]
        read_only_fields = ["id", "episode", "held_by"]
