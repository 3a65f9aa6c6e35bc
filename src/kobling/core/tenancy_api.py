from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.filters import BaseFilterSet
from kobling.core.serializers import id_field
from kobling.core.versions import require_version_on_update
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin, ScopedWritableViewSet
from kobling.tenancy import services
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry, Membership, Municipality, Programme


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "checkin_interval_weeks",
            "checkin_reminder_days",
            "checkin_lapse_days",
            "contact_email",
        ]
        read_only_fields = ["code", "name", "kind", "parent"]


class AdminMunicipalityField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):  # noqa: ANN201
        return Municipality.objects.filter(
            pk__in=sorted(self.context["request"].user.municipality_ids(Role.MUNICIPAL_ADMIN))
        )


class ProgrammeSerializer(serializers.ModelSerializer):
    municipality = AdminMunicipalityField()
    version = serializers.IntegerField(
        required=False, help_text="The version you read; required when changing a programme."
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "municipality",
            "kind",
            "name",
            "is_active",
            "requires_police_certificate",
            "requires_qualification",
            "started_on",
            "review_interval_weeks",
            "attendance_late_days",
            "attendance_confirmation_by_participant",
            "completion_min_attendance_pct",
            "completion_needs_end_conversation",
            "delivery",
            "period_weeks",
            "renewals_max",
            "renewal_weeks",
            "uses_conversations",
            "version",
        ]
        validators: list = []  # uniqueness is checked by the service with the model's message

    def validate_municipality(self, value: Municipality) -> Municipality:
        if self.instance is not None and value != self.instance.municipality:
            raise serializers.ValidationError("Cannot be changed.")
        return value

    def validate(self, attrs: dict) -> dict:
        # A change names the version it was based on (409 when someone changed it since).
        require_version_on_update(self, attrs)
        return attrs


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "municipality", "role", "created_at"]


class MunicipalityViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Municipalities the caller belongs to. Municipal admins change the settings (check-in rhythm)."""

    queryset = Municipality.objects.all()
    serializer_class = MunicipalitySerializer

    def perform_update(self, serializer: MunicipalitySerializer) -> None:
        serializer.instance = services.municipality_update(
            by=self.request.user,
            municipality=serializer.instance,
            data=dict(serializer.validated_data),
        )


class ProgrammeViewSet(
    ScopedWritableViewSet,
):
    """The programmes a municipality runs. Municipal admins create and change them."""

    queryset = Programme.objects.all()
    serializer_class = ProgrammeSerializer

    def perform_create(self, serializer: ProgrammeSerializer) -> None:
        data = dict(serializer.validated_data)
        municipality = data.pop("municipality")
        data.pop("version", None)
        serializer.instance = services.programme_create(
            by=self.request.user, municipality=municipality, data=data
        )

    def perform_update(self, serializer: ProgrammeSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("municipality", None)
        version = data.pop("version")
        serializer.instance = services.programme_update(
            by=self.request.user, programme=serializer.instance, data=data, expected_version=version
        )

    filterset_fields = ["municipality", "kind", "is_active"]


class MembershipFilterSet(BaseFilterSet):
    municipality = django_filters.NumberFilter(field_name="municipality_id")
    user = django_filters.NumberFilter(field_name="user_id")

    class Meta:
        model = Membership
        fields = ["municipality", "role", "user"]


class MembershipGrantSerializer(serializers.Serializer):
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)

    def validate_municipality(self, value: Municipality) -> Municipality:
        if not self.context["request"].user.has_role(Role.MUNICIPAL_ADMIN, value.pk):
            raise serializers.ValidationError(f'Invalid pk "{value.pk}" - object does not exist.')
        return value


class MembershipViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Roles in the municipality, managed by its municipal admins. Granting a role to a new
    address creates the user and sends an invitation to choose a password."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("user", "municipality")

    @extend_schema(request=MembershipGrantSerializer, responses={201: MembershipSerializer})
    def create(self, request: Request) -> Response:
        data = MembershipGrantSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        membership = services.membership_grant(by=request.user, **data.validated_data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_revoke(by=self.request.user, membership=instance)


class AuditFilterSet(BaseFilterSet):
    """Ids are plain numbers (not choices from all users/municipalities): the filter never lists
    or confirms records outside the admin's municipalities."""

    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")
    municipality = django_filters.NumberFilter(field_name="municipality_id")
    user = django_filters.NumberFilter(field_name="user_id")
    username = django_filters.CharFilter(lookup_expr="icontains")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    # Declared for its "All" (the audit page's form shows what the list applies; tenancy sits
    # below core.filters, so the label is given here).
    action = django_filters.ChoiceFilter(
        choices=AuditEntry._meta.get_field("action").choices, empty_label=_("All")
    )

    class Meta:
        model = AuditEntry
        fields = [
            "municipality",
            "action",
            "user",
            "username",
            "object_type",
            "object_id",
            "since",
            "until",
        ]


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "user",
            "username",
            "municipality",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "via",
            "ip_address",
            "changes",
        ]


class AuditEntryViewSet(ScopedReadOnlyViewSet):
    """The audit log, for municipal admins of the municipality. Read-only: history cannot be edited."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilterSet


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    national_role = serializers.CharField()
    memberships = serializers.ListField(child=serializers.DictField())
    providers = serializers.ListField(child=id_field())


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, summary="Who am I: roles per municipality")
    def get(self, request: Request) -> Response:
        user = request.user
        memberships = [
            {
                "municipality": m.municipality_id,
                "municipality_name": m.municipality.name,
                "role": m.role,
            }
            for m in Membership.objects.filter(user=user).select_related("municipality")
        ]
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "name": user.get_full_name(),
                    "national_role": user.national_role,
                    "memberships": memberships,
                    "providers": sorted(user.provider_ids),
                }
            ).data
        )


def register(router) -> None:  # noqa: ANN001
    router.register("municipalities", MunicipalityViewSet, basename="municipality")
    router.register("programmes", ProgrammeViewSet, basename="programme")
    router.register("memberships", MembershipViewSet, basename="membership")
    router.register("audit", AuditEntryViewSet, basename="audit")


from django.urls import path  # noqa: E402

extra_urls = [path("me/", MeView.as_view(), name="api-me")]
