from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.courses.choices import AssessmentResult
from kobling.courses.models import CourseProvider, CourseRun, CourseTemplate
from kobling.courses.services import RUN_FIELDS
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.models import Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.HiddenInput | forms.RadioSelect):
            continue
        widget.attrs.setdefault("class", "ds-input")


class CourseRunForm(forms.ModelForm):
    """Plan or change a course run. Course, provider and programme are chosen once."""

    class Meta:
        model = CourseRun
        fields = ["template", "provider", "programme", *RUN_FIELDS]
        widgets = {"starts_on": DATE, "ends_on": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = CourseTemplate.objects.visible_to(user).filter(
            is_active=True
        )
        self.fields["provider"].queryset = CourseProvider.objects.visible_to(user)
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=sorted(managed_municipality_ids(user)), is_active=True
        ).select_related("municipality")
        if self.instance.pk:
            for name in ("template", "provider", "programme"):
                self.fields[name].disabled = True
                self.fields[name].queryset = self.fields[name].queryset.model.objects.filter(
                    pk=getattr(self.instance, f"{name}_id")
                )
        for name in ("price_for_trainee", "cost_to_municipality"):
            self.fields[name].widget.attrs.setdefault("min", "0")
        self.fields["capacity"].widget.attrs["min"] = "1"
        _style(self)

    def run_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in RUN_FIELDS if name in self.cleaned_data}


class EnrolForm(forms.Form):
    helper = forms.ModelChoiceField(queryset=Helper.objects.none(), label=_("Helper"))

    def __init__(self, *args: Any, user: Any, run: CourseRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        already = run.enrolments.exclude(status="withdrawn").values("helper_id")
        self.fields["helper"].queryset = (
            Helper.objects.visible_to(user, "change")
            .filter(municipality=run.municipality_id)
            .exclude(status=HelperStatus.LEFT)
            .exclude(pk__in=already)
        )
        self.fields["helper"].label_from_instance = lambda h: (
            f"{h.full_name} ({h.get_status_display()})"
        )
        _style(self)


class AssessForm(forms.Form):
    result = forms.ChoiceField(
        choices=[(AssessmentResult.PASSED, _("Passed")), (AssessmentResult.FAILED, _("Not passed"))]
    )


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
