from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.helpers.choices import HelperStatus, Language, LeftReason
from kobling.helpers.models import Activity, AvailabilityWindow, Helper, TargetGroup
from kobling.helpers.services import EDITABLE_FIELDS, Window
from kobling.tenancy.models import Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HelperForm(forms.ModelForm):
    """The coordinator's form for one helper. ``version`` travels with the form so that two people
    editing at once cannot silently overwrite each other."""

    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Programme"))
    languages = forms.MultipleChoiceField(
        choices=Language.choices,
        required=False,
        label=_("Languages"),
        widget=forms.CheckboxSelectMultiple,
    )
    activities = forms.ModelMultipleChoiceField(
        queryset=Activity.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Activities they like and can lead"),
    )
    target_groups = forms.ModelMultipleChoiceField(
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Target-group competence"),
    )
    version = VersionFormField()

    class Meta:
        model = Helper
        fields = ["programme", *EDITABLE_FIELDS, "activities", "target_groups"]
        widgets = {
            "contract_start": DATE,
            "contract_end": DATE,
            "interview_date": DATE,
            "police_certificate_date": DATE,
            "police_certificate_expires": DATE,
            "screening_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=sorted(managed_municipality_ids(user)), is_active=True
        ).select_related("municipality")
        if self.instance.pk:
            # The programme is fixed once registered (even if it has since been deactivated).
            self.fields["programme"].queryset = Programme.objects.filter(
                pk=self.instance.programme_id
            )
            self.fields["programme"].disabled = True
            self.fields["version"].initial = self.instance.version
        else:
            self.fields["version"].required = False  # a new helper has no version yet
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxSelectMultiple | forms.CheckboxInput | forms.HiddenInput
            ):
                continue
            widget.attrs.setdefault("class", "ds-input")

    def relation_kwargs(self) -> dict[str, Any]:
        return {
            "activities": self.cleaned_data["activities"],
            "target_groups": self.cleaned_data["target_groups"],
        }

    def data_kwargs(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in EDITABLE_FIELDS if name in self.cleaned_data
        }


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = AvailabilityWindow
        fields = ["weekday", "start_time", "end_time"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            self.add_error("end_time", _("The window must end after it starts."))
        return data


AvailabilityFormSet = forms.inlineformset_factory(
    Helper, AvailabilityWindow, form=AvailabilityForm, extra=2, can_delete=True
)


def windows_from_formset(formset: forms.BaseInlineFormSet) -> list[Window]:
    return [
        Window(
            weekday=f.cleaned_data["weekday"],
            start_time=f.cleaned_data["start_time"],
            end_time=f.cleaned_data["end_time"],
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("start_time")
    ]


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=HelperStatus.choices)
    reason = forms.CharField(label=_("Note"), required=False, max_length=200)
    paused_until = forms.DateField(label=_("Paused until"), required=False, widget=DATE)
    left_reason = forms.ChoiceField(
        label=_("Reason for leaving"), choices=[("", "—"), *LeftReason.choices], required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, helper: Helper, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kobling.helpers.choices import TRANSITIONS

        allowed = TRANSITIONS[helper.status]
        self.fields["to_status"].choices = [
            (v, label) for v, label in HelperStatus.choices if v in allowed
        ]
        self.fields["version"].initial = helper.version


class ImportForm(forms.Form):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Programme"))
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Only check, do not save"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=sorted(managed_municipality_ids(user))
        )
