"""The access-log review's records and thresholds in the API, for the municipality's privacy
officer (the municipal admin; nobody else sees either):

* ``/api/v1/access-reviews/`` — the monthly review records: list, read, record one (POST);
* ``/api/v1/access-review-rules/`` — the thresholds of the flags per municipality, the instance's
  defaults where the municipality set none: list, read by municipality id, set (PUT, with the
  version read: 0 the first time). docs/access-review.md."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core import access_flags, access_review
from kobling.core.models import AccessReview, AccessReviewRules
from kobling.core.versions import version_field
from kobling.core.viewsets import ScopedViewSetMixin
from kobling.tenancy.models import Municipality


class AccessReviewSerializer(serializers.ModelSerializer):
    flags_checked = serializers.ListField(
        child=serializers.ChoiceField(choices=list(access_flags.FLAGS)),
        required=False,
        help_text="The flags looked at",
    )
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True)

    class Meta:
        model = AccessReview
        fields = [
            "id",
            "municipality",
            "month",
            "reviewed_by",
            "reviewed_on",
            "findings",
            "flags_checked",
            "created_at",
        ]
        read_only_fields = ["reviewed_on", "created_at"]
        # One per month is the service's rule, said in the user's words.
        validators: list = []


class AccessReviewViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The municipality's monthly access-log reviews, newest first."""

    queryset = AccessReview.objects.all()
    serializer_class = AccessReviewSerializer
    scope_action = "view"  # recording one is the service's check (its municipality's admin)

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("reviewed_by")

    def perform_create(self, serializer: AccessReviewSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = access_review.access_review_record(
            municipality=data["municipality"],
            month=data["month"],
            by=self.request.user,
            findings=data["findings"],
            flags_checked=data.get("flags_checked", []),
        )


class AccessReviewRulesSerializer(serializers.Serializer):
    municipality = serializers.IntegerField(read_only=True)
    own = serializers.BooleanField(
        read_only=True, help_text="False: the instance's defaults apply (nothing set yet)"
    )
    burst_persons = serializers.IntegerField(min_value=2, max_value=10_000)
    burst_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    night_start = serializers.TimeField()
    night_end = serializers.TimeField()
    grace_days = serializers.IntegerField(min_value=0, max_value=3650)
    version = version_field("The version you read: 0 while `own` is false (409 if it changed)")


def _rules_row(municipality_id: int, own: AccessReviewRules | None) -> dict[str, Any]:
    rules = access_review.rules_for(municipality_id)
    return {
        "municipality": municipality_id,
        "own": own is not None,
        **{f: getattr(rules, f) for f in access_review.RULE_FIELDS},
        "version": own.version if own else 0,
    }


class AccessReviewRulesViewSet(viewsets.ViewSet):
    """The flags' thresholds of each municipality the caller administers."""

    permission_classes = [IsAuthenticated]
    serializer_class = AccessReviewRulesSerializer
    lookup_field = "municipality"
    lookup_value_regex = r"[0-9]{1,9}"

    def _municipality_ids(self) -> list[int]:
        ids = sorted(self.request.user.municipality_ids(*access_review.REVIEWER_ROLES))
        if not ids:
            raise PermissionDenied
        return ids

    @extend_schema(responses=AccessReviewRulesSerializer(many=True))
    def list(self, request: Request) -> Response:
        ids = self._municipality_ids()
        own = {
            r.municipality_id: r for r in AccessReviewRules.objects.filter(municipality_id__in=ids)
        }
        return Response([_rules_row(m, own.get(m)) for m in ids])

    def _municipality(self, municipality: str) -> Municipality:
        if int(municipality) not in self._municipality_ids():
            raise Http404
        return get_object_or_404(Municipality, pk=int(municipality))

    @extend_schema(responses=AccessReviewRulesSerializer)
    def retrieve(self, request: Request, municipality: str) -> Response:
        place = self._municipality(municipality)
        own = AccessReviewRules.objects.filter(municipality=place).first()
        return Response(_rules_row(place.pk, own))

    @extend_schema(request=AccessReviewRulesSerializer, responses=AccessReviewRulesSerializer)
    def update(self, request: Request, municipality: str) -> Response:
        place = self._municipality(municipality)
        serializer = AccessReviewRulesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = access_review.access_review_rules_set(
            municipality=place, by=request.user, **serializer.validated_data
        )
        return Response(_rules_row(place.pk, rules), status=status.HTTP_200_OK)


def register(router) -> None:  # noqa: ANN001
    router.register("access-reviews", AccessReviewViewSet, basename="access-review")
    router.register("access-review-rules", AccessReviewRulesViewSet, basename="access-review-rules")
