"""API for group offers, their meetings, enrolments and attendance.

Coordinators and municipal admins manage their municipality's offers and enrolments; a group's
leaders (and a meeting's substitute) see their groups and meetings and record who came. Anyone
else: 403, other municipalities 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import require_manager
from kobling.core.versions import require_version
from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin
from kobling.groups import services
from kobling.groups.filtersets import EnrolmentFilterSet, MeetingFilterSet, OfferFilterSet
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting
from kobling.groups.selectors import meeting_roster, offers_with_counts
from kobling.groups.serializers import (
    AttendanceRecordSerializer,
    AttendanceRowSerializer,
    EnrolmentLeaveSerializer,
    GroupEnrolmentSerializer,
    GroupOfferSerializer,
    GroupOfferUpdateSerializer,
    MeetingCancelSerializer,
    MeetingMoveSerializer,
    MeetingSerializer,
    MeetingSubstituteSerializer,
)
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_list_read

extra_urls: list = []


@extend_schema_view(
    list=extend_schema(summary="Group offers (managers: the municipality's; leaders: their own)"),
    retrieve=extend_schema(summary="A group offer with its weekly times and places taken"),
    create=extend_schema(summary="Create a group offer with its leaders and weekly times"),
)
class GroupOfferViewSet(
    ScopedCreateViewSet,
):
    """Group offers: a group with its leaders, place, term and weekly times. The municipality's
    coordinators and municipal admins see theirs, create them, make their meetings and change them
    (PATCH with the ``version`` you read; 409 if stale); a helper who leads a group sees that
    offer."""

    queryset = GroupOffer.objects.all()
    serializer_class = GroupOfferSerializer
    filterset_class = OfferFilterSet
    ordering_fields = ["term_start", "title"]

    @extend_schema(
        request=GroupOfferUpdateSerializer,
        responses=GroupOfferSerializer,
        summary="Change a group offer (its version required; a shorter term removes the "
        "planned meetings outside it)",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        offer = self.get_object()
        require_manager(request.user, offer.municipality_id)
        data = GroupOfferUpdateSerializer(offer, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        require_version(values)
        version = values.pop("version")
        leaders = values.pop("leaders", None)
        services.offer_update(
            offer=offer,
            by=request.user,
            data=values,
            leaders=leaders,
            expected_version=version,
        )
        fresh = offers_with_counts(GroupOffer.objects.filter(pk=offer.pk)).get()
        return Response(GroupOfferSerializer(fresh, context={"request": request}).data)

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return offers_with_counts(queryset.distinct())

    def perform_create(self, serializer: GroupOfferSerializer) -> None:
        attrs = dict(serializer.validated_data)
        municipality = attrs.pop("municipality")
        leaders = attrs.pop("leaders")
        times = [services.WeeklyTime(**row) for row in attrs.pop("times")]
        offer = services.offer_create(
            by=self.request.user,
            municipality=municipality,
            data=attrs,
            leaders=leaders,
            times=times,
        )
        serializer.instance = offers_with_counts(GroupOffer.objects.filter(pk=offer.pk)).get()

    @extend_schema(
        request=None,
        responses={201: MeetingSerializer(many=True)},
        summary="Make the term's meetings from the weekly times (those there are kept)",
    )
    @action(detail=True, methods=["post"], url_path="generate-meetings")
    def generate_meetings(self, request: Request, pk: str | None = None) -> Response:
        offer = self.get_object()
        require_manager(request.user, offer.municipality_id)
        made = services.meetings_generate(offer=offer, by=request.user)
        return Response(MeetingSerializer(made, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Meetings of the groups you manage or lead"),
    retrieve=extend_schema(summary="A meeting"),
)
class MeetingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The meetings of group offers. The municipality's coordinators and municipal admins see
    theirs; a group's leaders, and a meeting's substitute, see the meetings they lead. Leaders and
    managers record who came (leaders only within the programme's days for late entry; reading or
    recording the list is audited); cancelling, moving and naming a substitute are the managers'.
    Every change needs the meeting's ``version`` (409 if stale)."""

    queryset = Meeting.objects.all()
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    ordering_fields = ["date", "start_time"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.distinct()

    def _respond(self, meeting: Meeting) -> Response:
        return Response(MeetingSerializer(Meeting.objects.get(pk=meeting.pk)).data)

    @extend_schema(
        methods=["get"],
        responses=AttendanceRowSerializer(many=True),
        summary="Who is on the meeting's list, and what is recorded",
    )
    @extend_schema(
        methods=["post"],
        request=AttendanceRecordSerializer,
        responses=AttendanceRowSerializer(many=True),
        summary="Record who came (marks the meeting held; again to correct)",
    )
    # One meeting's list, whole (a group is at most its places and a few drop-ins): not paged,
    # as the schema says.
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attendance",
        pagination_class=None,
        filter_backends=[],
    )
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        if request.method == "POST":
            data = AttendanceRecordSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            meeting = services.attendance_record(
                meeting=meeting,
                by=request.user,
                came=values["came"],
                drop_ins=values["drop_ins"],
                minutes=values.get("minutes"),
                intensity=values["intensity"],
                account=values["account"],
                expected_version=values["version"],
            )
        rows = meeting_roster(meeting)
        audit_list_read(
            user=request.user,
            objects=list(Episode.objects.filter(pk__in=[r.episode for r in rows])),
        )
        return Response(AttendanceRowSerializer([r.__dict__ for r in rows], many=True).data)

    @extend_schema(
        request=MeetingCancelSerializer,
        responses=MeetingSerializer,
        summary="Cancel a planned meeting",
    )
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = MeetingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.meeting_cancel(
            meeting=meeting,
            by=request.user,
            reason=data.validated_data["reason"],
            expected_version=data.validated_data["version"],
        )
        return self._respond(moved)

    @extend_schema(
        request=MeetingSubstituteSerializer,
        responses=MeetingSerializer,
        summary="Name (or clear) the substitute who leads a planned meeting",
    )
    @action(detail=True, methods=["post"], url_path="substitute")
    def substitute(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = MeetingSubstituteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.meeting_set_substitute(
            meeting=meeting,
            by=request.user,
            substitute=data.validated_data["substitute"],
            expected_version=data.validated_data["version"],
        )
        return self._respond(changed)

    @extend_schema(
        request=MeetingMoveSerializer,
        responses=MeetingSerializer,
        summary="Move a planned meeting to another day or time",
    )
    @action(detail=True, methods=["post"], url_path="move")
    def move(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = MeetingMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.meeting_move(
            meeting=meeting,
            by=request.user,
            date=data.validated_data["date"],
            start_time=data.validated_data["start_time"],
            expected_version=data.validated_data["version"],
        )
        return self._respond(moved)


@extend_schema_view(
    list=extend_schema(summary="Courses enrolled in groups, and waiting"),
    retrieve=extend_schema(summary="An enrolment"),
    create=extend_schema(summary="Enrol a course in a group (its waiting list when it is full)"),
)
class GroupEnrolmentViewSet(
    ScopedCreateViewSet,
):
    """Courses (forløp) enrolled in group offers, or on an offer's waiting list. The municipality's
    coordinators and municipal admins see theirs, enrol courses (to the waiting list when the group
    is full) and take them out (``leave`` with the ``version``; 409 if stale); a group's leaders see
    its enrolments. Reads are audited."""

    queryset = GroupEnrolment.objects.all()
    serializer_class = GroupEnrolmentSerializer
    filterset_class = EnrolmentFilterSet
    ordering_fields = ["waiting_since", "enrolled_on"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.distinct()

    def perform_create(self, serializer: GroupEnrolmentSerializer) -> None:
        attrs: dict[str, Any] = serializer.validated_data
        serializer.instance = services.enrolment_create(
            offer=attrs["offer"], episode=attrs["episode"], by=self.request.user
        )

    @extend_schema(
        request=EnrolmentLeaveSerializer,
        responses=GroupEnrolmentSerializer,
        summary="The course leaves the group (the place goes to the first waiting)",
    )
    @action(detail=True, methods=["post"], url_path="leave")
    def leave(self, request: Request, pk: str | None = None) -> Response:
        enrolment = self.get_object()
        data = EnrolmentLeaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        left = services.enrolment_leave(
            enrolment=enrolment,
            by=request.user,
            reason=data.validated_data["reason"],
            expected_version=data.validated_data["version"],
        )
        return Response(GroupEnrolmentSerializer(left).data)


def register(router) -> None:  # noqa: ANN001
    router.register("group-offers", GroupOfferViewSet, basename="group-offer")
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("group-enrolments", GroupEnrolmentViewSet, basename="group-enrolment")
