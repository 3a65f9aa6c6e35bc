"""One FilterSet for the partner register, shared by the HTML list, the CSV export and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.filters import ListFilterSet
from kobling.partners.choices import (
    AgreementKind,
    AgreementStatus,
    BookingStatus,
    MeetingKind,
    PartnerKind,
    PreventionLevel,
)
from kobling.partners.models import (
    Agreement,
    Booking,
    IncidentNote,
    KeyLogEntry,
    Meeting,
    Partner,
    agreement_status_q,
)
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Municipality, Programme

NO_AGREEMENT = "none"


def _municipalities(request):  # noqa: ANN001, ANN202
    if request is None:
        return Municipality.objects.none()
    return Municipality.objects.filter(pk__in=sorted(request.user.municipality_ids(*MANAGER_ROLES)))


def _programmes(request):  # noqa: ANN001, ANN202
    if request is None:
        return Programme.objects.none()
    return Programme.objects.filter(
        municipality__in=sorted(request.user.municipality_ids(*MANAGER_ROLES))
    )


class PartnerFilterSet(ListFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=_municipalities, label=_("Municipality")
    )
    kind = django_filters.ChoiceFilter(choices=PartnerKind.choices, label=_("Kind"))
    prevention_level = django_filters.ChoiceFilter(
        choices=PreventionLevel.choices, label=_("Prevention level")
    )
    programme = django_filters.ModelChoiceFilter(
        field_name="programmes", queryset=_programmes, label=_("Programme")
    )
    agreement_status = django_filters.ChoiceFilter(
        choices=[*AgreementStatus.choices, (NO_AGREEMENT, _("No agreement"))],
        method="filter_agreement_status",
        label=_("Agreement status"),
    )
    active = django_filters.BooleanFilter(field_name="is_active", label=_("Active"))

    class Meta:
        model = Partner
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(organisation_number__startswith=value.replace(" ", ""))
            | Q(contact_name__icontains=value)
        )

    def filter_agreement_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Partners with at least one agreement of this status today (or with none at all)."""
        if value == NO_AGREEMENT:
            return queryset.exclude(pk__in=Agreement.objects.values("partner_id"))
        today = timezone.localdate()
        matching = Agreement.objects.filter(agreement_status_q(value, today)).values("partner_id")
        return queryset.filter(pk__in=matching)


class AgreementFilterSet(ListFilterSet):
    # A plain number, not a model choice: a choice would answer "no such partner" differently
    # for another municipality's partners than for missing ones.
    partner = django_filters.NumberFilter(field_name="partner_id", label=_("Partner"))
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(
        choices=AgreementStatus.choices, method="filter_status", label=_("Status")
    )

    class Meta:
        model = Agreement
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(agreement_status_q(value, timezone.localdate()))


class BookingFilterSet(ListFilterSet):
    premises = django_filters.NumberFilter(field_name="premises_id", label=_("Premises"))
    partner = django_filters.NumberFilter(field_name="partner_id", label=_("Partner"))
    status = django_filters.ChoiceFilter(choices=BookingStatus.choices, label=_("Status"))
    starts_after = django_filters.IsoDateTimeFilter(
        field_name="ends_at", lookup_expr="gte", label=_("Ends after")
    )
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", label=_("Starts before")
    )

    class Meta:
        model = Booking
        fields: list[str] = []


class KeyLogFilterSet(ListFilterSet):
    premises = django_filters.NumberFilter(field_name="premises_id", label=_("Premises"))
    partner = django_filters.NumberFilter(field_name="partner_id", label=_("Partner"))

    class Meta:
        model = KeyLogEntry
        fields: list[str] = []


class IncidentFilterSet(ListFilterSet):
    premises = django_filters.NumberFilter(field_name="premises_id", label=_("Premises"))

    class Meta:
        model = IncidentNote
        fields: list[str] = []


class MeetingFilterSet(ListFilterSet):
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label=_("Kind"))
    partner = django_filters.NumberFilter(
        field_name="invitations__partner_id", label=_("Invited partner")
    )

    class Meta:
        model = Meeting
        fields: list[str] = []
