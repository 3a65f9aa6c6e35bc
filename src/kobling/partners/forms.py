"""Forms for partners and agreements. ``version`` travels with the form so that two people
editing at once cannot silently overwrite each other; the services hold the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.partners.choices import (
    AgreementKind,
    Clause,
    KeyAction,
    MeetingKind,
    PartnerKind,
    PremisesKind,
    PreventionLevel,
)
from kobling.partners.models import Booking, KeyLogEntry, Partner, Premises
from kobling.partners.services import (
    AGREEMENT_FIELDS,
    MEETING_FIELDS,
    PARTNER_FIELDS,
    PREMISES_FIELDS,
)
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Municipality, Programme, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def managers_of(municipality_ids):  # noqa: ANN001, ANN201
    """The coordinators and administrators of these municipalities (a partner's contact)."""
    return (
        User.objects.filter(
            memberships__municipality__in=list(municipality_ids),
            memberships__role__in=list(MANAGER_ROLES),
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _when_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DATETIME, input_formats=DATETIME_FORMATS)


class PartnerForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    name = forms.CharField(label=_("Name"), max_length=160)
    organisation_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        required=False,
        help_text=_("Nine digits, from the Brønnøysund register. Optional."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *PartnerKind.choices])
    prevention_level = forms.ChoiceField(
        label=_("Prevention level"),
        choices=[("", "—"), *PreventionLevel.choices],
        required=False,
        help_text=_("Universal: everyone; selective: groups at risk; indicated: individuals."),
    )
    programmes = forms.ModelMultipleChoiceField(
        queryset=Programme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Programmes"),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=160, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    municipal_contact = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Contact person in the municipality"),
        help_text=_("The one person in the municipality the organisation turns to."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = VersionFormField()

    def __init__(self, *args: Any, user: Any, partner: Any = None, **kwargs: Any) -> None:
        if partner is not None:
            initial = {field: getattr(partner, field) for field in PARTNER_FIELDS}
            initial.update(
                municipality=partner.municipality_id,
                programmes=list(partner.programmes.values_list("pk", flat=True)),
                version=partner.version,
            )
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        managed = sorted(managed_municipality_ids(user))
        if partner is None:
            self.fields["version"].required = False  # a new partner has no version yet
        if partner is not None:
            # The municipality of a partner does not change.
            del self.fields["municipality"]
            managed = [partner.municipality_id]
        else:
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
            if len(managed) == 1:
                self.fields["municipality"].initial = managed[0]
        self.fields["programmes"].queryset = Programme.objects.filter(
            municipality__in=managed
        ).select_related("municipality")
        self.fields["municipal_contact"].queryset = managers_of(managed)
        self.fields["municipal_contact"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )

    def data_kwargs(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in PARTNER_FIELDS}


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *AgreementKind.choices])
    starts_on = forms.DateField(label=_("Starts"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends"), widget=DATE, required=False)
    review_on = forms.DateField(
        label=_("Review by"),
        widget=DATE,
        required=False,
        help_text=_("When the agreement is to be evaluated and renewed or ended."),
    )
    covers = forms.CharField(
        label=_("What it covers"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    clauses = forms.MultipleChoiceField(
        label=_("Clauses covered"),
        choices=Clause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    premises = forms.ModelMultipleChoiceField(
        queryset=Premises.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Premises covered"),
    )
    version = VersionFormField()

    def __init__(
        self, *args: Any, agreement: Any = None, municipality_id: int | None = None, **kwargs: Any
    ) -> None:
        if agreement is not None:
            initial = {field: getattr(agreement, field) for field in AGREEMENT_FIELDS}
            initial["version"] = agreement.version
            initial["premises"] = list(agreement.premises.values_list("pk", flat=True))
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
            municipality_id = agreement.municipality_id
        super().__init__(*args, **kwargs)
        if agreement is None:
            self.fields["version"].required = False  # a new agreement has no version yet
        self.fields["premises"].queryset = Premises.objects.filter(municipality_id=municipality_id)
        if not self.fields["premises"].queryset.exists():
            del self.fields["premises"]

    def data_kwargs(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in AGREEMENT_FIELDS}

    def premises_chosen(self) -> Any:
        return self.cleaned_data.get("premises") if "premises" in self.fields else None


class PremisesForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *PremisesKind.choices])
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("Capacity (people)"), min_value=1, required=False)
    owner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label=_("Managed by partner"),
        help_text=_("Empty: the municipality manages it."),
    )
    keys = forms.CharField(
        label=_("Keys and who holds them"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    locking = forms.CharField(
        label=_("Locking up"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cleaning = forms.CharField(
        label=_("Cleaning"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    alarm = forms.CharField(
        label=_("Alarm"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    contact_name = forms.CharField(label=_("Contact to call"), max_length=160, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Can be booked"), required=False, initial=True)
    version = VersionFormField()

    def __init__(self, *args: Any, user: Any, premises: Any = None, **kwargs: Any) -> None:
        if premises is not None:
            initial = {f: getattr(premises, f) for f in PREMISES_FIELDS}
            initial.update(version=premises.version, owner=premises.owner_id)
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        managed = sorted(managed_municipality_ids(user))
        if premises is None:
            self.fields["version"].required = False
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
            if len(managed) == 1:
                self.fields["municipality"].initial = managed[0]
        else:
            del self.fields["municipality"]
            managed = [premises.municipality_id]
        self.fields["owner"].queryset = Partner.objects.filter(municipality__in=managed)

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in PREMISES_FIELDS}


class BookingForm(forms.Form):
    """A booking by staff (``partners`` given: for a partner or the municipality) or by an
    organisation (no partner field)."""

    title = forms.CharField(label=_("What for"), max_length=160)
    starts_at = _when_field(_("Starts"))
    ends_at = _when_field(_("Ends"))
    repeat_until = forms.DateField(
        label=_("Repeat weekly until"),
        widget=DATE,
        required=False,
        help_text=_("For a recurring booking through a term. Empty: once."),
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label=_("Organisation"),
        help_text=_("Empty: the municipality's own booking."),
    )

    def __init__(self, *args: Any, partners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)
    whole_series = forms.BooleanField(
        label=_("Also the later bookings in the series"), required=False
    )


class KeyLogForm(forms.Form):
    key_label = forms.CharField(label=_("Key"), max_length=60)
    action = forms.ChoiceField(label=_("What happened"), choices=KeyAction.choices)
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(), required=False, label=_("Organisation")
    )
    holder_name = forms.CharField(
        label=_("Handed to / returned by"), max_length=160, required=False
    )
    happened_at = _when_field(_("When"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    supersedes = forms.ModelChoiceField(
        queryset=KeyLogEntry.objects.none(),
        required=False,
        label=_("Corrects line"),
        help_text=_(
            "A wrong line is never changed: record the right one and say which it corrects."
        ),
    )

    def __init__(self, *args: Any, premises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(
            municipality_id=premises.municipality_id
        )
        self.fields["supersedes"].queryset = premises.key_log.filter(superseded_by__isnull=True)


class IncidentForm(forms.Form):
    happened_at = _when_field(_("When"))
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3})
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(), required=False, label=_("Organisation")
    )

    def __init__(self, *args: Any, premises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(
            municipality_id=premises.municipality_id
        )


class MeetingForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=160)
    starts_at = _when_field(_("Starts"))
    ends_at = _when_field(_("Ends"))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    booking = forms.ModelChoiceField(
        queryset=Booking.objects.none(),
        required=False,
        label=_("Premises booking"),
        help_text=_("Book the premises first; the meeting then takes its place from it."),
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    version = VersionFormField()

    def __init__(self, *args: Any, user: Any, meeting: Any = None, **kwargs: Any) -> None:
        if meeting is not None:
            initial = {f: getattr(meeting, f) for f in MEETING_FIELDS}
            initial.update(version=meeting.version, booking=meeting.booking_id)
            for f in ("starts_at", "ends_at"):
                initial[f] = timezone.localtime(initial[f])
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        managed = sorted(managed_municipality_ids(user))
        if meeting is None:
            self.fields["version"].required = False
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
            if len(managed) == 1:
                self.fields["municipality"].initial = managed[0]
            self.fields["minutes"].widget = forms.HiddenInput()
        else:
            del self.fields["municipality"]
            managed = [meeting.municipality_id]
        self.fields["booking"].queryset = (
            Booking.objects.filter(
                municipality__in=managed,
                status="active",
                ends_at__gte=timezone.now() - dt.timedelta(days=1),
            )
            | Booking.objects.filter(pk=getattr(meeting, "booking_id", None) or 0)
        ).select_related("premises")

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in MEETING_FIELDS}


class InviteForm(forms.Form):
    partners = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Partners to invite"),
    )

    def __init__(self, *args: Any, meeting: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = Partner.objects.filter(
            municipality_id=meeting.municipality_id, is_active=True
        ).exclude(meeting_invitations__meeting=meeting)
