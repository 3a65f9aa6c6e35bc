"""API for partners and agreements: list, detail, create, update (coordinators and municipal
admins of the partner's municipality; everyone else 403, other municipalities 404)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import require_manager
from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin, ScopedWritableViewSet
from kobling.partners import services
from kobling.partners.filtersets import (
    AgreementFilterSet,
    BookingFilterSet,
    IncidentFilterSet,
    KeyLogFilterSet,
    MeetingFilterSet,
    PartnerFilterSet,
)
from kobling.partners.models import (
    Agreement,
    Booking,
    IncidentNote,
    KeyLogEntry,
    Meeting,
    Partner,
    Premises,
)
from kobling.partners.selectors import partner_list_queryset
from kobling.partners.serializers import (
    AgreementSerializer,
    BookingCancelInputSerializer,
    BookingCancelOutputSerializer,
    IncidentNoteSerializer,
    KeyLogEntrySerializer,
    MeetingAttendanceInputSerializer,
    MeetingInviteInputSerializer,
    PartnerMeetingSerializer,
    PartnerSerializer,
    PremisesBookingInputSerializer,
    PremisesBookingSerializer,
    PremisesSerializer,
)

extra_urls: list = []


@extend_schema_view(
    list=extend_schema(summary="Partners (filter by kind, programme, agreement status)"),
    create=extend_schema(summary="Register a partner"),
    update=extend_schema(summary="Change a partner (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of a partner's fields"),
)
class PartnerViewSet(ScopedWritableViewSet):
    """The municipality's partner register, each partner with its agreements."""

    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    ordering_fields = ["name", "kind", "updated_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return partner_list_queryset(queryset)

    def _fresh(self, partner: Partner) -> Partner:
        return partner_list_queryset(Partner.objects.filter(pk=partner.pk)).get()

    def perform_create(self, serializer: PartnerSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        require_manager(
            self.request.user,
            municipality.pk,
            message="Only the municipality's coordinators and administrators can register its partners.",
        )
        attrs.pop("version", None)
        programmes = attrs.pop("programmes", None)
        partner = services.partner_create(
            by=self.request.user, municipality=municipality, data=attrs, programmes=programmes
        )
        serializer.instance = self._fresh(partner)

    def perform_update(self, serializer: PartnerSerializer) -> None:
        attrs: dict[str, Any] = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        programmes = attrs.pop("programmes", None)
        partner = services.partner_update(
            partner=serializer.instance,
            by=self.request.user,
            data=attrs,
            expected_version=version,
            programmes=programmes,
        )
        serializer.instance = self._fresh(partner)


@extend_schema_view(
    list=extend_schema(summary="Agreements with partners"),
    create=extend_schema(summary="Record an agreement with a partner"),
    update=extend_schema(summary="Change an agreement (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of an agreement's fields"),
)
class AgreementViewSet(ScopedWritableViewSet):
    """Agreements with the municipality's partners; ``status`` is derived from the dates."""

    queryset = Agreement.objects.all()
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    ordering_fields = ["starts_on", "ends_on", "review_on"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("partner").prefetch_related("premises")

    def perform_create(self, serializer: AgreementSerializer) -> None:
        attrs = dict(serializer.validated_data)
        partner = attrs.pop("partner")
        attrs.pop("version", None)
        premises = attrs.pop("premises", None)
        serializer.instance = services.agreement_create(
            partner=partner, by=self.request.user, data=attrs, premises=premises
        )

    def perform_update(self, serializer: AgreementSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("partner", None)
        version = attrs.pop("version")
        premises = attrs.pop("premises", None)
        serializer.instance = services.agreement_update(
            agreement=serializer.instance,
            by=self.request.user,
            data=attrs,
            expected_version=version,
            premises=premises,
        )


@extend_schema_view(
    list=extend_schema(summary="Premises lent to organisations"),
    create=extend_schema(summary="Register premises"),
    update=extend_schema(summary="Change premises (send the version you read; 409 if stale)"),
    partial_update=extend_schema(summary="Change some of the premises' facts"),
)
class PremisesViewSet(ScopedWritableViewSet):
    """Premises with their practical facts (keys, locking, cleaning, alarm, whom to call)."""

    queryset = Premises.objects.all()
    serializer_class = PremisesSerializer
    ordering_fields = ["name"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("name", "pk")

    def perform_create(self, serializer: PremisesSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        attrs.pop("version", None)
        require_manager(self.request.user, municipality.pk)
        serializer.instance = services.premises_create(
            by=self.request.user, municipality=municipality, data=attrs
        )

    def perform_update(self, serializer: PremisesSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        serializer.instance = services.premises_update(
            premises=serializer.instance, by=self.request.user, data=attrs, expected_version=version
        )


@extend_schema_view(
    list=extend_schema(summary="Bookings of premises (filter by premises, partner, time)"),
    retrieve=extend_schema(summary="A booking"),
)
class BookingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Bookings; creating refuses an overlap with an active booking of the same premises (400,
    the dates listed), under the premises' row lock."""

    queryset = Booking.objects.all()
    serializer_class = PremisesBookingSerializer
    filterset_class = BookingFilterSet
    ordering_fields = ["starts_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("partner", "municipality").order_by("starts_at", "pk")

    @extend_schema(
        summary="Book premises once, or weekly through a term (all or nothing)",
        request=PremisesBookingInputSerializer,
        responses={201: PremisesBookingSerializer(many=True)},
    )
    def create(self, request: Request) -> Response:
        if Booking.visibility_q(request.user, "change") is None:
            require_manager(request.user)
        data = PremisesBookingInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        made = services.booking_create(
            premises=v["premises"],
            by=request.user,
            partner=v.get("partner"),
            title=v["title"],
            starts_at=v["starts_at"],
            ends_at=v["ends_at"],
            repeat_until=v.get("repeat_until"),
        )
        return Response(
            PremisesBookingSerializer(made, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Cancel a booking (or the rest of its series)",
        request=BookingCancelInputSerializer,
        responses={200: BookingCancelOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        data = BookingCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.booking_cancel(
            booking=booking,
            by=request.user,
            reason=data.validated_data.get("reason", ""),
            whole_series=data.validated_data["whole_series"],
        )
        return Response({"cancelled": count})


@extend_schema_view(
    list=extend_schema(summary="The key log (append-only)"),
    create=extend_schema(summary="Record a key handed out or returned (or a correction)"),
)
class KeyLogViewSet(ScopedCreateViewSet):
    """The key log of the municipality's premises: keys handed out and returned. Only the
    municipality's coordinators and municipal admins see and write it. It is append-only: a wrong
    line is corrected by a new line of the same premises that ``supersedes`` it."""

    queryset = KeyLogEntry.objects.all()
    serializer_class = KeyLogEntrySerializer
    filterset_class = KeyLogFilterSet
    ordering_fields = ["happened_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("-happened_at", "-pk")

    def perform_create(self, serializer: KeyLogEntrySerializer) -> None:
        attrs = dict(serializer.validated_data)
        serializer.instance = services.key_log_record(
            premises=attrs.pop("premises"), by=self.request.user, **attrs
        )


@extend_schema_view(
    list=extend_schema(summary="Incident notes (append-only)"),
    create=extend_schema(summary="Note an incident at premises"),
)
class IncidentViewSet(ScopedCreateViewSet):
    """Incident notes about the municipality's premises (damage, a door left open, the alarm). Only
    the municipality's coordinators and municipal admins see and write them; a note is never changed
    or deleted."""

    queryset = IncidentNote.objects.all()
    serializer_class = IncidentNoteSerializer
    filterset_class = IncidentFilterSet
    ordering_fields = ["happened_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("-happened_at", "-pk")

    def perform_create(self, serializer: IncidentNoteSerializer) -> None:
        attrs = dict(serializer.validated_data)
        serializer.instance = services.incident_record(
            premises=attrs.pop("premises"), by=self.request.user, **attrs
        )


@extend_schema_view(
    list=extend_schema(summary="The meeting calendar with the organisations"),
    create=extend_schema(summary="Put a dialogue or network meeting in the calendar"),
    update=extend_schema(summary="Change a meeting or write its minutes (send the version)"),
    partial_update=extend_schema(summary="Change some of a meeting's fields"),
)
class MeetingViewSet(ScopedWritableViewSet):
    """Dialogue and network meetings between the municipality and the organisations: time, place,
    agenda, the partners invited, who came and the minutes. Only the municipality's coordinators and
    municipal admins see and manage them; a change or the attendance needs the ``version`` you read
    (409 if stale), and invitations go out by e-mail with an .ics file."""

    queryset = Meeting.objects.all()
    serializer_class = PartnerMeetingSerializer
    filterset_class = MeetingFilterSet
    ordering_fields = ["starts_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("invitations__partner").order_by("-starts_at", "-pk")

    def _fresh(self, meeting: Meeting) -> Meeting:
        return self.optimize(Meeting.objects.filter(pk=meeting.pk)).get()

    def perform_create(self, serializer: PartnerMeetingSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        attrs.pop("version", None)
        require_manager(self.request.user, municipality.pk)
        meeting = services.meeting_create(
            municipality=municipality, by=self.request.user, data=attrs
        )
        serializer.instance = self._fresh(meeting)

    def perform_update(self, serializer: PartnerMeetingSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("municipality", None)
        version = attrs.pop("version")
        meeting = services.meeting_update(
            meeting=serializer.instance, by=self.request.user, data=attrs, expected_version=version
        )
        serializer.instance = self._fresh(meeting)

    @extend_schema(
        summary="Invite partners (e-mail with an .ics file through the outbox)",
        request=MeetingInviteInputSerializer,
        responses={200: PartnerMeetingSerializer},
    )
    @action(detail=True, methods=["post"], url_path="invite")
    def invite(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = MeetingInviteInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.meeting_invite(
            meeting=meeting, by=request.user, partners=data.validated_data["partners"]
        )
        return Response(PartnerMeetingSerializer(self._fresh(meeting)).data)

    @extend_schema(
        summary="Record which invited partners came",
        request=MeetingAttendanceInputSerializer,
        responses={200: PartnerMeetingSerializer},
    )
    @action(detail=True, methods=["post"], url_path="attendance")
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = MeetingAttendanceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.meeting_attendance(
            meeting=meeting,
            by=request.user,
            came=data.validated_data["came"],
            expected_version=data.validated_data["version"],
        )
        return Response(PartnerMeetingSerializer(self._fresh(meeting)).data)


def register(router) -> None:  # noqa: ANN001
    router.register("partners", PartnerViewSet, basename="partner")
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("premises", PremisesViewSet, basename="premises")
    router.register("premises-bookings", BookingViewSet, basename="premises-booking")
    router.register("premises-key-log", KeyLogViewSet, basename="premises-key-log")
    router.register("premises-incidents", IncidentViewSet, basename="premises-incident")
    router.register("partner-meetings", MeetingViewSet, basename="partner-meeting")
