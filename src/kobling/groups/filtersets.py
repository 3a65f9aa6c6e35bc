"""FilterSets for group offers, meetings and enrolments (shared by the API and, later, pages)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet
from kobling.groups.choices import EnrolmentStatus, GroupTopic, MeetingStatus
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting


class OfferFilterSet(ListFilterSet):
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    topic = django_filters.ChoiceFilter(choices=GroupTopic.choices, label=_("Topic"))
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))

    class Meta:
        model = GroupOffer
        fields: list[str] = []


class MeetingFilterSet(ListFilterSet):
    offer = django_filters.NumberFilter(field_name="offer_id", label=_("Group offer"))
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label=_("Status"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Meeting
        fields: list[str] = []


class EnrolmentFilterSet(ListFilterSet):
    offer = django_filters.NumberFilter(field_name="offer_id", label=_("Group offer"))
    episode = django_filters.NumberFilter(field_name="episode_id", label=_("Course"))
    status = django_filters.ChoiceFilter(choices=EnrolmentStatus.choices, label=_("Status"))

    class Meta:
        model = GroupEnrolment
        fields: list[str] = []
