"""One FilterSet for the helper register, shared by the HTML list, the API and the exports."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet, visible_municipalities, visible_programmes
from kobling.helpers.choices import Gender, HelperKind, HelperStatus
from kobling.helpers.models import Activity, Helper, TargetGroup


class HelperFilterSet(ListFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=visible_municipalities, label=_("Municipality")
    )
    programme = django_filters.ModelChoiceFilter(queryset=visible_programmes, label=_("Programme"))
    status = django_filters.MultipleChoiceFilter(choices=HelperStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=HelperKind.choices, label=_("Kind"))
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label=_("Gender"))
    activity = django_filters.ModelChoiceFilter(
        field_name="activities",
        to_field_name="code",
        queryset=Activity.objects.filter(is_active=True),
        label=_("Activity"),
    )
    target_group = django_filters.ModelChoiceFilter(
        field_name="target_groups",
        to_field_name="code",
        queryset=TargetGroup.objects.filter(is_active=True),
        label=_("Target group"),
    )
    postcode = django_filters.CharFilter(
        field_name="postcode", lookup_expr="startswith", label=_("Postcode starts with")
    )
    area = django_filters.CharFilter(
        field_name="home_area", lookup_expr="icontains", label=_("Area")
    )
    unconfirmed = django_filters.BooleanFilter(field_name="is_unconfirmed", label=_("Unconfirmed"))
    police_expiring_within = django_filters.NumberFilter(
        method="police_expiring",
        label=_("Police certificate expires within (days)"),
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
    )
    available = django_filters.BooleanFilter(
        method="filter_available", label=_("Available for matching")
    )

    class Meta:
        model = Helper
        fields = [
            "q",
            "municipality",
            "programme",
            "status",
            "kind",
            "gender",
            "activity",
            "target_group",
            "postcode",
            "area",
            "unconfirmed",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q()
        for word in value.split():
            q &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
            )
        return queryset.filter(q)

    def police_expiring(self, queryset: QuerySet, name: str, value: float) -> QuerySet:
        today = timezone.localdate()
        return queryset.filter(
            police_certificate_expires__gte=today,
            police_certificate_expires__lte=today + dt.timedelta(days=int(value)),
        )

    def filter_available(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        available = Q(status=HelperStatus.ACTIVE, is_unconfirmed=False)
        return queryset.filter(available) if value else queryset.exclude(available)
