"""Forms for grants. ``version`` travels with every form that edits a versioned record; the
services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.grants.choices import SCORE_MAX, SCORE_MIN, DecisionOutcome, RoundKind
from kobling.grants.services import APPLICATION_FIELDS, REPORT_FIELDS, ROUND_FIELDS, SCHEME_FIELDS
from kobling.partners.choices import Clause, PreventionLevel
from kobling.partners.models import validate_orgnr
from kobling.tenancy.models import Municipality

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 4})


class _Versioned(forms.Form):
    version = VersionFormField()

    def __init__(
        self, *args: Any, instance: Any = None, fields: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        if instance is not None:
            initial = {f: getattr(instance, f) for f in fields}
            initial["version"] = instance.version
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if instance is None:
            self.fields["version"].required = False

    def values(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {n: self.cleaned_data[n] for n in names if n in self.cleaned_data}


class SchemeForm(_Versioned):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    name = forms.CharField(label=_("Name"), max_length=160)
    purpose = forms.CharField(label=_("Purpose"), widget=TEXT)
    eligibility = forms.CharField(label=_("Who may apply"), widget=TEXT)
    budget = forms.DecimalField(label=_("Budget (NOK)"), min_value=0, decimal_places=0)
    round_kind = forms.ChoiceField(label=_("Rounds"), choices=RoundKind.choices)
    agreement_threshold = forms.DecimalField(
        label=_("Written agreement from (NOK)"),
        min_value=0,
        decimal_places=0,
        help_text=_("A grant above this amount requires a written grant agreement."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, scheme: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=scheme, fields=SCHEME_FIELDS, **kwargs)
        if scheme is not None:
            del self.fields["municipality"]
        else:
            managed = sorted(managed_municipality_ids(user))
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
            if len(managed) == 1:
                self.fields["municipality"].initial = managed[0]

    def data_kwargs(self) -> dict[str, Any]:
        return self.values(SCHEME_FIELDS)


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=160)
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, initial=1)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RoundForm(_Versioned):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("For example the year."))
    opens_on = forms.DateField(label=_("Opens"), widget=DATE)
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=DATETIME,
        required=False,
        help_text=_("A rolling scheme's round may have none."),
    )
    budget = forms.DecimalField(
        label=_("Budget for the round (NOK)"),
        min_value=0,
        decimal_places=0,
        required=False,
        help_text=_("Empty: the scheme's budget."),
    )

    def __init__(self, *args: Any, grant_round: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=grant_round, fields=ROUND_FIELDS, **kwargs)

    def data_kwargs(self) -> dict[str, Any]:
        return self.values(ROUND_FIELDS)


class SettingsForm(_Versioned):
    watchdog_sentence = forms.CharField(
        label=_("Watchdog role sentence"),
        max_length=600,
        widget=TEXT,
        help_text=_("Printed on every grant letter."),
    )


class ScoreForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, criteria: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.TypedChoiceField(
                label=f"{criterion.name} ({_('weight')} {criterion.weight})",
                choices=[("", "—")] + [(str(v), str(v)) for v in range(SCORE_MIN, SCORE_MAX + 1)],
                coerce=int,
                required=False,
            )
        self.order_fields([f"criterion_{c.pk}" for c in criteria] + ["comment"])


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict of interest?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(_Versioned):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    amount = forms.DecimalField(
        label=_("Amount granted (NOK)"), min_value=0, decimal_places=0, required=False
    )
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=TEXT)
    reasons = forms.CharField(
        label=_("Reasons"), widget=TEXT, help_text=_("The letter gives them to the applicant.")
    )
    report_due_on = forms.DateField(label=_("Report due"), widget=DATE, required=False)


class AgreementFromGrantForm(forms.Form):
    starts_on = forms.DateField(label=_("Starts"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends"), widget=DATE, required=False)
    clauses = forms.MultipleChoiceField(
        label=_("Clauses covered"),
        choices=Clause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[Clause.PURPOSE, Clause.CONTACTS, Clause.FOLLOW_UP, Clause.ACCOUNTS],
    )


class PaidForm(_Versioned):
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)


class ReclaimForm(_Versioned):
    reclaimed_on = forms.DateField(label=_("Reclaimed on"), widget=DATE)
    reclaim_reason = forms.CharField(
        label=_("Why it is reclaimed"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(_Versioned):
    questions = forms.CharField(
        label=_("Follow-up questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to approve."),
    )


# --- the organisation's forms --------------------------------------------------------------


class SignInRequestForm(forms.Form):
    organisation_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        help_text=_("Nine digits, from the Brønnøysund register."),
    )
    organisation_name = forms.CharField(label=_("Organisation"), max_length=160)
    name = forms.CharField(label=_("Your name"), max_length=160)
    email = forms.EmailField(label=_("Your e-mail"), help_text=_("We send the sign-in link here."))
    # Left empty by people; filled by robots.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    issued = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_organisation_number(self) -> str:
        value = "".join(self.cleaned_data["organisation_number"].split())
        validate_orgnr(value)
        return value


class ApplicationForm(_Versioned):
    title = forms.CharField(label=_("Title"), max_length=160)
    purpose = forms.CharField(label=_("What the money is for"), widget=TEXT, required=False)
    target_groups = forms.CharField(
        label=_("Target groups"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who the activity is for."),
    )
    prevention_level = forms.ChoiceField(
        label=_("Prevention level"),
        choices=[("", "—"), *PreventionLevel.choices],
        required=False,
        help_text=_("Universal: everyone; selective: groups at risk; indicated: individuals."),
    )
    expected_participants = forms.IntegerField(
        label=_("Expected participants"), min_value=0, required=False
    )

    def __init__(self, *args: Any, application: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=application, fields=APPLICATION_FIELDS, **kwargs)

    def data_kwargs(self) -> dict[str, Any]:
        return self.values(APPLICATION_FIELDS)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attachment"), help_text=_("PDF, JPEG or PNG, at most 10 MB."))


class ReportForm(_Versioned):
    activities = forms.CharField(label=_("Activities held"), widget=TEXT, required=False)
    participants = forms.IntegerField(
        label=_("Participants (number)"),
        min_value=0,
        required=False,
        help_text=_("A count only: no names."),
    )
    deviations = forms.CharField(
        label=_("Deviations from the application"), widget=TEXT, required=False
    )

    def __init__(self, *args: Any, report: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=report, fields=REPORT_FIELDS, **kwargs)

    def data_kwargs(self) -> dict[str, Any]:
        return self.values(REPORT_FIELDS)
