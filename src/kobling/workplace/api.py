"""The app's REST API; registered by kobling.api.urls.

Workplaces, assignments (with their steps as actions and the scale series) and meetings. A
coach sees only their assignments; the IA adviser and the programme's coordinators their
municipality's; a leader their own workplace's and nothing of others (403 for roles that never
see these, 404 for others' rows). Meeting notes are returned only to the assignment's coach and
adviser."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.versions import require_version
from kobling.core.viewsets import ScopedCreateViewSet, ScopedViewSetMixin, ScopedWritableViewSet
from kobling.workplace import ia, networks, region, selectors, services
from kobling.workplace import newsletter as letters
from kobling.workplace.models import (
    IA_MEASURES,
    Assignment,
    CoachingMeeting,
    IAFigures,
    LeaderNetwork,
    NetworkMeeting,
    Workplace,
)
from kobling.workplace.proposals import propose_coaches
from kobling.workplace.serializers import (
    AssignmentSerializer,
    CoachingMeetingSerializer,
    CoachProposalSerializer,
    DecisionSerializer,
    EvaluationSerializer,
    IAFiguresSerializer,
    LeaderNetworkSerializer,
    LinkSerializer,
    NetworkMeetingRecordSerializer,
    NetworkMeetingSerializer,
    NewsletterSerializer,
    OrderSerializer,
    RegionFiguresSerializer,
    ScalesSerializer,
    WorkplaceSerializer,
)


class NewsletterView(APIView):
    """The month's newsletter as JSON: the same cells as the page and the PDF."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter(
                "municipality", int, description="One of yours (default: the first by name)"
            ),
        ],
        responses=NewsletterSerializer,
        summary="The monthly newsletter of workplace coaching (the municipality's staff)",
    )
    def get(self, request: Request) -> Response:
        municipalities = selectors.staff_municipalities(request.user)
        if not municipalities:
            raise PermissionDenied
        municipality = selectors.chosen_municipality(
            municipalities, request.query_params.get("municipality", "")
        )
        if municipality is None:
            raise NotFound(_("No municipality of yours by that id."))
        text = request.query_params.get("month")
        month = letters.parse_month(text)
        if text and month is None:
            raise ValidationError({"month": _("Give the month as YYYY-MM.")})
        letter = letters.build(municipality, month or timezone.localdate().replace(day=1))
        return Response(letters.as_json(letter))


extra_urls: list = [
    path("workplace-newsletter/", NewsletterView.as_view(), name="workplace-newsletter"),
]


@extend_schema_view(
    list=extend_schema(
        summary="Workplaces (staff: the municipality's; leaders and coaches: their own)"
    ),
    retrieve=extend_schema(summary="A workplace"),
    create=extend_schema(summary="Add a workplace (IA adviser, coordinators)"),
)
class WorkplaceViewSet(
    ScopedCreateViewSet,
):
    """Workplaces (a municipal department or unit with its leader), the clients of coaching
    assignments. The municipality's coordinators, municipal admins and IA advisers see theirs and
    add them; a leader sees their own workplace, and a coach the workplaces of their assignments."""

    queryset = Workplace.objects.all()
    serializer_class = WorkplaceSerializer

    def perform_create(self, serializer: Any) -> None:
        attrs = dict(serializer.validated_data)
        serializer.instance = services.workplace_create(by=self.request.user, **attrs)


def _fresh(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_related("workplace", "coach").get(pk=assignment.pk)


@extend_schema_view(
    list=extend_schema(summary="Coaching assignments you may see"),
    retrieve=extend_schema(summary="A coaching assignment"),
    create=extend_schema(summary="The leader's request (by the leader or the IA adviser)"),
)
class AssignmentViewSet(
    ScopedCreateViewSet,
):
    """Coaching assignments, from a workplace leader's request through the order and the meetings to
    the close and the leader's evaluation. The municipality's coordinators, municipal admins and IA
    advisers see theirs, enter requests and link coaches; the assigned coach sees theirs; the
    coach and the assignment's adviser make the order and decide to continue or close; the leader sees their workplace's, asks
    for a coach and evaluates. Reads are audited; link, order and decide need the ``version`` (409
    if stale)."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentSerializer
    audit_reads = True
    ordering_fields = ["requested_on"]

    # What each step needs (models.Assignment.visibility_q/permits): asking for a coach is the
    # leader's too (the service decides), linking the adviser's, the order and the decision
    # the coach's or adviser's, the evaluation the leader's.
    STEP_ACTIONS = {
        "create": "view",
        "link": "change",
        "proposals": "change",
        "order": "log",
        "decide": "log",
        "evaluate": "evaluate",
    }

    def get_permissions(self):  # noqa: ANN201
        self.scope_action = self.STEP_ACTIONS.get(self.action)
        return super().get_permissions()

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("workplace", "coach")

    def perform_create(self, serializer: AssignmentSerializer) -> None:
        attrs = dict(serializer.validated_data)
        workplace = attrs["workplace"]  # one the caller may see (the serializer's queryset)
        serializer.instance = services.assignment_request(
            by=self.request.user,
            workplace=workplace,
            request=attrs["request"],
            requested_on=attrs.get("requested_on"),
        )

    def _step(self, request: Request, serializer_class: type, run: Any) -> Response:
        assignment = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        done = run(assignment, values)
        return Response(AssignmentSerializer(_fresh(done)).data)

    @extend_schema(request=LinkSerializer, responses=AssignmentSerializer, summary="Link a coach")
    @action(detail=True, methods=["post"], url_path="link")
    def link(self, request: Request, pk: str | None = None) -> Response:
        def run(assignment: Assignment, v: dict[str, Any]) -> Assignment:
            require_version(v)
            return services.assignment_link(
                by=request.user, assignment=assignment, expected_version=v.pop("version"), **v
            )

        return self._step(request, LinkSerializer, run)

    @extend_schema(
        responses=CoachProposalSerializer(many=True),
        summary="Coaches proposed for the link, best first (trained, free place, fewest open)",
    )
    @action(detail=True, methods=["get"], url_path="proposals", pagination_class=None)
    def proposals(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        return Response(CoachProposalSerializer(propose_coaches(assignment), many=True).data)

    @extend_schema(
        request=OrderSerializer,
        responses=AssignmentSerializer,
        summary="Make or adjust the order (goals, success, target, planned meetings)",
    )
    @action(detail=True, methods=["post"], url_path="order")
    def order(self, request: Request, pk: str | None = None) -> Response:
        def run(assignment: Assignment, v: dict[str, Any]) -> Assignment:
            return services.assignment_order(
                by=request.user, assignment=assignment, expected_version=v.pop("version"), **v
            )

        return self._step(request, OrderSerializer, run)

    @extend_schema(
        request=DecisionSerializer, responses=AssignmentSerializer, summary="Continue or close"
    )
    @action(detail=True, methods=["post"], url_path="decide")
    def decide(self, request: Request, pk: str | None = None) -> Response:
        def run(assignment: Assignment, v: dict[str, Any]) -> Assignment:
            return services.assignment_decide(
                by=request.user, assignment=assignment, expected_version=v.pop("version"), **v
            )

        return self._step(request, DecisionSerializer, run)

    @extend_schema(
        request=EvaluationSerializer,
        responses=AssignmentSerializer,
        summary="The leader's closing evaluation (reaction, usefulness)",
    )
    @action(detail=True, methods=["post"], url_path="evaluate")
    def evaluate(self, request: Request, pk: str | None = None) -> Response:
        def run(assignment: Assignment, v: dict[str, Any]) -> Assignment:
            return services.assignment_evaluate(by=request.user, assignment=assignment, **v)

        return self._step(request, EvaluationSerializer, run)

    @extend_schema(responses=ScalesSerializer, summary="The scale at each meeting and the target")
    @action(detail=True, methods=["get"], url_path="scales")
    def scales(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        meetings = CoachingMeeting.objects.filter(assignment=assignment).order_by("held_on", "pk")
        return Response(
            {
                "assignment": assignment.pk,
                "target_low": assignment.target_low,
                "target_high": assignment.target_high,
                "points": [
                    {
                        "meeting": m.pk,
                        "held_on": m.held_on,
                        "low": m.scale_low,
                        "high": m.scale_high,
                    }
                    for m in meetings
                ],
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="Meetings of the assignments you may see (notes: coach and adviser)"
    ),
    retrieve=extend_schema(summary="A coaching meeting"),
    create=extend_schema(summary="Log a meeting (the assignment's coach or adviser)"),
    partial_update=extend_schema(summary="Correct a meeting (its version required)"),
)
class CoachingMeetingViewSet(
    ScopedWritableViewSet,
):
    """Meetings of coaching assignments, with the scale value and homework. Whoever sees the
    assignment sees its meetings, but the notes only go to its coach and its IA adviser, and only
    those two log and correct them (PATCH with the ``version``; 409 if stale) until the
    assignment closes: another manager gets 403. Reads are audited."""

    queryset = CoachingMeeting.objects.all()
    serializer_class = CoachingMeetingSerializer
    audit_reads = True
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["assignment"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.select_related("assignment__coach")

    def perform_create(self, serializer: CoachingMeetingSerializer) -> None:
        attrs = dict(serializer.validated_data)
        attrs.pop("version", None)
        assignment = attrs.pop("assignment")  # one the caller may see (the serializer's queryset)
        serializer.instance = services.meeting_log(
            by=self.request.user, assignment=assignment, data=attrs
        )

    def perform_update(self, serializer: CoachingMeetingSerializer) -> None:
        attrs = dict(serializer.validated_data)
        require_version(attrs)
        version = attrs.pop("version")
        attrs.pop("assignment", None)
        serializer.instance = services.meeting_update(
            by=self.request.user, meeting=serializer.instance, data=attrs, expected_version=version
        )


@extend_schema_view(
    list=extend_schema(summary="Leader networks (staff, their facilitators and members)"),
    retrieve=extend_schema(summary="A leader network"),
    create=extend_schema(summary="A leader network of 5–10 leaders with its meeting plan"),
)
class LeaderNetworkViewSet(
    ScopedCreateViewSet,
):
    """Leader networks: 5–10 workplace leaders who meet on a plan, with one or two coaches as
    facilitators. The municipality's coordinators, municipal admins and IA advisers see theirs and
    create them; a facilitator and the leader of a member workplace see their network."""

    queryset = LeaderNetwork.objects.all()
    serializer_class = LeaderNetworkSerializer

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("members", "facilitators")

    def perform_create(self, serializer: LeaderNetworkSerializer) -> None:
        attrs = dict(serializer.validated_data)
        serializer.instance = networks.network_create(
            by=self.request.user,
            municipality=attrs["municipality"],
            name=attrs["name"],
            members=attrs["members"],
            facilitators=attrs["facilitators"],
            meeting_plan=[(row["date"], row["topic"]) for row in attrs.get("plan", [])],
        )


@extend_schema_view(
    list=extend_schema(summary="Meetings of the leader networks you may see"),
    retrieve=extend_schema(summary="A network meeting"),
)
class NetworkMeetingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Meetings of leader networks, planned with a date and a topic. Those who see the network see
    its meetings; the municipality's coordinators, municipal admins and IA advisers and the
    network's facilitators record a held meeting (who came, homework, minutes) with the ``version``
    you read (409 if stale)."""

    queryset = NetworkMeeting.objects.all()
    serializer_class = NetworkMeetingSerializer
    filterset_fields = ["network"]

    def get_permissions(self):  # noqa: ANN201
        self.scope_action = "log" if self.action == "record" else None
        return super().get_permissions()

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.prefetch_related("attended")

    @extend_schema(
        request=NetworkMeetingRecordSerializer,
        responses=NetworkMeetingSerializer,
        summary="Record a held meeting: who came, homework, minutes (its version required)",
    )
    @action(detail=True, methods=["post"], url_path="record")
    def record(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = NetworkMeetingRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        done = networks.meeting_record(
            by=request.user, meeting=meeting, expected_version=v.pop("version"), **v
        )
        return Response(NetworkMeetingSerializer(done).data)


@extend_schema_view(
    list=extend_schema(summary="IA figures per quarter of your municipalities"),
    retrieve=extend_schema(summary="One quarter's IA figures"),
    create=extend_schema(summary="Save a quarter's IA figures (replaces the quarter's earlier)"),
)
class IAFiguresViewSet(
    ScopedCreateViewSet,
):
    """A municipality's IA (sick-leave) figures per quarter, as the labour and welfare service
    reports them. Only the municipality's coordinators, municipal admins and IA advisers see and
    save them (saving a quarter again replaces it); ``region`` shows one measure across their health
    region, other municipalities under the small-cell rule."""

    queryset = IAFigures.objects.all()
    serializer_class = IAFiguresSerializer
    filterset_fields = ["municipality", "year"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "region", int, description="A health region of yours (default: the first)"
            ),
            OpenApiParameter("measure", str, enum=list(IA_MEASURES)),
        ],
        responses=RegionFiguresSerializer,
        summary="One IA measure across the municipalities of your health region (others "
        "under the small-cell rule)",
    )
    @action(detail=False, methods=["get"], url_path="region", pagination_class=None)
    def region(self, request: Request) -> Response:
        regions = region.regions_for(request.user)
        wanted = request.query_params.get("region", "")
        chosen = next((r for r in regions if str(r.pk) == wanted), None)
        if chosen is None and (wanted or not regions):
            raise NotFound(_("No health region of yours by that id."))
        measure = request.query_params.get("measure") or IA_MEASURES[0]
        if measure not in IA_MEASURES:
            raise ValidationError({"measure": _("Unknown measure.")})
        figures = region.region_figures(request.user, chosen or regions[0], measure)
        return Response(region.as_json(figures))

    def perform_create(self, serializer: IAFiguresSerializer) -> None:
        values = dict(serializer.validated_data)
        municipality = values.pop("municipality")
        serializer.instance = ia.figures_save(
            by=self.request.user, municipality=municipality, values=values
        )


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
    router.register("workplaces", WorkplaceViewSet, basename="workplace")
    router.register("workplace-assignments", AssignmentViewSet, basename="workplace-assignment")
    router.register("workplace-meetings", CoachingMeetingViewSet, basename="workplace-meeting")
    router.register("ia-figures", IAFiguresViewSet, basename="ia-figures")
    router.register("leader-networks", LeaderNetworkViewSet, basename="leader-network")
    router.register(
        "leader-network-meetings", NetworkMeetingViewSet, basename="leader-network-meeting"
    )
