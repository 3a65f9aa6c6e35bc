"""The rehabilitation register in the API."""

from __future__ import annotations

from rest_framework import serializers

from kobling.rehab.models import Denominator, RehabCourse, RehabOffer
from kobling.tenancy.models import Municipality

CELL_HELP = 'A number, "<5" when it describes fewer than 5 persons (small-cell rule), or null.'


class RehabOfferSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="municipality.code", read_only=True)
    unit_name = serializers.CharField(source="municipality.name", read_only=True)
    municipality = serializers.PrimaryKeyRelatedField(
        queryset=Municipality.objects.all(), write_only=True
    )
    diagnoses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = RehabOffer
        fields = [
            "id",
            "municipality",
            "unit",
            "unit_name",
            "name",
            "diagnoses",
            "serves_chd",
            "serves_copd",
            "serves_pad",
            "setting",
            "format",
            "length_weeks",
            "sessions_per_week",
            "capacity",
            "takes_new_patients",
            "county_code",
            "place",
            "version",
        ]
        read_only_fields = ["version"]


class RehabOfferUpdateSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(help_text="The version you read; an older one gives 409.")

    class Meta:
        model = RehabOffer
        fields = [
            "name",
            "serves_chd",
            "serves_copd",
            "serves_pad",
            "setting",
            "format",
            "length_weeks",
            "sessions_per_week",
            "capacity",
            "takes_new_patients",
            "county_code",
            "place",
            "version",
        ]


class RehabCourseSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="municipality.code", read_only=True)
    started_on = serializers.DateField(source="episode.started_on", read_only=True)
    ended_on = serializers.DateField(source="episode.ended_on", read_only=True)
    status = serializers.CharField(source="episode.status", read_only=True)

    class Meta:
        model = RehabCourse
        fields = [
            "id",
            "unit",
            "episode",
            "diagnosis",
            "icd10",
            "index_event",
            "index_date",
            "referral_date",
            "offer",
            "started_on",
            "ended_on",
            "status",
            "version",
        ]
        read_only_fields = ["version"]
        # The service checks the course's unit; the serializer only parses the ids.
        extra_kwargs = {"episode": {"validators": []}}


class DenominatorSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="municipality.code", read_only=True)
    period = serializers.CharField(read_only=True)

    class Meta:
        model = Denominator
        fields = ["id", "unit", "diagnosis", "period", "sex", "age_band", "eligible", "source"]


class DenominatorImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: unit;diagnosis;period;sex;age_band;eligible")
    source = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DenominatorImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    unit = serializers.CharField()
    diagnosis = serializers.CharField()
    period = serializers.CharField()
    action = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class DenominatorImportReportSerializer(serializers.Serializer):
    saved = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.CharField())
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = DenominatorImportRowSerializer(many=True)


class ParticipationRowSerializer(serializers.Serializer):
    level = serializers.CharField(help_text="unit, region or national")
    unit = serializers.CharField(help_text="The unit's (or region's) code; empty for Norway.")
    unit_name = serializers.CharField()
    diagnosis = serializers.CharField()
    period = serializers.CharField(help_text="2025Q1, or 2025 by year")
    eligible = serializers.JSONField(help_text=CELL_HELP)
    started = serializers.JSONField(help_text=CELL_HELP)
    completed = serializers.JSONField(help_text=CELL_HELP)
    participation_rate = serializers.JSONField(help_text=f"Started / eligible, %. {CELL_HELP}")
    completion_rate = serializers.JSONField(help_text=f"Completed / started, %. {CELL_HELP}")
    funnel_flag = serializers.CharField(
        help_text="Participation against the national rate on a funnel plot: high_998, "
        "low_998 (outside the 99.8 % limits), high_95, low_95 (outside 95 %), or empty "
        "(inside, not a unit row, or suppressed)."
    )
    median_wait_days = serializers.JSONField(
        help_text=f"Median days from the index event to the start. {CELL_HELP}"
    )
    followup_3_due = serializers.JSONField(
        help_text=f"Started courses whose 3-month follow-up after the end is due. {CELL_HELP}"
    )
    followup_3_answered = serializers.JSONField(help_text=f"Of those, answered. {CELL_HELP}")
    followup_3_active = serializers.JSONField(
        help_text=f"Of those answered, still physically active. {CELL_HELP}"
    )
    followup_6_due = serializers.JSONField(help_text=f"As followup_3_due, at 6 months. {CELL_HELP}")
    followup_6_answered = serializers.JSONField(help_text=CELL_HELP)
    followup_6_active = serializers.JSONField(help_text=CELL_HELP)
    followup_12_due = serializers.JSONField(
        help_text=f"As followup_3_due, at 12 months. {CELL_HELP}"
    )
    followup_12_answered = serializers.JSONField(help_text=CELL_HELP)
    followup_12_active = serializers.JSONField(help_text=CELL_HELP)


class QualityRegisterSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class AggregateExtractRowSerializer(ParticipationRowSerializer):
    """A row of a register's aggregate extract (no person rows; counts under the small-cell
    rule)."""

    level = None
    eligible = None
    participation_rate = None
    completion_rate = None
    funnel_flag = None
    median_wait_days = None
    register = serializers.CharField()
    courses = serializers.JSONField(help_text=f"Courses registered. {CELL_HELP}")
