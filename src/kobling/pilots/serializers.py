"""The pilot and its health account in the API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from kobling.pilots.models import Pilot

CELL_HELP = 'A number, "<5" when it describes fewer than 5 persons (small-cell rule), or null.'


class PilotSerializer(serializers.ModelSerializer):
    municipalities = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    programmes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Pilot
        fields = [
            "id",
            "name",
            "description",
            "municipalities",
            "programmes",
            "period_start",
            "period_end",
        ]


class CellSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="A municipality's name, or the overall group.")
    municipality_code = serializers.CharField(help_text="Empty for the overall group.")
    n = serializers.JSONField(help_text=f"Persons the figure rests on. {CELL_HELP}")
    value = serializers.JSONField(help_text=CELL_HELP)
    ci95_low = serializers.JSONField(help_text=f"95 % confidence interval, low. {CELL_HELP}")
    ci95_high = serializers.JSONField(help_text=f"95 % confidence interval, high. {CELL_HELP}")


class LineSerializer(serializers.Serializer):
    figure = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    cells = CellSerializer(many=True)


class AccountSerializer(serializers.Serializer):
    pilot = PilotSerializer()
    as_of = serializers.DateField()
    courses_counted = serializers.JSONField(help_text=f"Courses in the pilot. {CELL_HELP}")
    threshold = serializers.IntegerField()
    figures = LineSerializer(many=True)


def account_data(report: Any) -> dict[str, Any]:
    from kobling.dashboards.suppression import suppress

    return {
        "pilot": PilotSerializer(report.pilot).data,
        "as_of": report.today,
        "courses_counted": suppress(report.courses),
        "threshold": report.threshold,
        "figures": [
            {
                "figure": line.key,
                "label": line.label,
                "unit": line.unit,
                "cells": [
                    {
                        "group": group,
                        "municipality_code": code,
                        "n": cell.n,
                        "value": cell.value,
                        "ci95_low": cell.low,
                        "ci95_high": cell.high,
                    }
                    for group, code, cell in zip(
                        report.groups, report.group_codes, line.cells, strict=True
                    )
                ],
            }
            for line in report.lines
        ],
    }
