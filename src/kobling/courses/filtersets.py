"""FilterSets for courses, shared by the HTML lists and the API. Choices for related records
come from what the caller may see, and ids of people are filtered as plain numbers so that a
filter never tells whether someone else's record exists."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet
from kobling.courses.choices import CourseLevel, EnrolmentStatus, RunStatus
from kobling.courses.models import (
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    Qualification,
)
from kobling.tenancy.models import Municipality, Programme


def _visible(model):  # noqa: ANN001, ANN202
    def queryset(request):  # noqa: ANN001, ANN202
        return model.objects.visible_to(request.user) if request else model.objects.none()

    return queryset


class CourseRunFilterSet(ListFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices, label=_("Status"))
    template = django_filters.ModelChoiceFilter(
        queryset=_visible(CourseTemplate), label=_("Course")
    )
    level = django_filters.ChoiceFilter(
        field_name="template__level", choices=CourseLevel.choices, label=_("Level")
    )
    provider = django_filters.ModelChoiceFilter(
        queryset=_visible(CourseProvider), label=_("Provider")
    )
    municipality = django_filters.ModelChoiceFilter(
        queryset=_visible(Municipality), label=_("Municipality")
    )
    programme = django_filters.ModelChoiceFilter(queryset=_visible(Programme), label=_("Programme"))
    starts_after = django_filters.DateFilter(
        field_name="starts_on", lookup_expr="gte", label=_("Starts on or after")
    )
    starts_before = django_filters.DateFilter(
        field_name="starts_on", lookup_expr="lte", label=_("Starts on or before")
    )

    class Meta:
        model = CourseRun
        fields = [
            "q",
            "status",
            "template",
            "level",
            "provider",
            "municipality",
            "programme",
            "starts_after",
            "starts_before",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q()
        for word in value.split():
            q &= (
                Q(template__name__icontains=word)
                | Q(place__icontains=word)
                | Q(leader_name__icontains=word)
                | Q(provider__name__icontains=word)
            )
        return queryset.filter(q)


class CourseTemplateFilterSet(ListFilterSet):
    level = django_filters.ChoiceFilter(choices=CourseLevel.choices, label=_("Level"))
    provider = django_filters.ModelChoiceFilter(
        queryset=_visible(CourseProvider), label=_("Provider")
    )
    shared = django_filters.BooleanFilter(
        field_name="provider", lookup_expr="isnull", label=_("Shared template")
    )
    is_active = django_filters.BooleanFilter(label=_("In use"))
    qualifies = django_filters.BooleanFilter(label=_("Gives a qualification"))

    class Meta:
        model = CourseTemplate
        fields = ["level", "provider", "shared", "is_active", "qualifies"]


class EnrolmentFilterSet(ListFilterSet):
    run = django_filters.NumberFilter(field_name="run_id", label=_("Course run"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Helper"))
    status = django_filters.MultipleChoiceFilter(choices=EnrolmentStatus.choices, label=_("Status"))

    class Meta:
        model = Enrolment
        fields = ["run", "helper", "status"]


class QualificationFilterSet(ListFilterSet):
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Helper"))
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    template = django_filters.NumberFilter(field_name="template_id", label=_("Course"))
    qualified_after = django_filters.DateFilter(
        field_name="qualified_on", lookup_expr="gte", label=_("Qualified on or after")
    )

    class Meta:
        model = Qualification
        fields = ["helper", "programme", "template", "qualified_after"]


def _provider_runs(request):  # noqa: ANN001, ANN202
    if request is None or not request.user.is_authenticated or not request.user.provider_ids:
        return CourseRun.objects.none()
    return (
        CourseRun.objects.visible_to(request.user)
        .filter(provider__in=sorted(request.user.provider_ids))
        .select_related("template")
    )


class ProviderTraineeFilterSet(ListFilterSet):
    run = django_filters.ModelChoiceFilter(queryset=_provider_runs, label=_("Course run"))
    course_result = django_filters.MultipleChoiceFilter(
        field_name="status", choices=EnrolmentStatus.choices, label=_("Course result")
    )

    class Meta:
        model = Enrolment
        fields = ["run", "course_result"]
