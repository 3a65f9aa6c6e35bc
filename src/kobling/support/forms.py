"""Forms for supervision: a group, a meeting in its plan, attendance (one checkbox per member),
an individual session, and a programme's settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.helpers.models import Helper
from kobling.support.models import HELPER_ROLES, SupervisionGroup, SupervisionSettings
from kobling.support.selectors import ALLOWANCE_STATUSES
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Programme, User


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            field.widget.attrs.setdefault("class", "ds-input")


class GroupForm(forms.ModelForm):
    """Create (with a programme) or edit (with the version read) a supervision group."""

    version = VersionFormField(required=False)

    class Meta:
        model = SupervisionGroup
        fields = ["programme", "name", "leader", "leader_name", "members", "meeting_minutes"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        if editing:
            del self.fields["programme"]
            managed = [self.instance.municipality_id]
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            programmes = Q(programme=self.instance.programme)
        else:
            del self.fields["version"]
            managed = sorted(user.municipality_ids(*MANAGER_ROLES))
            self.fields["programme"].queryset = Programme.objects.filter(
                municipality__in=managed, is_active=True
            )
            programmes = Q(municipality__in=managed)
        self.fields["leader"].queryset = (
            User.objects.filter(
                memberships__municipality__in=managed,
                memberships__role__in=(*MANAGER_ROLES, *HELPER_ROLES),
            )
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["members"].queryset = (
            Helper.objects.filter(programmes, status__in=ALLOWANCE_STATUSES)
            .select_related("programme")
            .order_by("last_name", "first_name")
        )
        self.fields["members"].required = False
        _styled(self)

    def group_data(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data[k] for k in ("name", "leader", "leader_name", "meeting_minutes")
        }


class MeetingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=15, max_value=480, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Who came"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, members: list[Helper], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(h.pk), h.full_name) for h in members]

    def present_ids(self) -> set[int]:
        return {int(v) for v in self.cleaned_data["present"]}


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        decimal_places=2,
        max_digits=5,
    )
    supervisor = forms.CharField(label=_("Supervisor"), max_length=120, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class SettingsForm(forms.ModelForm):
    version = VersionFormField(required=False)

    class Meta:
        model = SupervisionSettings
        fields = ["allowance_hours", "return_month", "return_day", "alert_weeks"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        _styled(self)
