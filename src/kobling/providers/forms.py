"""Forms for providers, sites, trainers, certificates, placements, the provider's answer, the
visit file and the trainer's phone screen. ``version`` travels with every edit form; the
services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.partners.models import Partner
from kobling.providers.choices import ActivityProviderKind, CertificateKind
from kobling.providers.models import (
    ActivityProvider,
    ConcessionTerms,
    ContractRequirement,
    ProviderSite,
    Trainer,
)
from kobling.referrals.choices import Benefit
from kobling.tenancy.models import Municipality

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProviderForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    name = forms.CharField(label=_("Name"), max_length=160)
    organisation_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        help_text=_("Nine digits, from the Brønnøysund register."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ActivityProviderKind.choices])
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label=_("Partner register entry"),
        help_text=_("The same organisation in the partner register, where its agreements are."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=160, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = VersionFormField()

    FIELDS = (
        "name",
        "organisation_number",
        "kind",
        "partner",
        "contact_name",
        "contact_phone",
        "contact_email",
        "is_active",
    )

    def __init__(self, *args: Any, user: Any, provider: ActivityProvider | None = None, **kw: Any):
        if provider is not None:
            initial = {f: getattr(provider, f) for f in self.FIELDS}
            initial.update(partner=provider.partner_id, version=provider.version)
            kw["initial"] = {**initial, **kw.get("initial", {})}
        super().__init__(*args, **kw)
        managed = sorted(managed_municipality_ids(user))
        if provider is None:
            self.fields["version"].required = False
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
            if len(managed) == 1:
                self.fields["municipality"].initial = managed[0]
        else:
            del self.fields["municipality"]
            managed = [provider.municipality_id]
        self.fields["partner"].queryset = Partner.objects.filter(municipality_id__in=managed)

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.FIELDS}


class SiteForm(forms.ModelForm):
    version = VersionFormField(required=False)

    class Meta:
        model = ProviderSite
        fields = (
            "name",
            "street_address",
            "postcode",
            "post_town",
            "opening_hours",
            "accessibility",
            "is_active",
        )
        widgets = {
            "opening_hours": forms.Textarea(attrs={"rows": 3}),
            "accessibility": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial["version"] = self.instance.version

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class TrainerForm(forms.ModelForm):
    class Meta:
        model = Trainer
        fields = ("first_name", "last_name", "email", "phone")

    def data_kwargs(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CertificateKind.choices)
    issuer = forms.CharField(label=_("Issuer"), max_length=160)
    number = forms.CharField(label=_("Certificate number"), max_length=60)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_("Expires"), widget=DATE)


class PlacementForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=ActivityProvider.objects.none(),
        label=pgettext_lazy("activity provider", "Provider"),
    )
    site = forms.ModelChoiceField(
        queryset=ProviderSite.objects.none(), required=False, label=_("Site")
    )
    trainer = forms.ModelChoiceField(
        queryset=Trainer.objects.none(), required=False, label=_("Trainer")
    )
    activity = forms.CharField(
        label=_("Recommended activity"),
        max_length=300,
        help_text=_("What the referrer recommends, e.g. strength training twice a week."),
    )
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("To"), widget=DATE)

    def __init__(self, *args: Any, episode: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        mine = {"municipality_id": episode.municipality_id}
        self.fields["provider"].queryset = ActivityProvider.objects.filter(is_active=True, **mine)
        self.fields["site"].queryset = ProviderSite.objects.filter(is_active=True, **mine)
        self.fields["trainer"].queryset = Trainer.objects.filter(is_active=True, **mine)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The period cannot end before it starts."))
        return data


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Accept")), ("no", _("Decline"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    trainer = forms.ModelChoiceField(
        queryset=Trainer.objects.none(), required=False, label=_("Trainer")
    )
    reason = forms.CharField(
        label=_("Reason for declining"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = VersionFormField()

    def __init__(self, *args: Any, placement: Any, **kw: Any) -> None:
        kw.setdefault("initial", {})["version"] = placement.version
        super().__init__(*args, **kw)
        self.fields["trainer"].queryset = Trainer.objects.filter(
            provider_id=placement.provider_id, is_active=True
        )


class VisitFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: visit_id, placement, date, minutes. Comma or semicolon."),
    )


class PhoneVisitForm(forms.Form):
    placement = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, initial=60)


# --- managers' pages: placement settings and rules, staff, contract terms -----------------------


class PlacementSettingsForm(forms.Form):
    answer_days = forms.IntegerField(
        label=_("Days the provider has to answer"), min_value=1, max_value=60
    )
    required_certificates = forms.MultipleChoiceField(
        label=_("Certificates an assigned trainer needs (any of)"),
        choices=CertificateKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any of the three."),
    )
    visit_confirmation_by_participant = forms.BooleanField(
        label=_("Participants confirm their visits"),
        required=False,
        help_text=_(
            "When a provider reports a visit, the participant gets an e-mail with a link to "
            "confirm that they came (or say they did not)."
        ),
    )
    version = VersionFormField()


class PlacementRuleForm(forms.Form):
    benefit = forms.ChoiceField(label=_("Benefit group"), choices=Benefit.choices)
    provider = forms.ModelChoiceField(
        queryset=ActivityProvider.objects.none(),
        label=pgettext_lazy("activity provider", "Provider"),
    )
    activity = forms.CharField(
        label=_("Recommended activity"),
        max_length=300,
        help_text=_("What a course placed by the rule is recommended."),
    )
    weeks = forms.IntegerField(
        label=_("Weeks"),
        min_value=1,
        max_value=104,
        initial=12,
        help_text=_("The placement's length when the course has no planned end."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = VersionFormField(required=False)

    def __init__(self, *args: Any, municipality_id: int, editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["provider"].queryset = ActivityProvider.objects.filter(
            municipality_id=municipality_id, is_active=True
        )
        if editing:
            self.fields["version"].required = True
        else:
            del self.fields["is_active"]


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)


class TermsForm(forms.ModelForm):
    version = VersionFormField(required=False)

    class Meta:
        model = ConcessionTerms
        fields = [
            "price_model",
            "price",
            "period_months",
            "capacity",
            "cap_per_person",
            "sessions_per_week",
        ]

    def __init__(self, *args: Any, agreements: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial["version"] = self.instance.version
        else:
            self.fields["agreement"] = forms.ModelChoiceField(
                queryset=agreements, label=_("Concession agreement")
            )
            self.order_fields(["agreement"])

    def _post_clean(self) -> None:
        # The services validate the whole row (the agreement and provider are set there).
        pass


class RequirementForm(forms.ModelForm):
    class Meta:
        model = ContractRequirement
        fields = ["measure", "target", "period_months", "text"]

    def _post_clean(self) -> None:
        pass
