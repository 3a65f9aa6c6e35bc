"""Forms for the matching pages: choose a programme and participants, the weights, confirming
(with the introduction meeting) and rejecting a proposal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.access import managed_municipality_ids
from kobling.matching.choices import PairRuleKind
from kobling.matching.engine.types import FACTORS
from kobling.matching.models import MatchingWeights
from kobling.referrals.models import Referral
from kobling.tenancy.models import Programme

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def managed_programmes(user: Any):  # noqa: ANN201
    return (
        Programme.objects.filter(
            municipality__in=sorted(managed_municipality_ids(user)), is_active=True
        )
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )


class ProgrammeChoiceForm(forms.Form):
    # No empty choice: the page always shows one programme (the chosen one, else the one where
    # most are waiting), and the form shows which.
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(), label=_("Programme"), required=False, empty_label=None
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["programme"]
        field.queryset = managed_programmes(user)
        field.label_from_instance = lambda p: f"{p.name} · {p.municipality.name}"


class RunStartForm(forms.Form):
    """Start a run for a programme over the chosen waiting participants (all when none chosen)."""

    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Programme"))
    referrals = forms.ModelMultipleChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Participants waiting"),
    )

    def __init__(self, *args: Any, user: Any, waiting: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = managed_programmes(user)
        # Any of the user's referrals may be posted; the service says which are not waiting.
        self.fields["referrals"].queryset = (
            waiting
            if waiting is not None
            else Referral.objects.filter(municipality__in=sorted(managed_municipality_ids(user)))
        )
        self.fields["referrals"].label_from_instance = lambda r: r.participant.full_name


class WeightsForm(forms.ModelForm):
    """The municipality's weights: 0–10 each, not all zero."""

    class Meta:
        model = MatchingWeights
        fields = [*FACTORS, "min_score"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FACTORS:
            field = self.fields[name]
            field.min_value = Decimal("0")
            field.widget.attrs.update({"min": "0", "max": "10", "step": "0.5"})
        self.fields["min_score"].widget.attrs.update({"min": "0", "step": "0.5"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(data.get(name) == 0 for name in FACTORS):
            raise forms.ValidationError(_("At least one weight must be above zero."))
        return data


class ConfirmForm(forms.Form):
    intro_meeting_at = forms.DateTimeField(
        label=_("Introduction meeting"),
        required=False,
        widget=DATETIME,
        help_text=_("Coordinator, contact and participant meet. Can also be set later."),
    )
    intro_meeting_place = forms.CharField(label=_("Meeting place"), required=False, max_length=160)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why"), required=False, max_length=200)
    forbid = forms.BooleanField(label=_("Never propose this pair again"), required=False)


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=PairRuleKind.choices)
