from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NATIONAL = "national"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("PROFILES.csv"),
        help_text=_("Columns unit_code, indicator and category (better, same or worse)."),
    )
    period = forms.CharField(
        label=_("Period"), max_length=20, help_text=_("The profile edition, e.g. 2016.")
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_("Where the file came from, e.g. FHI public-health profiles 2016."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; save nothing"), required=False)


class StatusUploadForm(forms.Form):
    file = forms.FileField(
        label=_("STATUS.csv"), help_text=_("Columns unit_code and has_scheme (true or false).")
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("So you can pick it later, e.g. Mapping 2016."),
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)


class CompareForm(forms.Form):
    """Which stored profiles (period) to compare, grouped by which status: a status set, or the
    national register's scheme status on a date (when the national app offers it)."""

    period = forms.ChoiceField(label=_("Profile period"))
    status = forms.ChoiceField(label=_("Scheme status from"))
    on = forms.DateField(
        label=_("Status on"),
        required=False,
        help_text=_("Only for the national register's status; today when empty."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self, *args: Any, periods: list[str], status_sets: list[Any], national: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p, p) for p in periods]
        choices = [(NATIONAL, _("The national register (scheme status)"))] if national else []
        choices += [(f"set-{s.pk}", s.name) for s in status_sets]
        self.fields["status"].choices = choices
        if not national:
            del self.fields["on"]

    def status_set_id(self) -> int | None:
        value = self.cleaned_data["status"]
        return int(value.removeprefix("set-")) if value.startswith("set-") else None

    def on_date(self):  # noqa: ANN201
        return self.cleaned_data.get("on") or timezone.localdate()
