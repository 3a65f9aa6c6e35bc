"""Forms for the analyst's pages and the public survey page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.lib.counties import COUNTY_TILES
from kobling.national.choices import (
    MAPPED_KINDS,
    AskWhen,
    CallOutcome,
    EndReason,
    HealthRegion,
    QuestionKind,
    SchemeState,
    UnitKind,
)
from kobling.national.models import SurveyQuestion, SurveyTemplate
from kobling.tenancy.choices import ProgrammeKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of unit"), choices=UnitKind.choices)
    file = forms.FileField(
        label=_("Classification file (CSV)"),
        help_text=_("SSB KLASS CSV export: code;parentCode;level;name;…;validFrom;validTo."),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=DATE,
        help_text=_("Used for rows without a validFrom date."),
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    dry_run = forms.BooleanField(label=_("Only check, save nothing"), required=False)


class UnitContactForm(forms.Form):
    name = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    unit_email = forms.EmailField(label=_("The unit's post address (e-mail)"), required=False)


class UnitHealthForm(forms.Form):
    """A health trust's, hospital's or institution's health region and county (corrections of
    the register; a new name or code is a new version, by import)."""

    health_region = forms.ChoiceField(label=_("Health region"), choices=HealthRegion.choices)
    county_code = forms.ChoiceField(label=_("County"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = sorted(
            ((code, tile[2]) for code, tile in COUNTY_TILES.items()), key=lambda c: c[1]
        )


class SchemeStatusForm(forms.Form):
    programme_kind = forms.ChoiceField(
        label=_("Programme kind"),
        choices=ProgrammeKind.choices,
        initial=ProgrammeKind.TRENINGSKONTAKT,
    )
    state = forms.ChoiceField(label=_("Status"), choices=SchemeState.choices)
    as_of = forms.DateField(label=_("As of"), widget=DATE, initial=timezone.localdate)
    started_year = forms.IntegerField(label=_("Year started"), required=False)
    ended_year = forms.IntegerField(label=_("Year ended"), required=False)
    ended_reason = forms.ChoiceField(
        label=_("Why it ended"), choices=[("", "—"), *EndReason.choices], required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PhoneCallForm(forms.Form):
    called_on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)
    caller = forms.CharField(label=_("Who called"), max_length=120)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CampaignForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Question set"), queryset=SurveyTemplate.objects.order_by("name")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    programme_kind = forms.ChoiceField(
        label=_("Programme kind"),
        choices=ProgrammeKind.choices,
        initial=ProgrammeKind.TRENINGSKONTAKT,
    )
    reminder_count = forms.IntegerField(label=_("Reminders"), min_value=0, max_value=5, initial=2)
    reminder_interval_days = forms.IntegerField(
        label=_("Days between reminders"), min_value=1, max_value=60, initial=14
    )


class AddUnitsForm(forms.Form):
    unit_kinds = forms.MultipleChoiceField(
        label=_("Kinds of unit"),
        choices=[(k, UnitKind(k).label) for k in MAPPED_KINDS],
        widget=forms.CheckboxSelectMultiple,
        initial=[UnitKind.MUNICIPALITY],
    )
    county_code = forms.ChoiceField(
        label=_("County"),
        required=False,
        choices=[("", _("All counties")), *[(c, t[2]) for c, t in sorted(COUNTY_TILES.items())]],
    )
    only_unknown = forms.BooleanField(label=_("Only units whose status is unknown"), required=False)


class QuestionForm(forms.Form):
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=9999)
    code = forms.SlugField(label=_("Code"), max_length=40)
    text = forms.CharField(label=_("Question"), max_length=400)
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Single choice only: one per line, as value = label."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    ask_when = forms.ChoiceField(label=_("Asked"), choices=AskWhen.choices)
    counts_persons = forms.BooleanField(label=_("Counts persons"), required=False)

    @staticmethod
    def initial_for(question: SurveyQuestion) -> dict[str, Any]:
        return {
            "order": question.order,
            "code": question.code,
            "text": question.text,
            "category": question.category,
            "kind": question.kind,
            "choices": "\n".join(f"{v} = {label}" for v, label in question.choices or []),
            "required": question.required,
            "ask_when": question.ask_when,
            "counts_persons": question.counts_persons,
        }

    def clean_choices(self) -> list[list[str]]:
        pairs = []
        for line in (self.cleaned_data.get("choices") or "").splitlines():
            if not line.strip():
                continue
            value, sep, label = line.partition("=")
            if not sep or not value.strip() or not label.strip():
                raise forms.ValidationError(_("Write each choice as value = label."))
            pairs.append([value.strip(), label.strip()])
        return pairs


class SurveyAnswerForm(forms.Form):
    """Built from the template's questions. Every field is plain text (radio buttons for the
    closed questions) so the form never refuses anything itself: the checking is the service's
    (:func:`kobling.national.surveys.clean_answers`), one set of rules for the page and tests."""

    def __init__(self, *args: Any, questions: list[SurveyQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            label = q.text
            if q.kind == QuestionKind.YES_NO:
                field: forms.Field = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.RadioSelect(choices=[("yes", _("Yes")), ("no", _("No"))]),
                )
            elif q.kind == QuestionKind.CHOICE:
                field = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.RadioSelect(choices=[(v, lbl) for v, lbl in q.choices]),
                )
            elif q.kind == QuestionKind.NUMBER:
                field = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                )
            else:
                field = forms.CharField(
                    label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
                )
            field.question = q  # type: ignore[attr-defined]
            self.fields[q.code] = field

    def raw_answers(self) -> dict[str, Any]:
        return {q.code: self.data.get(q.code, "") for q in self.questions}
