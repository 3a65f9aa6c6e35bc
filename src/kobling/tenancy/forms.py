from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import Role
from kobling.tenancy.models import Municipality, Programme


class GrantForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.filter(
            pk__in=sorted(user.municipality_ids(Role.MUNICIPAL_ADMIN))
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "ds-input")


class MunicipalitySettingsForm(forms.ModelForm):
    class Meta:
        model = Municipality
        fields = [
            "contact_email",
            "checkin_interval_weeks",
            "checkin_reminder_days",
            "checkin_lapse_days",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "ds-input")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "kind",
            "name",
            "is_active",
            "requires_police_certificate",
            "requires_qualification",
            "started_on",
        ]
        widgets = {"started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "ds-input")


class ProgrammeCourseForm(forms.ModelForm):
    """What a programme's courses (forløp) follow: how it is delivered, the planned period, the
    renewals, the start and end conversations, the review rhythm. A new programme takes its
    kind's values; the admin changes them here."""

    # The version read; a stale form is refused, never merged.
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Programme
        fields = [
            "is_active",
            "delivery",
            "period_weeks",
            "renewals_max",
            "renewal_weeks",
            "uses_conversations",
            "review_interval_weeks",
            "attendance_late_days",
            "attendance_confirmation_by_participant",
            "completion_min_attendance_pct",
            "completion_needs_end_conversation",
            "requires_police_certificate",
            "requires_qualification",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "ds-input")
