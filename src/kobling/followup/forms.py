"""Forms for the pairing pages: the state actions and the introduction meeting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.followup.choices import EndReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ActivateForm(VersionForm):
    started_on = forms.DateField(
        label=_("Started"), required=False, widget=DATE, help_text=_("Today if left empty.")
    )


class PauseForm(VersionForm):
    reason = forms.CharField(label=_("Why"), required=False, max_length=200)


class EndForm(VersionForm):
    reason = forms.ChoiceField(
        label=_("Reason for ending"), choices=[("", "—"), *EndReason.choices]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    ended_on = forms.DateField(
        label=_("Ended"), required=False, widget=DATE, help_text=_("Today if left empty.")
    )
    participant_continues = forms.BooleanField(
        label=_("The participant wants a new contact (back on the waiting list)"), required=False
    )
    same_contact_ok = forms.BooleanField(
        label=_("May be matched with the same contact again"),
        required=False,
        help_text=_(
            "Otherwise, after no chemistry or the contact leaving, the next match avoids this contact."
        ),
    )


class IntroForm(VersionForm):
    intro_meeting_at = forms.DateTimeField(label=_("Introduction meeting"), widget=DATETIME)
    intro_meeting_place = forms.CharField(label=_("Meeting place"), max_length=160)


class RematchForm(forms.Form):
    same_contact_ok = forms.BooleanField(
        label=_("May be matched with the same contact again"), required=False
    )
