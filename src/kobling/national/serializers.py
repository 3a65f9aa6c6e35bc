from __future__ import annotations

from rest_framework import serializers

from kobling.national.models import SurveyCampaign, Unit


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "kind",
            "code",
            "name",
            "county_code",
            "health_region",
            "valid_from",
            "valid_to",
            "source",
        ]


class UnitStatusSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(source="unit.pk")
    unit_code = serializers.CharField(source="unit.code")
    unit_kind = serializers.CharField(source="unit.kind")
    unit_name = serializers.CharField(source="unit.name")
    county_code = serializers.CharField(source="unit.county_code")
    status = serializers.CharField(source="state")
    source = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    started_year = serializers.IntegerField(allow_null=True)
    ended_year = serializers.IntegerField(allow_null=True)
    ended_reason = serializers.CharField()


class ResponseCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="n_total")
    pending = serializers.IntegerField(source="n_pending")
    no_address = serializers.IntegerField(source="n_no_address")
    sent = serializers.IntegerField(source="n_sent")
    opened = serializers.IntegerField(source="n_opened")
    opted_out = serializers.IntegerField(source="n_opted_out")
    declined = serializers.IntegerField(source="n_declined")
    answered = serializers.IntegerField(source="n_answered")


class CampaignSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    responses = ResponseCountsSerializer(source="*", read_only=True)

    class Meta:
        model = SurveyCampaign
        fields = [
            "id",
            "name",
            "template",
            "programme_kind",
            "reminder_count",
            "reminder_interval_days",
            "created_at",
            "dispatched_at",
            "responses",
        ]
