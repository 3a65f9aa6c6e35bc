"""``GET /api/v1/profiles/compare/``: the comparison of the stored public-health profiles, for
the national analyst only (everyone else 403). Each indicator object has the keys of the
command line's JSON (indicator, with, without, chi2, df, p) plus stars, row percentages,
expected counts, dropped categories, warnings and the reason when there is no test."""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.viewsets import require
from kobling.profiles import io, selectors
from kobling.profiles.models import StatusSet


class _Counts(serializers.Serializer):
    better = serializers.IntegerField()
    same = serializers.IntegerField()
    worse = serializers.IntegerField()


class _Percent(serializers.Serializer):
    better = serializers.FloatField(allow_null=True)
    same = serializers.FloatField(allow_null=True)
    worse = serializers.FloatField(allow_null=True)


# "with" is a Python keyword, so these two are built with type() to get a field of that name.
_GroupPercent = type(
    "ProfileGroupPercent",
    (serializers.Serializer,),
    {"with": _Percent(), "without": _Percent()},
)

IndicatorComparisonSerializer = type(
    "IndicatorComparisonSerializer",
    (serializers.Serializer,),
    {
        "indicator": serializers.CharField(),
        "name": serializers.CharField(),
        "with": _Counts(),
        "without": _Counts(),
        "chi2": serializers.FloatField(allow_null=True),
        "df": serializers.IntegerField(allow_null=True),
        "p": serializers.FloatField(allow_null=True),
        "stars": serializers.CharField(help_text="*** p<0.001, ** p<0.01, * p<0.05, else empty"),
        "percent": _GroupPercent(help_text="Row percentages; null for an empty group."),
        "expected": _GroupPercent(allow_null=True, help_text="Expected counts; null with no test."),
        "dropped": serializers.ListField(child=serializers.CharField()),
        "warnings": serializers.ListField(child=serializers.CharField()),
        "reason": serializers.CharField(allow_null=True),
    },
)


ComparisonResponse = inline_serializer(
    "ProfileComparison",
    {
        "period": serializers.CharField(),
        "status": serializers.CharField(help_text="Where the has-a-scheme status came from."),
        "units": serializers.IntegerField(),
        "with_scheme": serializers.IntegerField(),
        "without_scheme": serializers.IntegerField(),
        "left_out": serializers.ListField(
            child=serializers.CharField(),
            help_text="Units with profiles but no known status (left out of every table).",
        ),
        "results": IndicatorComparisonSerializer(many=True),
    },
)


class ProfileComparisonView(APIView):
    """Units with and without a scheme, per indicator of one period of the stored profiles."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", str, description="Profile period; the newest when left out."
            ),
            OpenApiParameter(
                "status_set",
                int,
                description="A stored status set. Without it (and without national): the "
                "newest status set, else the national register.",
            ),
            OpenApiParameter(
                "national",
                bool,
                description="Group by the national register's scheme status (active = with).",
            ),
            OpenApiParameter(
                "on", dt.date, description="Date of the national register's status (today)."
            ),
        ],
        responses=ComparisonResponse,
        summary="Public-health-profile comparison (national analyst)",
    )
    def get(self, request: Request) -> Response:
        require(request.user.is_analyst, _("Only the national analyst can see this."))
        periods = selectors.periods()
        period = request.query_params.get("period") or (periods[0] if periods else "")
        if period not in periods:
            raise ValidationError({"period": [_("No profiles are stored for that period.")]})
        raw_set = request.query_params.get("status_set")
        want_national = request.query_params.get("national") in ("true", "1")
        national = selectors.national_status_source()
        if want_national and national is None:
            raise ValidationError({"national": [_("The national register is not available.")]})
        status_set = None
        if raw_set:
            try:
                status_set = StatusSet.objects.get(pk=int(raw_set))
            except (ValueError, StatusSet.DoesNotExist):
                raise ValidationError({"status_set": [_("No such status set.")]}) from None
        elif not want_national:
            # The newest uploaded set, else the national register (as on the page).
            status_set = StatusSet.objects.first()
            if status_set is None and national is None:
                raise ValidationError({"status_set": [_("Upload a status set first.")]})
        if status_set is not None:
            status, label = status_set.as_map(), status_set.name
        else:
            raw_on = request.query_params.get("on")
            try:
                on = dt.date.fromisoformat(raw_on) if raw_on else timezone.localdate()
            except ValueError:
                raise ValidationError({"on": [_("Give a date as YYYY-MM-DD.")]}) from None
            status, label = dict(national(on)), f"national:{on.isoformat()}"  # type: ignore[misc]
        report = selectors.stored_comparison(period=period, status=status, status_label=label)
        results = [
            {**io.as_detailed_json_object(r), "name": report.names.get(r.indicator, r.indicator)}
            for r in report.results
        ]
        return Response(
            {
                "period": report.period,
                "status": label,
                "units": report.units,
                "with_scheme": report.with_scheme,
                "without_scheme": report.without_scheme,
                "left_out": report.left_out,
                "results": results,
            }
        )


def register(router) -> None:  # noqa: ANN001
    pass


extra_urls = [
    path("profiles/compare/", ProfileComparisonView.as_view(), name="profiles-compare"),
]
