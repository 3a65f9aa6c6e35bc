"""Forms for the pairing pages: the state actions and the introduction meeting."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.followup.choices import (
    CancelledBy,
    EndReason,
    HandoverDestination,
    Intensity,
    SessionStatus,
)
from kobling.helpers.models import Activity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VersionForm(forms.Form):
    version = VersionFormField()


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
    handover_destination = forms.ChoiceField(
        label=_("Handed over to"),
        choices=[("", "—"), *HandoverDestination.choices],
        help_text=_("Where the participant goes on to be active. Choose “None” if nowhere."),
    )
    handover_note = forms.CharField(
        label=_("Hand-over note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Place, times, a contact person there — what the participant needs to go on."),
    )
    handover_partner = forms.IntegerField(
        label=_("Partner that takes over"),
        required=False,
        widget=forms.Select(choices=[("", "—")]),
        help_text=_("Optional: the partner organisation the participant goes on with."),
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

    def __init__(self, *args: Any, partners: Any = None, **kwargs: Any) -> None:
        """``partners``: the choices to show (the pairing's municipality's active partners);
        none → no partner field. On a POST the service checks the chosen id."""
        super().__init__(*args, **kwargs)
        if partners is not None:
            if partners:
                self.fields["handover_partner"].widget.choices = [
                    ("", "—"),
                    *((p.pk, p.name) for p in partners),
                ]
            else:
                del self.fields["handover_partner"]


class IntroForm(VersionForm):
    intro_meeting_at = forms.DateTimeField(label=_("Introduction meeting"), widget=DATETIME)
    intro_meeting_place = forms.CharField(label=_("Meeting place"), max_length=160)


class RematchForm(forms.Form):
    same_contact_ok = forms.BooleanField(
        label=_("May be matched with the same contact again"), required=False
    )


# --- sessions --------------------------------------------------------------------------------

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
YES_NO = [("", "—"), ("yes", _("Yes, with notice")), ("no", _("No, at short notice"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def activity_choices(*, also: Activity | None = None) -> list[Activity]:
    """The activities in use (and ``also``, e.g. a retired one an old session names)."""
    items = list(Activity.objects.filter(is_active=True))
    if also is not None and also not in items:
        items.append(also)
    return items


class SessionForm(forms.Form):
    """One session, phone-first: date, minutes, activity, status and intensity up front; the
    fields for a cancellation appear when "cancelled" is chosen (CSS only). The rules are the
    service's; this form only reads the values."""

    date = forms.DateField(label=_("Date"), widget=DATE)
    minutes = forms.IntegerField(
        label=_("Minutes"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    activity = forms.TypedChoiceField(
        label=_("Activity"), coerce=int, empty_value=None, required=False
    )
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=SessionStatus.choices,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
    )
    intensity = forms.ChoiceField(
        label=_("Intensity"),
        choices=Intensity.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
    )
    borg = forms.IntegerField(
        label=_("Borg (6–20)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Instead of the intensity, if you use the Borg scale."),
    )
    start_time = forms.TimeField(label=_("Start"), required=False, widget=TIME)
    cancelled_by = forms.ChoiceField(
        label=_("Cancelled by"),
        choices=CancelledBy.choices,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
    )
    with_notice = forms.TypedChoiceField(
        label=_("With notice?"),
        choices=YES_NO,
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Short, and nothing about health you would not say to the participant."),
    )

    def __init__(self, *args, activities: list[Activity] | None = None, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        # The activities are read once per page and shared by every form on it.
        items = activity_choices() if activities is None else activities
        self._activities = {a.pk: a for a in items}
        self.fields["activity"].choices = [("", "—"), *((a.pk, a.name) for a in items)]

    def clean_activity(self) -> Activity | None:
        pk = self.cleaned_data.get("activity")
        return None if pk is None else self._activities[pk]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["intensity"] = data.get("intensity") or ""
        data["cancelled_by"] = data.get("cancelled_by") or ""
        data["note"] = data.get("note") or ""
        return data


class SessionCorrectForm(SessionForm):
    reason = forms.CharField(label=_("Why the correction"), max_length=300)
    void = forms.BooleanField(
        label=_("Withdraw this entry (it was logged by mistake)"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        # The values only matter when not withdrawing; the service says what is missing.
        for name in ("date", "minutes", "status"):
            self.fields[name].required = False

    def values(self) -> dict:
        data = super().values()
        return {k: v for k, v in data.items() if k not in {"reason", "void"}}
