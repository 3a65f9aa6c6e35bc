"""Forms for the self-assessment pages. They only shape input; the rules live in the services
(whose errors come back onto the form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.quality.checklist import Checklist, Score


def score_field(code: str) -> str:
    return "score_" + code.replace(".", "_")


def comment_field(code: str) -> str:
    return "comment_" + code.replace(".", "_")


class NewAssessmentForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None, empty_label=None)
    year = forms.IntegerField(label=_("Year"))

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["year"].initial = timezone.localdate().year


class AssessmentForm(forms.Form):
    """The note and, per checklist item, a score (or "not answered") and a comment."""

    version = VersionFormField()
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who took part in the assessment, and anything the scores do not say."),
    )

    def __init__(self, *args: Any, checklist: Checklist, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        for item in checklist.items:
            self.fields[score_field(item.code)] = forms.TypedChoiceField(
                label=f"{item.number} {item.text}",
                choices=[("", _("Not answered"))] + [(str(v), t) for v, t in Score.CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[comment_field(item.code)] = forms.CharField(
                label=_("Comment on %(item)s") % {"item": item.number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @staticmethod
    def initial_for(assessment: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"version": assessment.version, "note": assessment.note}
        for answer in assessment.answers.all():
            initial[score_field(answer.item_code)] = str(answer.score)
            initial[comment_field(answer.item_code)] = answer.comment
        return initial

    def answers(self) -> dict[str, tuple[Any, str]]:
        data = self.cleaned_data
        return {
            item.code: (data.get(score_field(item.code)), data.get(comment_field(item.code)) or "")
            for item in self.checklist.items
        }


class VersionForm(forms.Form):
    version = VersionFormField()


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it corrected?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
