"""Serializers for the courses API. None of them carries a helper's contact details: course
providers read enrolments too, and they see a helper's name and nothing more."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import managed_municipality_ids
from kobling.courses.choices import AssessmentResult
from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    Qualification,
)
from kobling.courses.selectors import attended_hours, enrolment_attendance
from kobling.courses.services import RUN_FIELDS
from kobling.tenancy.models import Programme


class CourseProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseProvider
        fields = ["id", "name", "kind", "email", "phone", "home_municipality"]


class CourseModuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseModule
        fields = ["id", "position", "title", "hours"]


class CourseTemplateSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(
        source="provider.name", default=None, read_only=True, allow_null=True
    )
    # A plain string (not an enum) on purpose: the programme-kind choice set already has a name
    # in the schema, and a second one would make the generated enum names collide.
    programme_kind = serializers.CharField(
        read_only=True, help_text=_("The programme kind the course qualifies for.")
    )
    total_hours = serializers.DecimalField(max_digits=6, decimal_places=1, read_only=True)
    modules = CourseModuleSerializer(many=True, read_only=True)

    class Meta:
        model = CourseTemplate
        fields = [
            "id",
            "provider",
            "provider_name",
            "code",
            "name",
            "level",
            "programme_kind",
            "qualifies",
            "description",
            "is_active",
            "total_hours",
            "modules",
        ]


class ManagedProgrammeField(serializers.PrimaryKeyRelatedField):
    """Programmes of municipalities where the caller is a coordinator or municipal admin."""

    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Programme.objects.filter(
            municipality__in=sorted(managed_municipality_ids(user))
        ).select_related("municipality")


class VisibleField(serializers.PrimaryKeyRelatedField):
    """Only records the caller may see can be chosen."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):  # noqa: ANN201
        return self.model.objects.visible_to(self.context["request"].user)


FIXED_RUN_FIELDS = ("template", "provider", "programme")


class CourseRunSerializer(serializers.ModelSerializer):
    """A course run. Course, provider and programme are chosen on creation and cannot change."""

    template = VisibleField(CourseTemplate, help_text=_("Fixed after creation."))
    provider = VisibleField(CourseProvider, help_text=_("Fixed after creation."))
    programme = ManagedProgrammeField(help_text=_("Fixed after creation."))
    template_name = serializers.CharField(source="template.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    total_hours = serializers.DecimalField(
        source="template.total_hours", max_digits=6, decimal_places=1, read_only=True
    )
    enrolled_count = serializers.IntegerField(
        read_only=True, help_text=_("Places taken (withdrawn trainees not counted).")
    )
    places_left = serializers.SerializerMethodField()

    class Meta:
        model = CourseRun
        fields = [
            "id",
            "template",
            "template_name",
            "provider",
            "provider_name",
            "municipality",
            "municipality_name",
            "programme",
            *RUN_FIELDS,
            "total_hours",
            "enrolled_count",
            "places_left",
            "created_at",
        ]
        read_only_fields = ["municipality", "created_at"]
        # The model's own rules (full_clean in the service) give the field errors.
        validators: list = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            for name in FIXED_RUN_FIELDS:
                # Validated in validate(); the value cannot be chosen from a list on update.
                fields[name] = serializers.IntegerField(
                    required=False, source=f"{name}_id", help_text=_("Fixed after creation.")
                )
        return fields

    def get_places_left(self, obj: CourseRun) -> int | None:
        taken = getattr(obj, "enrolled_count", None)
        return None if taken is None else max(obj.capacity - taken, 0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            for name in FIXED_RUN_FIELDS:
                sent = attrs.pop(f"{name}_id", None)
                if sent is not None and sent != getattr(self.instance, f"{name}_id"):
                    raise serializers.ValidationError({name: _("Cannot be changed.")})
        return attrs


class AttendanceCellSerializer(serializers.Serializer):
    module = serializers.IntegerField(source="module.pk")
    title = serializers.CharField(source="module.title")
    hours = serializers.DecimalField(source="module.hours", max_digits=5, decimal_places=1)
    attended = serializers.BooleanField()


class EnrolmentSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    course = serializers.CharField(source="run.template.name", read_only=True)
    run_starts_on = serializers.DateField(source="run.starts_on", read_only=True)
    run_ends_on = serializers.DateField(source="run.ends_on", read_only=True)
    attendance = serializers.SerializerMethodField()
    attended_hours = serializers.SerializerMethodField()
    qualification = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "run",
            "course",
            "run_starts_on",
            "run_ends_on",
            "helper",
            "helper_name",
            "municipality",
            "status",
            "assessment_result",
            "enrolled_at",
            "completed_on",
            "attendance",
            "attended_hours",
            "qualification",
        ]
        read_only_fields = fields

    @extend_schema_field(AttendanceCellSerializer(many=True))
    def get_attendance(self, obj: Enrolment) -> list[dict[str, Any]]:
        return AttendanceCellSerializer(enrolment_attendance(obj), many=True).data

    @extend_schema_field(serializers.DecimalField(max_digits=6, decimal_places=1))
    def get_attended_hours(self, obj: Enrolment) -> str:
        return f"{attended_hours(enrolment_attendance(obj)):.1f}"

    def get_qualification(self, obj: Enrolment) -> int | None:
        try:
            return obj.qualification.pk
        except Qualification.DoesNotExist:
            return None


class EnrolRequestSerializer(serializers.Serializer):
    helper = serializers.IntegerField(help_text=_("The helper to enrol (their id)."))


class AttendanceMarkSerializer(serializers.Serializer):
    module = serializers.IntegerField()
    attended = serializers.BooleanField()


class AssessRequestSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=[
            (AssessmentResult.PASSED.value, _("Passed the assessment")),
            (AssessmentResult.FAILED.value, _("Did not pass the assessment")),
        ]
    )


class CompleteRequestSerializer(serializers.Serializer):
    completed_on = serializers.DateField(
        required=False, help_text=_("Defaults to today; not in the future.")
    )


class WithdrawRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class QualificationSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.full_name", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    course = serializers.CharField(source="template.name", read_only=True)

    class Meta:
        model = Qualification
        fields = [
            "id",
            "helper",
            "helper_name",
            "municipality",
            "programme",
            "programme_name",
            "template",
            "course",
            "enrolment",
            "qualified_on",
            "valid_until",
        ]
        read_only_fields = fields


class ProviderTraineeSerializer(serializers.Serializer):
    """One helper the provider trained, per course: the feedback a course provider gets. Name,
    course and result, and whether the helper is now in service — never contact details and
    never anything about participants."""

    enrolment = serializers.IntegerField(source="pk")
    helper_name = serializers.CharField(source="helper.full_name")
    municipality_name = serializers.CharField(source="municipality.name")
    course = serializers.CharField(source="run.template.name")
    run = serializers.IntegerField(source="run_id")
    run_starts_on = serializers.DateField(source="run.starts_on")
    course_result = serializers.CharField(
        source="status", help_text=_("enrolled, completed, failed (not passed) or withdrawn")
    )
    course_result_label = serializers.CharField(source="get_status_display")
    completed_on = serializers.DateField(allow_null=True)
    qualified = serializers.SerializerMethodField()
    helper_status = serializers.CharField(
        source="helper.status",
        help_text=_(
            "applicant, screening, in_training, qualified, active, paused or left (a plain "
            "string; the same values as a helper's status)"
        ),
    )
    helper_status_label = serializers.CharField(source="helper.get_status_display")
    helper_status_since = serializers.DateTimeField(source="helper.status_since")
    is_active = serializers.SerializerMethodField()
    is_assigned = serializers.SerializerMethodField()

    def get_qualified(self, obj: Enrolment) -> bool:
        try:
            return obj.qualification is not None
        except Qualification.DoesNotExist:
            return False

    def get_is_active(self, obj: Enrolment) -> bool:
        return obj.helper.status == "active"

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_is_assigned(self, obj: Enrolment) -> bool | None:
        # Whether the helper has a participant now (an open pairing); never whom.
        return getattr(obj, "helper_is_assigned", None)
