"""API for pairings: the list and one pairing (each caller sees the shape their role allows),
confirming a proposal into a pairing, and the state actions — activate, pause, resume, end,
the introduction meeting and a re-match. Writes go through :mod:`kobling.followup.services`."""

from __future__ import annotations

from typing import Any

from django.urls import path, re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin
from kobling.followup import access, episode_api, services, sessions
from kobling.followup.choices import ConfirmedVia
from kobling.followup.models import Pairing, Session
from kobling.followup.report import build_referrer_report
from kobling.followup.selectors import PairingFilterSet, pairing_list_queryset
from kobling.followup.serializers import (
    ActivateRequestSerializer,
    ContactPairingSerializer,
    EndRequestSerializer,
    PairingCreateSerializer,
    PairingSerializer,
    PairingViewSerializer,
    PauseRequestSerializer,
    ReferrerPairingSerializer,
    ReferrerReportSerializer,
    ReferrerSessionSerializer,
    RematchRequestSerializer,
    RematchResponseSerializer,
    ScheduleIntroRequestSerializer,
    SessionCorrectSerializer,
    SessionLogSerializer,
    SessionSerializer,
    SessionViewSerializer,
)
from kobling.matching.models import Proposal
from kobling.matching.serializers import ConfirmRequestSerializer
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def _pairing_view(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="PairingView",
        serializers=[PairingSerializer, ContactPairingSerializer, ReferrerPairingSerializer],
        resource_type_field_name=None,
        many=many,
    )


class PairingViewSet(
    ScopedReadOnlyViewSet,
):
    """Pairings. Coordinators and municipal admins see their municipality's pairings in full; a
    training contact sees their own pairings with the participant's first name and the meeting;
    a referrer sees the status and dates of pairings for people they referred. Reads are
    audited. Changes (``version`` guards against concurrent edits: 409) are for coordinators."""

    queryset = Pairing.objects.all()
    serializer_class = PairingSerializer
    filterset_class = PairingFilterSet
    ordering_fields = ["confirmed_at", "started_on", "ended_on", "status"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return pairing_list_queryset(queryset)

    def get_serializer_class(self):  # noqa: ANN201
        if self.action in {"list", "retrieve"}:
            return PairingViewSerializer
        return PairingSerializer

    @extend_schema(responses=_pairing_view(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=_pairing_view())
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _respond(self, pairing: Pairing, code: int = status.HTTP_200_OK) -> Response:
        fresh = pairing_list_queryset(Pairing.objects.filter(pk=pairing.pk)).get()
        return Response(PairingSerializer(fresh).data, status=code)

    @extend_schema(
        request=PairingCreateSerializer,
        responses={201: PairingSerializer},
        summary="Confirm a proposal into a pairing",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PairingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = (
            Proposal.objects.visible_to(request.user, "change")
            .filter(pk=data.validated_data["proposal"])
            .first()
        )
        if proposal is None:
            # Ids are not an oracle: another municipality's proposal is simply not found.
            raise ValidationError({"proposal": [_("No such proposal.")]})
        pairing = services.pairing_confirm(
            proposal=proposal,
            by=request.user,
            intro_meeting_at=data.validated_data.get("intro_meeting_at"),
            intro_meeting_place=data.validated_data.get("intro_meeting_place", ""),
        )
        return self._respond(pairing, status.HTTP_201_CREATED)

    @extend_schema(
        request=ActivateRequestSerializer,
        responses=PairingSerializer,
        summary="The pair has started: confirmed → active",
    )
    @action(detail=True, methods=["post"], url_path="activate")
    def activate(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = ActivateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.pairing_activate(
                pairing=pairing,
                by=request.user,
                started_on=data.validated_data.get("started_on"),
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=PauseRequestSerializer, responses=PairingSerializer, summary="Active → paused"
    )
    @action(detail=True, methods=["post"], url_path="pause")
    def pause(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = PauseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.pairing_pause(
                pairing=pairing,
                by=request.user,
                reason=data.validated_data["reason"],
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=PauseRequestSerializer, responses=PairingSerializer, summary="Paused → active"
    )
    @action(detail=True, methods=["post"], url_path="resume")
    def resume(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = PauseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.pairing_resume(
                pairing=pairing,
                by=request.user,
                reason=data.validated_data["reason"],
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=EndRequestSerializer,
        responses=PairingSerializer,
        summary="End the pair (a reason is required); optionally back on the waiting list",
    )
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = EndRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return self._respond(
            services.pairing_end(
                pairing=pairing,
                by=request.user,
                reason=values["reason"],
                handover_destination=values["handover_destination"],
                handover_note=values["handover_note"],
                handover_partner=values.get("handover_partner"),
                note=values["note"],
                ended_on=values.get("ended_on"),
                participant_continues=values["participant_continues"],
                same_contact_ok=values.get("same_contact_ok"),
                expected_version=values.get("version"),
            )
        )

    @extend_schema(
        request=ScheduleIntroRequestSerializer,
        responses=PairingSerializer,
        summary="Set the introduction meeting; the contact and the participant are told",
    )
    @action(detail=True, methods=["post"], url_path="schedule-intro")
    def schedule_intro(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = ScheduleIntroRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.pairing_schedule_intro(
                pairing=pairing,
                by=request.user,
                at=data.validated_data["intro_meeting_at"],
                place=data.validated_data["intro_meeting_place"],
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=RematchRequestSerializer,
        responses=RematchResponseSerializer,
        summary="After the end: back on the waiting list for a new contact",
    )
    @action(detail=True, methods=["post"], url_path="rematch")
    def rematch(self, request: Request, pk: str | None = None) -> Response:
        pairing = self.get_object()
        data = RematchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.pairing_rematch(
            pairing=pairing,
            by=request.user,
            same_contact_ok=data.validated_data["same_contact_ok"],
        )
        return Response(
            RematchResponseSerializer(
                {
                    "referral": referral.pk,
                    "status": referral.status,
                    "avoid_helper": referral.avoid_helper_id,
                }
            ).data
        )


def _session_view(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="SessionView",
        serializers=[SessionSerializer, ReferrerSessionSerializer],
        resource_type_field_name=None,
        many=many,
    )


_PAIRING_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The pairing's id")


class PairingSessionViewSet(viewsets.GenericViewSet):
    """The sessions of one pairing (``/pairings/{id}/sessions/``): the entries that stand
    (corrections replace what they correct; withdrawn entries are left out), newest first.

    Who (see :mod:`kobling.followup.access`): coordinators and municipal admins of the pairing's
    municipality and the pair's own training contact read everything and may log; the referrer
    who made the referral reads ``id``, ``date``, ``minutes`` and ``status`` only while the
    participant's consent to share with the referrer is in force — otherwise 403 with the
    reason; other insiders 403; anyone outside the municipality 404. Reads are audited."""

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[_PAIRING_ID],
        responses=_session_view(many=True),
        summary="The pairing's sessions (current entries)",
    )
    def list(self, request: Request, pk: str | None = None) -> Response:
        pairing = access.pairing_for_report(request.user, pk)
        current = (
            Session.objects.current()
            .filter(pairing=pairing)
            .select_related("pairing__helper", "activity", "logged_by")
            .order_by("-date", "-start_time", "-id")
        )
        page = self.paginate_queryset(current)
        rows = list(page if page is not None else current)
        audit_log(
            user=request.user,
            action=AuditAction.VIEW,
            obj=pairing,
            changes={"sessions": [row.pk for row in rows]},
        )
        data = SessionViewSerializer(rows, many=True, context={"request": request}).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        parameters=[_PAIRING_ID],
        request=SessionLogSerializer,
        responses={201: SessionSerializer},
        summary="Log a session (the pair's contact or a coordinator)",
    )
    def create(self, request: Request, pk: str | None = None) -> Response:
        pairing = access.pairing_for_logging(request.user, pk)
        data = SessionLogSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = sessions.session_log(pairing=pairing, by=request.user, **data.validated_data)
        return Response(_session_data(session.pk), status=status.HTTP_201_CREATED)


def _session_data(pk: int) -> dict[str, Any]:
    fresh = Session.objects.select_related("activity", "logged_by").get(pk=pk)
    return SessionSerializer(fresh).data


class SessionViewSet(viewsets.GenericViewSet):
    """One session entry, its correction and the participant's confirmation. The same rules as
    the pairing's session list: reading as there; correcting and confirming for the pair's
    contact and coordinators only. A correction is a new entry (201) that supersedes this one;
    an entry already corrected gives 409."""

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=_session_view(), summary="One session entry")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        session = access.session_for(request.user, pk)
        audit_log(user=request.user, action=AuditAction.VIEW, obj=session)
        return Response(SessionViewSerializer(session, context={"request": request}).data)

    @extend_schema(
        request=SessionCorrectSerializer,
        responses={201: SessionSerializer},
        summary="Correct (or withdraw) a session: a new entry supersedes it",
    )
    @action(detail=True, methods=["post"], url_path="correct")
    def correct(self, request: Request, pk: str | None = None) -> Response:
        session = access.session_for(request.user, pk, action="change")
        data = SessionCorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        entry = sessions.session_correct(
            session=session,
            by=request.user,
            reason=values.pop("reason"),
            void=values.pop("void", False),
            **values,
        )
        return Response(_session_data(entry.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=SessionSerializer,
        summary="The participant confirms the session in person (on the contact's phone)",
    )
    @action(detail=True, methods=["post"], url_path="confirm")
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        session = access.session_for(request.user, pk, action="change")
        sessions.session_confirm(session=session, via=ConfirmedVia.IN_PERSON, by=request.user)
        return Response(_session_data(session.pk))


class ReferrerReportView(viewsets.GenericViewSet):
    """``GET /pairings/{id}/referrer-report``: what was done in the pair — period, sessions held,
    minutes, attendance, goals, the latest review, the ending and hand-over — computed from the
    logged sessions. Same rules as the session list (:mod:`kobling.followup.access`): the
    referrer who made the referral, only within the participant's consent (otherwise 403 with
    the reason); another referrer 403; outside the municipality 404. Audited."""

    queryset = Pairing.objects.none()
    serializer_class = ReferrerReportSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[_PAIRING_ID],
        responses=ReferrerReportSerializer,
        summary="The referrer's report on a pairing",
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        pairing = access.pairing_for_report(
            request.user,
            pk,
            queryset=Pairing.objects.select_related("participant", "programme"),
        )
        report = build_referrer_report(pairing)
        audit_log(
            user=request.user,
            action=AuditAction.VIEW,
            obj=pairing,
            changes={"report": "referrer"},
        )
        return Response(ReferrerReportSerializer(report.as_dict()).data)


class ProposalConfirmViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Proposed pairs. Confirm one to create the pairing (409 when its run was superseded, it was
    already handled, or the contact has no free place left), or reject it."""

    # The proposal is matching's; confirming it into a pairing is this app's workflow. Routed
    # under matching's path (extra_urls below), so the API and its schema are unchanged.
    queryset = Proposal.objects.all()

    @extend_schema(
        request=ConfirmRequestSerializer,
        responses={201: PairingSerializer},
        summary="Confirm a proposal: create the pairing (optionally with the introduction meeting)",
    )
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        data = ConfirmRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pairing = services.pairing_confirm(
            proposal=proposal,
            by=request.user,
            intro_meeting_at=data.validated_data.get("intro_meeting_at"),
            intro_meeting_place=data.validated_data.get("intro_meeting_place", ""),
        )
        fresh = pairing_list_queryset(Pairing.objects.filter(pk=pairing.pk)).get()
        return Response(PairingSerializer(fresh).data, status=status.HTTP_201_CREATED)


def register(router) -> None:  # noqa: ANN001
    router.register("pairings", PairingViewSet, basename="pairing")
    router.register("sessions", SessionViewSet, basename="session")
    episode_api.register(router)


ACTIONS = {
    "activate": "activate",
    "pause": "pause",
    "resume": "resume",
    "end": "end",
    "schedule-intro": "schedule_intro",
    "rematch": "rematch",
}


def _alias(method: str):  # noqa: ANN202
    # The action without the trailing slash; out of the schema (documented once, with it).
    return PairingViewSet.as_view({"post": method}, schema=None, detail=True, basename="pairing")


extra_urls = [
    path(f"pairings/<int:pk>/{url}", _alias(method), name=f"pairing-{url}-noslash")
    for url, method in ACTIONS.items()
]
extra_urls += [
    path(
        "pairings/<int:pk>/referrer-report",
        ReferrerReportView.as_view({"get": "retrieve"}),
        name="pairing-referrer-report",
    ),
    path(
        "pairings/<int:pk>/referrer-report/",
        ReferrerReportView.as_view({"get": "retrieve"}, schema=None),
        name="pairing-referrer-report-slash",
    ),
    path(
        "pairings/<int:pk>/sessions/",
        PairingSessionViewSet.as_view({"get": "list", "post": "create"}),
        name="pairing-sessions",
    ),
    *(
        path(
            f"sessions/<int:pk>/{url}",
            SessionViewSet.as_view({"post": url}, schema=None, detail=True, basename="session"),
            name=f"session-{url}-noslash",
        )
        for url in ("correct", "confirm")
    ),
]
extra_urls += [
    # The router's own pattern, so the schema describes the id as the router would.
    re_path(
        r"^matching/proposals/(?P<pk>[^/.]+)/confirm/$",
        ProposalConfirmViewSet.as_view({"post": "confirm"}, detail=True),
        name="matching-proposal-confirm",
    ),
    path(
        "matching/proposals/<int:pk>/confirm",
        ProposalConfirmViewSet.as_view({"post": "confirm"}, schema=None, detail=True),
        name="proposal-confirm-noslash",
    ),
]
extra_urls += episode_api.extra_urls
