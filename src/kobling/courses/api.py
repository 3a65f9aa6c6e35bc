"""API for course providers, templates, runs, enrolments and qualifications, and the course
provider's feedback view. Every queryset starts from ``visible_to``; writes go through
:mod:`kobling.courses.services`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kobling.core.access import require_manager
from kobling.core.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin, write_action
from kobling.courses import services
from kobling.courses.filtersets import (
    CourseRunFilterSet,
    CourseTemplateFilterSet,
    EnrolmentFilterSet,
    ProviderTraineeFilterSet,
    QualificationFilterSet,
)
from kobling.courses.models import (
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    Qualification,
)
from kobling.courses.selectors import (
    course_run_list_queryset,
    course_template_list_queryset,
    enrolment_list_queryset,
    provider_trainees,
    qualification_list_queryset,
)
from kobling.courses.serializers import (
    AssessRequestSerializer,
    AttendanceMarkSerializer,
    CompleteRequestSerializer,
    CourseProviderSerializer,
    CourseRunSerializer,
    CourseTemplateSerializer,
    EnrolmentSerializer,
    EnrolRequestSerializer,
    ProviderTraineeSerializer,
    QualificationSerializer,
    WithdrawRequestSerializer,
)
from kobling.helpers.models import Helper
from kobling.tenancy.audit import audit_list_read


class CourseProviderViewSet(ScopedReadOnlyViewSet):
    """The provider directory. Municipal coordinators and admins see every provider; provider
    staff see their own."""

    queryset = CourseProvider.objects.all()
    serializer_class = CourseProviderSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["name"]


class CourseTemplateViewSet(ScopedReadOnlyViewSet):
    """Course designs with their modules and hours. Shared templates have no provider."""

    queryset = CourseTemplate.objects.all()
    serializer_class = CourseTemplateSerializer
    filterset_class = CourseTemplateFilterSet
    ordering_fields = ["name", "level"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return course_template_list_queryset(queryset)


class CourseRunViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Course runs. The commissioning municipality's coordinators and admins create them; they
    and the provider's staff change them. A run with enrolments is cancelled, not deleted."""

    queryset = CourseRun.objects.all()
    serializer_class = CourseRunSerializer
    filterset_class = CourseRunFilterSet
    ordering_fields = ["starts_on", "status", "created_at"]

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return course_run_list_queryset(queryset)

    def _fresh(self, run: CourseRun) -> CourseRun:
        return course_run_list_queryset(CourseRun.objects.filter(pk=run.pk)).get()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_manager(
            request.user,
            message=_("Course runs are created by the municipality that commissions them."),
        )
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: CourseRunSerializer) -> None:
        attrs = dict(serializer.validated_data)
        run = services.course_run_create(
            by=self.request.user,
            template=attrs.pop("template"),
            provider=attrs.pop("provider"),
            programme=attrs.pop("programme"),
            data=attrs,
        )
        serializer.instance = self._fresh(run)

    def perform_update(self, serializer: CourseRunSerializer) -> None:
        run = services.course_run_update(
            run=serializer.instance, by=self.request.user, data=dict(serializer.validated_data)
        )
        serializer.instance = self._fresh(run)

    def perform_destroy(self, instance: CourseRun) -> None:
        require_manager(
            self.request.user,
            instance.municipality_id,
            message=_("Only the commissioning municipality can delete a course run."),
        )
        services.course_run_delete(run=instance, by=self.request.user)


class RunEnrolmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The enrolments on one course run, and enrolling a helper on it. Enrolment beyond the run's
    capacity, or of a helper from another municipality, is refused."""

    queryset = Enrolment.objects.all()
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilterSet
    ordering_fields = ["enrolled_at", "completed_on"]
    audit_reads = True

    def get_scope_model(self):  # noqa: ANN201
        # Who may use this endpoint at all is decided by who may see course runs.
        return CourseRun

    def get_run(self) -> CourseRun:
        run = get_object_or_404(
            CourseRun.objects.visible_to(self.request.user).select_related("municipality"),
            pk=self.kwargs["run_pk"],
        )
        act = write_action(self.request.method)
        if act != "view" and not run.permits(self.request.user, act):
            raise DjangoPermissionDenied
        return run

    def get_queryset(self):  # noqa: ANN201
        if getattr(self, "swagger_fake_view", False):
            return Enrolment.objects.none()
        return enrolment_list_queryset(
            Enrolment.objects.visible_to(self.request.user).filter(run=self.get_run())
        )

    @extend_schema(
        request=EnrolRequestSerializer,
        responses={201: EnrolmentSerializer},
        summary="Enrol a helper on the course run",
    )
    def create(self, request: Request, run_pk: int) -> Response:
        run = self.get_run()
        # Choosing whom to enrol means reading the municipality's register: only the people who
        # manage it may (provider staff record attendance and results on enrolled trainees).
        require_manager(
            request.user,
            run.municipality_id,
            message=_("Only the municipality's coordinators can enrol helpers."),
        )
        data = EnrolRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        helper = (
            Helper.objects.visible_to(request.user, "change")
            .filter(pk=data.validated_data["helper"], municipality=run.municipality_id)
            .first()
        )
        if helper is None:
            # The same answer as for a helper of another municipality: ids are not an oracle.
            raise ValidationError({"helper": [services.wrong_municipality_message(run)]})
        enrolment = services.enrolment_create(run=run, helper=helper, by=request.user)
        fresh = enrolment_list_queryset(Enrolment.objects.filter(pk=enrolment.pk)).get()
        return Response(EnrolmentSerializer(fresh).data, status=status.HTTP_201_CREATED)


class EnrolmentViewSet(ScopedReadOnlyViewSet):
    """Enrolments: attendance per module, the assessment, completion and withdrawal. Training
    contacts read their own; coordinators and the provider's staff record."""

    queryset = Enrolment.objects.all()
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilterSet
    ordering_fields = ["enrolled_at", "completed_on"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return enrolment_list_queryset(queryset)

    def _respond(self, enrolment: Enrolment) -> Response:
        fresh = enrolment_list_queryset(Enrolment.objects.filter(pk=enrolment.pk)).get()
        return Response(EnrolmentSerializer(fresh).data)

    @extend_schema(
        request=AttendanceMarkSerializer(many=True),
        responses=EnrolmentSerializer,
        summary="Record attendance per module (a list of {module, attended})",
    )
    @action(detail=True, methods=["post"], url_path="attendance")
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        enrolment = self.get_object()
        data = AttendanceMarkSerializer(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        marks = {m["module"]: m["attended"] for m in data.validated_data}
        if not marks:
            raise ValidationError({"non_field_errors": [_("Send at least one module.")]})
        return self._respond(
            services.attendance_record(enrolment=enrolment, by=request.user, marks=marks)
        )

    @extend_schema(
        request=AssessRequestSerializer,
        responses=EnrolmentSerializer,
        summary="Record the assessment (exam) result",
    )
    @action(detail=True, methods=["post"], url_path="assess")
    def assess(self, request: Request, pk: str | None = None) -> Response:
        enrolment = self.get_object()
        data = AssessRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.enrolment_assess(
                enrolment=enrolment, by=request.user, result=data.validated_data["result"]
            )
        )

    @extend_schema(
        request=CompleteRequestSerializer,
        responses=EnrolmentSerializer,
        summary="Complete the course (all modules attended and the assessment passed)",
    )
    @action(detail=True, methods=["post"], url_path="complete")
    def complete(self, request: Request, pk: str | None = None) -> Response:
        enrolment = self.get_object()
        data = CompleteRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.enrolment_complete(
                enrolment=enrolment,
                by=request.user,
                completed_on=data.validated_data.get("completed_on"),
            )
        )

    @extend_schema(
        request=WithdrawRequestSerializer,
        responses=EnrolmentSerializer,
        summary="Withdraw the helper from the course run",
    )
    @action(detail=True, methods=["post"], url_path="withdraw")
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        enrolment = self.get_object()
        data = WithdrawRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.enrolment_withdraw(
                enrolment=enrolment, by=request.user, reason=data.validated_data.get("reason", "")
            )
        )


class QualificationViewSet(ScopedReadOnlyViewSet):
    """Qualifications from completed courses. Filter by ``helper`` or ``programme``."""

    queryset = Qualification.objects.all()
    serializer_class = QualificationSerializer
    filterset_class = QualificationFilterSet
    ordering_fields = ["qualified_on"]
    audit_reads = True

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return qualification_list_queryset(queryset)


class IsProviderStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.provider_ids)


class ProviderTraineeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """For course providers: every helper they trained, the course and its result, and whether
    the helper is now in service. Names only — no contact details, no participant data."""

    serializer_class = ProviderTraineeSerializer
    filterset_class = ProviderTraineeFilterSet
    permission_classes = [permissions.IsAuthenticated, IsProviderStaff]
    ordering_fields = ["completed_on", "enrolled_at"]

    def get_queryset(self):  # noqa: ANN201
        return provider_trainees(self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        # The provider saw these trainees' names and results: who saw whom, for the audit log.
        audit_list_read(user=request.user, objects=rows)
        serializer = self.get_serializer(rows, many=True)
        return (
            self.get_paginated_response(serializer.data)
            if page is not None
            else Response(serializer.data)
        )


def register(router) -> None:  # noqa: ANN001
    router.register("course-providers", CourseProviderViewSet, basename="course-provider")
    router.register("course-templates", CourseTemplateViewSet, basename="course-template")
    router.register("course-runs", CourseRunViewSet, basename="course-run")
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
    router.register("qualifications", QualificationViewSet, basename="qualification")
    router.register("provider-trainees", ProviderTraineeViewSet, basename="provider-trainee")


def _alias(name: str):  # noqa: ANN202
    # The same action without the trailing slash (clients written from the paths);
    # left out of the schema, which documents the canonical path once.
    return EnrolmentViewSet.as_view({"post": name}, schema=None, detail=True, basename="enrolment")


extra_urls = [
    path(
        "course-runs/<int:run_pk>/enrolments/",
        RunEnrolmentViewSet.as_view({"get": "list", "post": "create"}),
        name="course-run-enrolments",
    ),
    *(
        path(f"enrolments/<int:pk>/{name}", _alias(name), name=f"enrolment-{name}-noslash")
        for name in ("attendance", "assess", "complete", "withdraw")
    ),
]
