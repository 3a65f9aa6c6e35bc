"""Forms of the catalogue: the public search, the managers' entry form and the organisation's.
``version`` travels with every edit; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.catalogue.choices import ORGANISATION_KINDS, JoinBy, OfferKind
from kobling.catalogue.services import OFFER_FIELDS, ORGANISATION_FIELDS
from kobling.core.versions import VersionFormField
from kobling.helpers.models import TargetGroup
from kobling.partners.choices import PreventionLevel
from kobling.partners.models import Partner
from kobling.tenancy.models import Municipality, Programme

ANY = [("", _("All"))]


class SearchForm(forms.Form):
    """The public search's filters (GET). Choices come from ``selectors.facets``."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    target_group = forms.ChoiceField(label=_("Target group"), required=False)
    prevention_level = forms.ChoiceField(
        label=_("Prevention level"), choices=ANY + PreventionLevel.choices, required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ANY + OfferKind.choices, required=False)
    join_by = forms.ChoiceField(
        label=_("How to join"), choices=ANY + JoinBy.choices, required=False
    )

    def __init__(self, *args: Any, facets: dict[str, list], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = ANY + [tuple(m) for m in facets["municipalities"]]
        self.fields["target_group"].choices = ANY + [tuple(g) for g in facets["target_groups"]]


class OfferForm(forms.Form):
    """A manager's entry. The kind and the organisation are chosen when it is made."""

    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(label=_("What it is"), max_length=2000, widget=forms.Textarea)
    target_groups = forms.ModelMultipleChoiceField(
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Target groups"),
        help_text=_("None ticked means everyone."),
    )
    prevention_level = forms.ChoiceField(
        label=_("Prevention level"),
        choices=[("", "—"), *PreventionLevel.choices],
        help_text=_("Universal: everyone; selective: groups at risk; indicated: individuals."),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    times = forms.CharField(
        label=_("Times"),
        max_length=300,
        required=False,
        help_text=_("For example: Tuesdays 18:00–19:30, from September to December."),
    )
    is_free = forms.BooleanField(label=_("Free of charge"), required=False, initial=True)
    cost = forms.CharField(label=_("Cost"), max_length=200, required=False)
    join_by = forms.ChoiceField(label=_("How to join"), choices=[("", "—"), *JoinBy.choices])
    join_details = forms.CharField(label=_("How to join, in words"), max_length=300, required=False)
    contact_phone = forms.CharField(label=_("Public phone"), max_length=20, required=False)
    contact_email = forms.EmailField(
        label=_("Public e-mail"),
        required=False,
        help_text=_("An office or shared address — the catalogue names no person."),
    )
    website = forms.URLField(label=_("Web page"), required=False, assume_scheme="https")
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(),
        required=False,
        label=_("Programme a referral goes to"),
    )
    version = VersionFormField()

    fields_saved = OFFER_FIELDS

    def __init__(
        self, *args: Any, offer: Any = None, municipality_id: int | None = None, **kwargs: Any
    ) -> None:
        if offer is not None:
            initial = {f: getattr(offer, f) for f in self.fields_saved}
            initial.update(
                target_groups=[g.pk for g in offer.target_groups.all()], version=offer.version
            )
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if offer is None:
            self.fields["version"].required = False
        if "programme" in self.fields:
            where = offer.municipality_id if offer is not None else municipality_id
            self.fields["programme"].queryset = Programme.objects.filter(
                municipality_id=where, is_active=True
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("is_free") and not (data.get("cost") or "").strip():
            self.add_error("cost", _("Say what it costs, or mark it free of charge."))
        return data

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.fields_saved}


class NewOfferForm(OfferForm):
    """A manager's new entry: also the municipality, the kind and (for a peer group or course)
    the organisation."""

    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *OfferKind.choices])
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label=_("Organisation"),
        help_text=_("Required for a peer group or a course."),
    )
    field_order = ["municipality", "kind", "partner"]

    def __init__(self, *args: Any, managed: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
        if len(managed) == 1:
            self.fields["municipality"].initial = managed[0]
        self.fields["partner"].queryset = Partner.objects.filter(
            municipality__in=managed, is_active=True
        ).order_by("name")
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=managed, is_active=True
        ).select_related("municipality")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") in ORGANISATION_KINDS and not data.get("partner"):
            self.add_error("partner", _("A peer group or course belongs to an organisation."))
        return data


class OrganisationOfferForm(OfferForm):
    """The organisation's own peer group or course (no programme: the municipality links it)."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", "—"), *[(k.value, k.label) for k in ORGANISATION_KINDS]],
    )
    field_order = ["kind"]
    fields_saved = ORGANISATION_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["programme"]
        if kwargs.get("offer") is not None:
            del self.fields["kind"]
