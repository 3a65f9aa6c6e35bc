"""Forms for the pay pages. They only shape input; the rules live in the services (whose errors
come back onto the form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.followup.choices import OPEN_PAIRING_STATUSES
from kobling.followup.models import Pairing
from kobling.helpers.models import Helper
from kobling.pay.choices import MAX_EXTRA_MINUTES, ExpenseCategory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RECEIPT_ACCEPT = "application/pdf,image/jpeg,image/png"


class MonthPickerForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )


class VersionForm(forms.Form):
    version = VersionFormField()


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class AdjustmentForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        help_text=_("Negative to deduct, e.g. -30."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class ExpenseForm(forms.Form):
    """Record or change an expense. ``helpers``: whom the user may record for (one → no
    choice); ``pairings``: the pairings the expense may belong to."""

    helper = forms.ModelChoiceField(
        label=_("Training contact"), queryset=Helper.objects.none(), required=False
    )
    date = forms.DateField(label=_("Date"), required=False, widget=DATE)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "—"), *ExpenseCategory.choices], required=False
    )
    # Text, not a number field: the service explains what is wrong with "0", "-5" or "abc".
    amount = forms.CharField(
        label=_("Amount (NOK)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What for"), required=False, max_length=300, widget=forms.TextInput
    )
    pairing = forms.ModelChoiceField(
        label=_("Participant (optional)"), queryset=Pairing.objects.none(), required=False
    )
    receipt = forms.FileField(
        label=_("Receipt"),
        required=False,
        help_text=_("A photo or a PDF (JPEG, PNG or PDF, at most 10 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": RECEIPT_ACCEPT}),
    )
    version = VersionFormField()

    def __init__(
        self,
        *args: Any,
        helpers: Any,
        pairings: Any,
        pairing_label: Any,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = helpers
        if editing or helpers.count() <= 1:
            del self.fields["helper"]
        self.fields["pairing"].queryset = pairings
        self.fields["pairing"].label_from_instance = pairing_label
        if not editing:
            self.fields["date"].initial = timezone.localdate()
            del self.fields["version"]
        else:
            self.fields["receipt"].help_text = _(
                "Only to replace the receipt. JPEG, PNG or PDF, at most 10 MB."
            )


def open_pairings_of(helpers: Any) -> Any:
    return (
        Pairing.objects.filter(
            helper__in=helpers, status__in=[s.value for s in OPEN_PAIRING_STATUSES]
        )
        .select_related("participant", "helper")
        .order_by("participant__first_name", "pk")
    )


class CorrectionForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount (NOK)"),
        required=False,
        help_text=_("Negative to take back, e.g. -150; positive to add."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Why"), required=False, max_length=300)


class PaySettingsForm(VersionForm):
    extra_minutes_per_session = forms.IntegerField(
        label=_("Paid preparation and travel (minutes per held session)"),
        min_value=0,
        max_value=MAX_EXTRA_MINUTES,
    )
    coordination_cost_per_year = forms.DecimalField(
        label=_("Coordination cost per year (NOK)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Optional: the coordinator's time for this programme, for the cost figures."),
    )
