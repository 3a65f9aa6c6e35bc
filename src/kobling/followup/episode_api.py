"""API for the participant's course (forløp): ``/episodes/`` (list and one course) and
``/episodes/{id}/report`` (the referrer report of the whole course). A pairing names its course
as ``episode``; ``/pairings/{id}/…`` stays the treningskontakt view of a course."""

from __future__ import annotations

from typing import Any

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.filters import BaseFilterSet
from kobling.core.viewsets import ScopedReadOnlyViewSet
from kobling.followup import access
from kobling.followup.report import build_episode_report
from kobling.followup.serializers import (
    ConversationSerializer,
    EpisodeEndSerializer,
    EpisodePlanSerializer,
    EpisodeRenewSerializer,
    EpisodeReportSerializer,
    EpisodeSerializer,
    EpisodeViewSerializer,
    ReferrerEpisodeSerializer,
)
from kobling.referrals import episodes
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Conversation, Episode
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Delivery

_EPISODE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The course's id")


def _episode_view(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="EpisodeView",
        serializers=[EpisodeSerializer, ReferrerEpisodeSerializer],
        resource_type_field_name=None,
        many=many,
    )


class EpisodeFilterSet(BaseFilterSet):
    status = django_filters.ChoiceFilter(choices=EpisodeStatus.choices)
    delivery = django_filters.ChoiceFilter(choices=Delivery.choices)
    programme = django_filters.NumberFilter(field_name="programme_id")
    participant = django_filters.NumberFilter(field_name="participant_id")
    referral = django_filters.NumberFilter(field_name="referral_id")

    class Meta:
        model = Episode
        fields = ["status", "delivery", "programme", "participant", "referral"]


class EpisodeViewSet(ScopedReadOnlyViewSet):
    """Courses (forløp). Coordinators and municipal admins see their municipality's courses in
    full; a referrer sees where the courses of people they referred stand, within the person's
    consent to share. Reads are audited (a course is a record about a person)."""

    queryset = Episode.objects.all()
    serializer_class = EpisodeViewSerializer
    filterset_class = EpisodeFilterSet
    ordering_fields = ["opened_on", "started_on", "ended_on", "status"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("programme", "participant").prefetch_related("pairings")

    @extend_schema(responses=_episode_view(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=_episode_view())
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _changeable(self) -> Episode:
        episode = self.get_object()
        if not episode.permits(self.request.user, "change"):
            raise PermissionDenied
        return episode

    def _respond(self, episode: Episode, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.optimize(Episode.objects.filter(pk=episode.pk)).get()
        return Response(EpisodeSerializer(fresh).data, status=code)

    @extend_schema(
        request=EpisodeRenewSerializer,
        responses=EpisodeSerializer,
        summary="Renew the course's period (as the programme allows)",
    )
    @action(detail=True, methods=["post"], url_path="renew")
    def renew(self, request: Request, pk: str | None = None) -> Response:
        episode = self._changeable()
        data = EpisodeRenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        episodes.episode_renew(
            episode=episode,
            by=request.user,
            reason=data.validated_data["reason"],
            renewed_on=data.validated_data.get("renewed_on"),
            expected_version=data.validated_data.get("version"),
        )
        return self._respond(episode)

    @extend_schema(
        request=EpisodePlanSerializer,
        responses=EpisodeSerializer,
        summary="Set the planned start of a course",
    )
    @action(detail=True, methods=["post"], url_path="plan")
    def plan(self, request: Request, pk: str | None = None) -> Response:
        episode = self._changeable()
        data = EpisodePlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        episodes.episode_plan(
            episode=episode,
            by=request.user,
            planned_start=data.validated_data["planned_start"],
            expected_version=data.validated_data.get("version"),
        )
        return self._respond(episode)

    @extend_schema(
        request=EpisodeEndSerializer,
        responses=EpisodeSerializer,
        summary="End a course that no pair delivers (a group course, a provider's)",
    )
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request: Request, pk: str | None = None) -> Response:
        episode = self._changeable()
        data = EpisodeEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        episodes.episode_end(
            episode=episode,
            by=request.user,
            ended_on=values["ended_on"],
            end_reason=values["end_reason"],
            end_note=values.get("end_note", ""),
            handover_destination=values.get("handover_destination", ""),
            handover_note=values.get("handover_note", ""),
            expected_version=values.get("version"),
        )
        return self._respond(episode)

    @extend_schema(
        methods=["get"],
        responses=ConversationSerializer(many=True),
        summary="The course's start and end conversations",
    )
    @extend_schema(
        methods=["post"],
        request=ConversationSerializer,
        responses={201: ConversationSerializer},
        summary="Record the course's start or end conversation",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="conversations",
        pagination_class=None,
        filter_backends=[],
    )
    def conversations(self, request: Request, pk: str | None = None) -> Response:
        episode = self._changeable()
        if request.method == "GET":
            rows = list(Conversation.objects.filter(episode=episode).order_by("held_on", "pk"))
            audit_log(
                user=request.user,
                action=AuditAction.VIEW,
                obj=episode,
                changes={"conversations": len(rows)},
            )
            return Response(ConversationSerializer(rows, many=True).data)
        data = ConversationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation = episodes.conversation_record(
            episode=episode,
            by=request.user,
            kind=values["kind"],
            held_on=values["held_on"],
            goals_agreed=values.get("goals_agreed", ""),
            note=values.get("note", ""),
            areas=values.get("areas") or [],
            own_goals=values.get("own_goals", ""),
            plan=values.get("plan", ""),
        )
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class EpisodeReportView(viewsets.GenericViewSet):
    """``GET /episodes/{id}/report``: the referrer report of the whole course — period,
    sessions held, minutes, attendance, goals, the latest review, the ending and hand-over —
    summed over every pairing of the course. Same rules as a pairing's report: outside the
    municipality 404; the referrer who made the referral only within the person's consent
    (otherwise 403 with the reason); the contact of one of its pairings 403; another referrer
    or contact 404, as an outsider (they cannot learn that the course exists). Audited."""

    queryset = Episode.objects.none()
    serializer_class = EpisodeReportSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[_EPISODE_ID],
        responses=EpisodeReportSerializer,
        summary="The referrer's report on a whole course",
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        episode = access.episode_for_report(request.user, pk)
        report = build_episode_report(episode)
        audit_log(
            user=request.user, action=AuditAction.VIEW, obj=episode, changes={"report": "referrer"}
        )
        return Response(EpisodeReportSerializer(report.as_dict()).data)


def register(router) -> None:  # noqa: ANN001
    router.register("episodes", EpisodeViewSet, basename="episode")


def _alias(method: str, *, get: bool = False):  # noqa: ANN202
    # The action without the trailing slash; out of the schema (documented once, with it).
    actions = {"post": method, **({"get": method} if get else {})}
    return EpisodeViewSet.as_view(actions, schema=None, detail=True, basename="episode")


extra_urls = [
    *(
        path(
            f"episodes/<int:pk>/{name}",
            _alias(name, get=name == "conversations"),
            name=f"episode-{name}-noslash",
        )
        for name in ("renew", "plan", "conversations")
    ),
    path(
        "episodes/<int:pk>/report",
        EpisodeReportView.as_view({"get": "retrieve"}),
        name="episode-report",
    ),
    path(
        "episodes/<int:pk>/report/",
        EpisodeReportView.as_view({"get": "retrieve"}, schema=None),
        name="episode-report-slash",
    ),
]
