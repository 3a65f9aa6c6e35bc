from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.lib.counties import COUNTY_TILES
from kobling.rehab.choices import DiagnosisGroup, Icd10, IndexEvent
from kobling.rehab.models import RehabOffer
from kobling.rehab.services import OFFER_FIELDS
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Municipality, User


class DenominatorImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: unit;diagnosis;period;sex;age_band;eligible (e.g. H001;chd;2025Q1;female;60-69;12)."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Where the counts come from (patient administration, quality register)."),
    )


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            field.widget.attrs.setdefault("class", "ds-input")


class OfferForm(forms.ModelForm):
    """A unit's offer: created for one of the units the user manages, or changed with the
    version read (a stale version is refused by the service)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Municipality.objects.none())
    county_code = forms.ChoiceField(label=_("County"))
    version = VersionFormField(required=False)

    class Meta:
        model = RehabOffer
        fields = list(OFFER_FIELDS)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = sorted(
            ((code, tile[2]) for code, tile in COUNTY_TILES.items()), key=lambda c: c[1]
        )
        if self.instance.pk:
            del self.fields["unit"]
            self.fields["version"].required = True
            self.initial.setdefault("version", self.instance.version)
        else:
            del self.fields["version"]
            self.fields["unit"].queryset = Municipality.objects.filter(
                pk__in=user.municipality_ids(*MANAGER_ROLES)
            ).order_by("name")
        _styled(self)

    def _post_clean(self) -> None:
        """The service validates the model (with its unit); the form checks its fields only."""

    def offer_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in OFFER_FIELDS}


class CourseRegisterForm(forms.Form):
    """The register's fields of one rehabilitation course (the same as the API's)."""

    diagnosis = forms.ChoiceField(label=_("Diagnosis group"), choices=DiagnosisGroup.choices)
    icd10 = forms.ChoiceField(label=_("ICD-10 code"), choices=Icd10.choices)
    index_event = forms.ChoiceField(label=_("Index event"), choices=IndexEvent.choices)
    index_date = forms.DateField(
        label=_("Date of the index event"), widget=forms.DateInput(attrs={"type": "date"})
    )
    referral_date = forms.DateField(
        label=_("Referred on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    offer = forms.ModelChoiceField(
        label=_("Offer"), queryset=RehabOffer.objects.none(), required=False
    )

    def __init__(self, *args: Any, unit_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = RehabOffer.objects.filter(municipality_id=unit_id)
        _styled(self)
