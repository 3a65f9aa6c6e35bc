"""Forms for partners and agreements. ``version`` travels with the form so that two people
editing at once cannot silently overwrite each other; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.partners.choices import AgreementKind, Clause, PartnerKind, PreventionLevel
from kobling.partners.services import AGREEMENT_FIELDS, PARTNER_FIELDS
from kobling.tenancy.models import Municipality, Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
    version = VersionFormField()

    def __init__(self, *args: Any, agreement: Any = None, **kwargs: Any) -> None:
        if agreement is not None:
            initial = {field: getattr(agreement, field) for field in AGREEMENT_FIELDS}
            initial["version"] = agreement.version
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if agreement is None:
            self.fields["version"].required = False  # a new agreement has no version yet

    def data_kwargs(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in AGREEMENT_FIELDS}
