"""Forms for goals, reviews, the programme's instruments and the participant's follow-up
questionnaire. Phone-first: number fields open the numeric keypad, scales are short selects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.followup.choices import HandoverDestination
from kobling.outcomes.choices import (
    MAX_WEEKLY_MINUTES,
    GoalStatus,
    InstrumentKind,
    ReviewKind,
)
from kobling.outcomes.models import Goal, Instrument, Review
from kobling.outcomes.services import ScoreInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


class GoalForm(forms.Form):
    text = forms.CharField(
        label=_("The goal, in the participant's own words"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Goal._meta.get_field("text").help_text,
    )
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DATE)


class GoalEditForm(GoalForm):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    version = VersionFormField()


def score_field_name(instrument: Instrument) -> str:
    return f"score_{instrument.code}"


def goal_field_name(goal: Goal) -> str:
    return f"goal_{goal.pk}"


def _range_help(instrument: Instrument) -> str:
    unit = f" {instrument.unit}" if instrument.unit and instrument.kind != "rating" else ""
    return f"{_number_text(instrument.min_value)}–{_number_text(instrument.max_value)}{unit}"


def _scale_choices(instrument: Instrument) -> list[tuple[str, str]]:
    """Every whole value of a scale, with its label where the scale has one."""
    labels = {item.value: item.label for item in instrument.items.all()}
    choices = [("", "—")]
    value = instrument.min_value
    while value <= instrument.max_value:
        label = labels.get(value)
        text = _number_text(value)
        if value > 0 and instrument.min_value < 0:
            text = f"+{text}"
        choices.append((_number_text(value), f"{text} – {label}" if label else text))
        value += 1
    return choices


class ReviewForm(forms.Form):
    """The programme's enabled instruments, each with its range; goal attainment once per open
    goal. Every score is optional (a participant may skip a question), but at least one is
    needed."""

    kind = forms.ChoiceField(label=_("Kind of review"), choices=ReviewKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("No health details; what matters for the next steps."),
    )

    def __init__(
        self,
        *args: Any,
        instruments: list[Instrument],
        goals: list[Goal],
        correction: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = instruments
        self.goals = goals
        self.score_fields: list[tuple[Instrument, str]] = []
        self.goal_fields: list[tuple[Goal, str]] = []
        goal_instrument = next((i for i in instruments if i.kind == InstrumentKind.GOAL), None)
        for instrument in instruments:
            if instrument.kind == InstrumentKind.GOAL:
                continue
            name = score_field_name(instrument)
            self.fields[name] = self._field_for(instrument, label=instrument.name)
            self.score_fields.append((instrument, name))
        if goal_instrument is not None:
            for goal in goals:
                name = goal_field_name(goal)
                self.fields[name] = self._field_for(goal_instrument, label=goal.text)
                self.fields[name].help_text = ""  # the scale is explained once, above the goals
                self.goal_fields.append((goal, name))
        self.goal_instrument = goal_instrument
        if correction:
            self.fields["correction_reason"] = forms.CharField(
                label=_("Why is the review corrected?"), max_length=300
            )

    @staticmethod
    def _field_for(instrument: Instrument, *, label: str) -> forms.Field:
        help_text = f"{_range_help(instrument)}. {instrument.help}".strip()
        if instrument.kind in (InstrumentKind.RATING, InstrumentKind.GOAL):
            return forms.ChoiceField(
                label=label,
                required=False,
                choices=_scale_choices(instrument),
                help_text=help_text,
            )
        return forms.DecimalField(
            label=label,
            required=False,
            min_value=instrument.min_value,
            max_value=instrument.max_value,
            decimal_places=instrument.decimals,
            help_text=help_text,
            widget=forms.NumberInput(
                attrs={
                    "inputmode": "numeric" if instrument.decimals == 0 else "decimal",
                    "step": "1" if instrument.decimals == 0 else "any",
                }
            ),
        )

    @property
    def score_inputs(self) -> list[forms.BoundField]:
        return [self[name] for _instrument, name in self.score_fields]

    @property
    def goal_inputs(self) -> list[forms.BoundField]:
        return [self[name] for _goal, name in self.goal_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.scores():
            raise forms.ValidationError(_("Give at least one score."))
        return data

    def scores(self) -> list[ScoreInput]:
        data = getattr(self, "cleaned_data", {})
        scores = [
            ScoreInput(instrument=instrument.code, value=data[name])
            for instrument, name in self.score_fields
            if data.get(name) not in (None, "")
        ]
        if self.goal_instrument is not None:
            scores += [
                ScoreInput(instrument=self.goal_instrument.code, value=data[name], goal=goal.pk)
                for goal, name in self.goal_fields
                if data.get(name) not in (None, "")
            ]
        return scores

    @classmethod
    def initial_from(cls, review: Review) -> dict[str, Any]:
        initial: dict[str, Any] = {"kind": review.kind, "date": review.date, "note": review.note}
        for score in review.scores.all():
            value = _number_text(score.value)
            if score.goal_id is not None:
                initial[f"goal_{score.goal_id}"] = value
            else:
                initial[f"score_{score.instrument_code}"] = value
        return initial


class WithdrawReviewForm(forms.Form):
    correction_reason = forms.CharField(label=_("Why is the review withdrawn?"), max_length=300)


class ProgrammeInstrumentsForm(forms.Form):
    instruments = forms.ModelMultipleChoiceField(
        label=_("Instruments used in reviews"),
        queryset=Instrument.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Reviews already recorded keep their scores; new reviews offer only the instruments chosen here."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instruments"].queryset = Instrument.objects.filter(is_active=True)
        self.fields["instruments"].label_from_instance = lambda i: (
            f"{i.name} ({_range_help(i)})" + ("" if i.is_core else f" – {_('optional test')}")
        )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class FollowUpAnswerForm(forms.Form):
    """The three questions, in the participant's terms. Minutes and place are asked of those
    still active; "other" needs a word on where."""

    still_active = forms.ChoiceField(
        label=_("Are you still physically active (at least once a week)?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    minutes_per_week = forms.IntegerField(
        label=_("About how many minutes a week?"),
        required=False,
        min_value=0,
        max_value=MAX_WEEKLY_MINUTES,
        help_text=_("Count activity that makes you warm and a little out of breath."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    where = forms.ChoiceField(
        label=_("Where are you mostly active?"),
        required=False,
        choices=[c for c in HandoverDestination.choices if c[0] != HandoverDestination.NONE]
        + [(HandoverDestination.NONE, _("On my own / no particular place"))],
        widget=forms.RadioSelect,
    )
    where_other = forms.CharField(label=_("If other: where?"), required=False, max_length=200)

    def answer(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "still_active": data["still_active"] == "yes",
            "minutes_per_week": data.get("minutes_per_week"),
            "where": data.get("where") or "",
            "where_other": data.get("where_other") or "",
        }
