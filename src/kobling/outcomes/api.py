"""API for goals, reviews, instruments and follow-ups.

Who may do what is the pairing's rule: the municipality's coordinators and admins, and the pair's
own training contact, may read and record a pairing's goals and reviews; referrers, analysts and
course providers get 403; anyone else in another municipality 404. Follow-ups and the
maintenance figures are for coordinators and admins. Reads about a person are audited; writes go
through :mod:`kobling.outcomes.services`."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import is_manager
from kobling.core.views import get_visible_or_404
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin
from kobling.followup.models import Pairing
from kobling.outcomes import selectors, services
from kobling.outcomes.models import (
    FollowUp,
    Goal,
    Instrument,
    Review,
    ReviewScore,
    may_record_outcomes,
)
from kobling.outcomes.serializers import (
    FollowUpSerializer,
    GoalCreateSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    InstrumentSerializer,
    MaintenanceRowSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    maintenance_rows,
)
from kobling.referrals.models import Episode
from kobling.tenancy.models import Municipality, Programme


def _reviews(queryset: QuerySet[Review]) -> QuerySet[Review]:
    return queryset.select_related("recorded_by", "superseded_by").prefetch_related(
        Prefetch(
            "scores",
            queryset=ReviewScore.objects.select_related("instrument").order_by(
                "instrument__position", "goal_id", "pk"
            ),
        )
    )


def _goals(queryset: QuerySet[Goal]) -> QuerySet[Goal]:
    return queryset.select_related("created_by")


class InstrumentViewSet(ScopedReadOnlyViewSet):
    """The outcome instruments with their ranges and scale points. With ``?programme=`` only
    the instruments that programme's reviews use."""

    queryset = Instrument.objects.all()
    serializer_class = InstrumentSerializer
    lookup_field = "code"
    pagination_class = None
    filter_backends: list[Any] = []

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return queryset.filter(is_active=True).prefetch_related("items")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "programme",
                OpenApiTypes.INT,
                description="Only the instruments this programme uses",
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.query_params.get("programme")
        if raw is None:
            return super().list(request, *args, **kwargs)
        programme = (
            Programme.objects.visible_to(request.user, "view").filter(pk=raw).first()
            if raw.isdigit()
            else None
        )
        if programme is None:
            raise ValidationError({"programme": [_("No such programme.")]})
        instruments = selectors.enabled_instruments(programme.pk)
        return Response(self.get_serializer(instruments, many=True).data)


class GoalViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Goals of the pairings the caller follows. PATCH changes the words, the target date or
    the status (``version`` guards against concurrent edits: 409)."""

    queryset = Goal.objects.all()
    serializer_class = GoalSerializer
    filterset_class = selectors.GoalFilterSet
    http_method_names = ["get", "patch", "head", "options"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return _goals(queryset)

    @extend_schema(request=GoalUpdateSerializer, responses=GoalSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        goal = self.get_object()
        data = GoalUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        updated = services.goal_update(
            goal=goal,
            by=request.user,
            text=values.get("text"),
            target_date=values.get("target_date", services.UNSET),
            status=values.get("status"),
            expected_version=values.get("version"),
        )
        return Response(GoalSerializer(_goals(Goal.objects.filter(pk=updated.pk)).get()).data)


class ReviewViewSet(ScopedReadOnlyViewSet):
    """Reviews of the pairings the caller follows, with their scores, corrections included
    (``?current=true`` for only those that stand)."""

    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filterset_class = selectors.ReviewFilterSet
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        if self.request.query_params.get("current") in {"true", "1"}:
            queryset = queryset.current()
        return _reviews(queryset)

    @extend_schema(
        parameters=[
            OpenApiParameter("current", OpenApiTypes.BOOL, description="Only reviews that stand")
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class _PairingNested(ScopedViewSetMixin, viewsets.GenericViewSet):
    """A pairing's goals or reviews: the pairing must be one the caller may record for."""

    filter_backends: list[Any] = []

    def pairing(self) -> Pairing:
        if not hasattr(self, "_pairing"):
            pairing = get_object_or_404(
                Pairing.objects.visible_to(self.request.user, "view").select_related(
                    "helper", "participant", "programme"
                ),
                pk=self.kwargs["pairing_pk"],
            )
            if not may_record_outcomes(self.request.user, pairing):
                raise PermissionDenied(
                    _("Only the pair's training contact or a coordinator may see this.")
                )
            self._pairing = pairing
        return self._pairing

    def get_queryset(self):  # noqa: ANN201
        return super().get_queryset().filter(pairing=self.pairing())


class PairingGoalViewSet(_PairingNested, mixins.ListModelMixin):
    """A pairing's goals, written down in the participant's own words. The municipality's
    coordinators and municipal admins and the pair's own training contact read them and add new ones
    (not after the pairing has ended); nobody else can. Reads are audited."""

    queryset = Goal.objects.all()
    serializer_class = GoalSerializer
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return _goals(queryset).order_by("created_at", "pk")

    @extend_schema(summary="A pairing's goals")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=GoalCreateSerializer,
        responses={201: GoalSerializer},
        summary="Write down a goal the participant chose, in their own words",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pairing = self.pairing()
        data = GoalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        goal = services.goal_create(
            pairing=pairing,
            by=request.user,
            text=data.validated_data["text"],
            target_date=data.validated_data.get("target_date"),
        )
        return Response(
            GoalSerializer(_goals(Goal.objects.filter(pk=goal.pk)).get()).data,
            status=status.HTTP_201_CREATED,
        )


class PairingReviewViewSet(_PairingNested, mixins.ListModelMixin):
    """A pairing's reviews with their scores, corrections included. The municipality's coordinators
    and municipal admins and the pair's own training contact read and record them; nobody else can.
    A review is never edited (a correction is a new review that ``supersedes`` it); reads are
    audited."""

    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return _reviews(queryset).order_by("-date", "-recorded_at", "-pk")

    @extend_schema(summary="A pairing's reviews with their scores, corrections included")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
        summary="Record a review (or, with supersedes, a correction)",
        description=(
            "Each score names an instrument the programme uses (see /instruments/?programme=) "
            "and a value within its range; goal attainment also names the goal. Refused with "
            "400 when the pairing has not started, the date is in the future, or a score is "
            "out of range or for an instrument the programme does not use; 409 when the review "
            "to correct was already corrected."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pairing = self.pairing()
        return _record_review(
            request,
            pairing=pairing,
            own=Review.objects.filter(pairing=pairing),
            no_such=_("No such review for this pairing."),
        )


def _record_review(
    request: Request,
    *,
    own: QuerySet[Review],
    no_such: str,
    pairing: Pairing | None = None,
    course: Episode | None = None,
) -> Response:
    """A review (or a correction of one of ``own``) of a pairing or a course, from the body."""
    data = ReviewCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    supersedes = None
    if values.get("supersedes") is not None:
        supersedes = own.filter(pk=values["supersedes"]).first()
        if supersedes is None:
            raise ValidationError({"supersedes": [no_such]})
    review = services.review_record(
        pairing=pairing,
        course=course,
        by=request.user,
        kind=values["kind"],
        date=values["date"],
        note=values["note"],
        scores=[
            services.ScoreInput(instrument=s["instrument"], value=s["value"], goal=s.get("goal"))
            for s in values["scores"]
        ],
        supersedes=supersedes,
        correction_reason=values["correction_reason"],
    )
    return Response(
        ReviewSerializer(_reviews(Review.objects.filter(pk=review.pk)).get()).data,
        status=status.HTTP_201_CREATED,
    )


class CourseReviewViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A course's reviews — its pairings' and, where no pairing delivers it (a group course),
    its own start and end reviews. For the municipality's coordinators and admins."""

    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filter_backends: list[Any] = []
    audit_reads = True

    def course(self) -> Episode:
        if not hasattr(self, "_course"):
            # Managers only: other roles get 403, another municipality's course is a 404.
            self._course = get_visible_or_404(
                self.request, Episode.objects.all(), action="change", pk=self.kwargs["episode_pk"]
            )
        return self._course

    def get_queryset(self):  # noqa: ANN201
        return super().get_queryset().filter(episode=self.course())

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return _reviews(queryset).order_by("-date", "-recorded_at", "-pk")

    @extend_schema(summary="A course's reviews with their scores, corrections included")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
        summary="Record a course's own review (or, with supersedes, a correction)",
        description=(
            "For a course that no pairing delivers (a group course): its start and end reviews "
            "with the programme's instruments. A one-to-one course is reviewed through its "
            "pairing (/pairings/{id}/reviews/). 400 as for a pairing's review."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.course()
        return _record_review(
            request,
            course=course,
            own=Review.objects.filter(episode=course, pairing__isnull=True),
            no_such=_("No such review for this course."),
        )


class FollowUpViewSet(ScopedReadOnlyViewSet):
    """The follow-up questionnaires after ended pairings (coordinators and admins), and the
    maintenance figures they give."""

    queryset = FollowUp.objects.all()
    serializer_class = FollowUpSerializer
    filterset_class = selectors.FollowUpFilterSet
    audit_reads = True

    @extend_schema(
        parameters=[
            OpenApiParameter("municipality", OpenApiTypes.INT, required=True),
            OpenApiParameter("programme", OpenApiTypes.INT),
        ],
        responses=MaintenanceRowSerializer(many=True),
        summary="Maintenance: share still active 3, 6 and 12 months after the end",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="maintenance",
        filter_backends=[],
        pagination_class=None,
    )
    def maintenance(self, request: Request) -> Response:
        raw = request.query_params.get("municipality", "")
        municipality = Municipality.objects.filter(pk=raw).first() if raw.isdigit() else None
        if municipality is None or not is_manager(request.user, municipality.pk):
            raise ValidationError({"municipality": [_("Give a municipality you manage.")]})
        raw_programme = request.query_params.get("programme")
        programme_id = None
        if raw_programme is not None:
            programme = (
                Programme.objects.filter(pk=raw_programme, municipality=municipality).first()
                if raw_programme.isdigit()
                else None
            )
            if programme is None:
                raise ValidationError({"programme": [_("No such programme.")]})
            programme_id = programme.pk
        rows = maintenance_rows(selectors.maintenance(municipality.pk, programme_id))
        return Response(MaintenanceRowSerializer(rows, many=True).data)


def register(router) -> None:  # noqa: ANN001
    router.register("instruments", InstrumentViewSet, basename="instrument")
    router.register("goals", GoalViewSet, basename="goal")
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("follow-ups", FollowUpViewSet, basename="followup")


_pairing_goals = PairingGoalViewSet.as_view({"get": "list", "post": "create"})
_pairing_reviews = PairingReviewViewSet.as_view({"get": "list", "post": "create"})
_course_reviews = CourseReviewViewSet.as_view({"get": "list", "post": "create"})


def _no_schema(viewset: type, actions: dict[str, str]) -> Any:
    # The same endpoint without the trailing slash; out of the schema (documented once).
    return viewset.as_view(actions, schema=None)


extra_urls = [
    path("episodes/<int:episode_pk>/reviews/", _course_reviews, name="episode-reviews"),
    path(
        "episodes/<int:episode_pk>/reviews",
        _no_schema(CourseReviewViewSet, {"get": "list", "post": "create"}),
        name="episode-reviews-noslash",
    ),
    path("pairings/<int:pairing_pk>/goals/", _pairing_goals, name="pairing-goals"),
    path(
        "pairings/<int:pairing_pk>/goals",
        _no_schema(PairingGoalViewSet, {"get": "list", "post": "create"}),
        name="pairing-goals-noslash",
    ),
    path("pairings/<int:pairing_pk>/reviews/", _pairing_reviews, name="pairing-reviews"),
    path(
        "pairings/<int:pairing_pk>/reviews",
        _no_schema(PairingReviewViewSet, {"get": "list", "post": "create"}),
        name="pairing-reviews-noslash",
    ),
    path(
        "goals/<int:pk>",
        _no_schema(GoalViewSet, {"get": "retrieve", "patch": "partial_update"}),
        name="goal-detail-noslash",
    ),
]
