"""The app's REST API; registered by kobling.api.urls.

Supervision groups, their meetings and attendance, the supervision each helper received, and the
pool's share-outs and ledger. Coordinators and municipal admins manage their municipality's; a
group's leader plans its meetings and records who came; a helper sees their own groups,
meetings and lines. The pool and the settings are the managers' alone. Anyone else: 403; another
municipality's rows: 404."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import require_manager
from kobling.core.versions import require_version
from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin, require
from kobling.courses.models import CourseProvider, CourseRun
from kobling.support import services
from kobling.support.kirkpatrick_load import evaluation, report
from kobling.support.models import (
    PoolEntry,
    PoolRun,
    SupervisionEntry,
    SupervisionGroup,
    SupervisionMeeting,
    SupervisionSettings,
)
from kobling.support.selectors import meeting_present
from kobling.support.serializers import (
    AttendanceSerializer,
    EvaluationSerializer,
    PoolEntrySerializer,
    PoolRunSerializer,
    SupervisionEntrySerializer,
    SupervisionGroupSerializer,
    SupervisionGroupUpdateSerializer,
    SupervisionMeetingSerializer,
    SupervisionSettingsSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Supervision settings of the programmes you manage"),
    retrieve=extend_schema(summary="A programme's supervision settings"),
)
class SupervisionSettingsViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A programme's supervision rules: the allowance per helper and year, the day unused hours
    return to the pool, the weeks without supervision before an alert."""

    queryset = SupervisionSettings.objects.all()
    serializer_class = SupervisionSettingsSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Supervision groups (managers: the municipality's; helpers: their own)"
    ),
    retrieve=extend_schema(summary="A supervision group with its members"),
    create=extend_schema(summary="Create a supervision group of a programme"),
)
class SupervisionGroupViewSet(
    ScopedCreateViewSet,
):
    """Supervision groups: a leader, members and a plan of meetings."""

    queryset = SupervisionGroup.objects.all()
    serializer_class = SupervisionGroupSerializer
    audit_reads = False

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("members").order_by("-is_active", "name", "pk")

    def perform_create(self, serializer: SupervisionGroupSerializer) -> None:
        attrs = dict(serializer.validated_data)
        members = attrs.pop("members", [])
        programme = attrs.pop("programme")
        serializer.instance = services.group_create(
            by=self.request.user, programme=programme, data=attrs, members=members
        )

    @extend_schema(
        request=SupervisionGroupUpdateSerializer,
        responses=SupervisionGroupSerializer,
        summary="Change a supervision group (its version required)",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        group = self.get_object()
        require_manager(request.user, group.municipality_id)
        data = SupervisionGroupUpdateSerializer(
            group, data=request.data, partial=True, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        require_version(values)
        version = values.pop("version")
        members = values.pop("members", None)
        fresh = services.group_update(
            group=group, by=request.user, data=values, members=members, expected_version=version
        )
        return Response(SupervisionGroupSerializer(fresh, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="Supervision meetings of the groups you manage, lead or belong to"),
    retrieve=extend_schema(summary="A supervision meeting"),
    create=extend_schema(summary="Add a meeting to a group's plan (managers and the leader)"),
)
class SupervisionMeetingViewSet(
    ScopedCreateViewSet,
):
    """Meetings of supervision groups; the leader records who came."""

    queryset = SupervisionMeeting.objects.all()
    serializer_class = SupervisionMeetingSerializer

    def get_scope_model(self):  # noqa: ANN201
        return SupervisionMeeting

    def get_permissions(self):  # noqa: ANN201
        # Planning and recording is "record" (managers and the group's leader), not "change".
        self.scope_action = "record" if self.request.method == "POST" else None
        return super().get_permissions()

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("group").order_by("date", "start_time", "pk")

    def perform_create(self, serializer: SupervisionMeetingSerializer) -> None:
        attrs = dict(serializer.validated_data)
        group = attrs.pop("group")
        serializer.instance = services.meeting_plan(group=group, by=self.request.user, **attrs)

    @extend_schema(
        methods=["get"],
        responses=AttendanceSerializer,
        summary="Who is recorded present at the meeting",
    )
    @extend_schema(
        methods=["post"],
        request=AttendanceSerializer,
        responses=AttendanceSerializer,
        summary="Record who came (marks the meeting held; again to correct)",
    )
    @action(detail=True, methods=["get", "post"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        require(meeting.permits(request.user, "record"))
        if request.method == "POST":
            data = AttendanceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.attendance_record(
                meeting=meeting, by=request.user, present=data.validated_data["present"]
            )
        return Response({"present": sorted(meeting_present(meeting))})


@extend_schema_view(
    list=extend_schema(summary="Supervision received (managers: every helper's; a helper: own)"),
    retrieve=extend_schema(summary="A line of supervision received"),
    create=extend_schema(summary="Record an individual supervision session (managers)"),
)
class SupervisionEntryViewSet(
    ScopedCreateViewSet,
):
    """The supervision each helper received, in hours; append-only (corrections are new lines)."""

    queryset = SupervisionEntry.objects.all()
    serializer_class = SupervisionEntrySerializer
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("-date", "-pk")

    def perform_create(self, serializer: SupervisionEntrySerializer) -> None:
        attrs = dict(serializer.validated_data)
        serializer.instance = services.session_record(by=self.request.user, **attrs)

    @extend_schema(
        request=None,
        responses={201: SupervisionEntrySerializer},
        summary="Reverse an individual session recorded in error (a correction line)",
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        made = services.entry_correct(entry=entry, by=request.user)
        return Response(SupervisionEntrySerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The supervision pools' yearly share-outs (managers)"),
    retrieve=extend_schema(summary="A share-out"),
    create=extend_schema(
        summary="Return this year's unused hours to the programme's pool and share it out now"
    ),
)
class PoolRunViewSet(
    ScopedCreateViewSet,
):
    """The yearly return of unused hours to a programme's pool and its share-out by use."""

    queryset = PoolRun.objects.all()
    serializer_class = PoolRunSerializer

    def perform_create(self, serializer: PoolRunSerializer) -> None:
        today = timezone.localdate()
        serializer.instance = services.pool_share_out(
            programme=serializer.validated_data["programme"],
            year=today.year,
            by=self.request.user,
            on=today,
        )


@extend_schema_view(
    list=extend_schema(summary="The supervision pools' ledger (managers)"),
    retrieve=extend_schema(summary="A line of the pool's ledger"),
)
class PoolEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The pool's append-only ledger: hours returned and shared out per helper."""

    queryset = PoolEntry.objects.all()
    serializer_class = PoolEntrySerializer

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("-year", "run_id", "kind", "helper_id")


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("supervision-settings", SupervisionSettingsViewSet)
    router.register("supervision-groups", SupervisionGroupViewSet)
    router.register("supervision-meetings", SupervisionMeetingViewSet)
    router.register("supervision-entries", SupervisionEntryViewSet)
    router.register("supervision-pool-runs", PoolRunViewSet)
    router.register("supervision-pool-lines", PoolEntryViewSet)


# --- Training evaluated (Kirkpatrick) ------------------------------------------------------------


class RunEvaluationViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """``GET /course-runs/{id}/evaluation/``: the four levels for one run, as its page shows
    them. The run's municipality's managers and its provider's staff; other roles 403; another
    municipality's run 404."""

    queryset = CourseRun.objects.all()
    serializer_class = EvaluationSerializer

    @extend_schema(summary="Training evaluated (Kirkpatrick) for a course run")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        found = report(evaluation([run.pk], timezone.localdate()))
        return Response(EvaluationSerializer(found).data)


class ProviderEvaluationViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """``GET /course-providers/{id}/evaluation/``: the four levels across the provider's runs
    the caller may see — its staff: all of them (their own trainees); a municipality's
    managers: the runs their municipality bought. Roles that see no course runs: 403."""

    queryset = CourseProvider.objects.all()
    serializer_class = EvaluationSerializer

    def get_permissions(self):  # noqa: ANN201
        return [*super().get_permissions(), _SeesCourseRuns()]

    @extend_schema(summary="Training evaluated (Kirkpatrick) across a course provider's runs")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        provider = self.get_object()
        runs = CourseRun.objects.visible_to(request.user).filter(provider=provider)
        found = report(evaluation(runs, timezone.localdate()))
        return Response(EvaluationSerializer(found).data)


class _SeesCourseRuns(permissions.BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return CourseRun.visibility_q(request.user, "view") is not None


extra_urls = [
    path(
        "course-runs/<int:pk>/evaluation/",
        RunEvaluationViewSet.as_view({"get": "retrieve"}),
        name="course-run-evaluation",
    ),
    path(
        "course-providers/<int:pk>/evaluation/",
        ProviderEvaluationViewSet.as_view({"get": "retrieve"}),
        name="course-provider-evaluation",
    ),
]
