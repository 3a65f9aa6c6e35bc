from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kobling.research.selectors import consenting_counts, exportable_programmes

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgrammeChoiceField(forms.ModelMultipleChoiceField):
    counts: dict[int, int] = {}

    def label_from_instance(self, obj: Any) -> str:
        n = self.counts.get(obj.pk, 0)
        return ngettext(
            "%(programme)s (%(n)d participant has consented to research)",
            "%(programme)s (%(n)d participants have consented to research)",
            n,
        ) % {"programme": obj, "n": n}


class ResearchExportForm(forms.Form):
    """What to export and for whom. Everything is required: the export's record must say which
    project, approval and recipient it was for."""

    programmes = ProgrammeChoiceField(
        label=_("Programmes"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only participants who have consented to research are exported."),
    )
    period_start = forms.DateField(label=_("Referrals received from"), widget=DATE)
    period_end = forms.DateField(label=_("Referrals received until"), widget=DATE)
    project_title = forms.CharField(label=_("Project title"), max_length=200)
    approval_reference = forms.CharField(
        label=_("Approval reference"),
        max_length=100,
        help_text=_("The ethics approval or other legal basis, e.g. the REK number."),
    )
    recipient_name = forms.CharField(label=_("Researcher"), max_length=160)
    recipient_institution = forms.CharField(label=_("Institution"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 4}))
    birth_year_bands = forms.BooleanField(
        label=_("Birth years in 5-year bands and referral quarters"),
        required=False,
        initial=True,
        help_text=_(
            "Recommended. Gives birth years as 5-year bands (e.g. 1980-1984) instead of the exact "
            "year, and the quarter a referral was received (e.g. 2025-Q3) instead of the month. "
            "In a small municipality birth year, gender and programme together can point to one "
            "person. Untick only if the project's approval covers exact birth years and months. "
            "Either way the export's record shows its smallest group."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = exportable_programmes(user)
        field = self.fields["programmes"]
        field.queryset = queryset
        field.counts = consenting_counts(queryset, day=timezone.localdate())
        today = timezone.localdate()
        self.fields["period_start"].initial = today.replace(year=today.year - 1, day=1)
        self.fields["period_end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its start."))
        return data
