"""Forms for group offers: creating an offer with up to three weekly times, enrolling a course,
and the leader's attendance list (one checkbox per person)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.followup.choices import Intensity
from kobling.groups.models import GroupOffer
from kobling.groups.services import LEADER_KINDS, LEADER_STATUSES, OFFER_EDITABLE, WeeklyTime
from kobling.helpers.choices import Weekday
from kobling.helpers.models import Helper
from kobling.partners.models import Partner
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.models import Municipality, Programme

TIMES = 3


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            field.widget.attrs.setdefault("class", "ds-input")


class OfferForm(forms.ModelForm):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )

    class Meta:
        model = GroupOffer
        fields = [
            "municipality",
            "programme",
            "title",
            "topic",
            "leaders",
            "venue",
            "place",
            "term_start",
            "term_end",
            "capacity",
            "minimum_size",
            "is_drop_in",
        ]
        widgets = {
            "term_start": forms.DateInput(attrs={"type": "date"}),
            "term_end": forms.DateInput(attrs={"type": "date"}),
            "leaders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managed = sorted(user.municipality_ids(*MANAGER_ROLES))
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=managed)
        if len(managed) == 1:
            self.fields["municipality"].initial = managed[0]
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=managed, is_active=True
        )
        self.fields["leaders"].queryset = Helper.objects.filter(
            municipality__in=managed, kind__in=LEADER_KINDS, status__in=LEADER_STATUSES
        ).order_by("last_name", "first_name")
        self.fields["venue"].queryset = Partner.objects.filter(municipality__in=managed)
        for n in range(TIMES):
            required = n == 0
            self.fields[f"weekday_{n}"] = forms.TypedChoiceField(
                label=_("Weekday"),
                choices=[("", "—"), *Weekday.choices],
                coerce=int,
                required=required,
                empty_value=None,
            )
            self.fields[f"start_{n}"] = forms.TimeField(
                label=_("Start"), required=required, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"minutes_{n}"] = forms.IntegerField(
                label=_("Minutes"), required=required, min_value=1, max_value=600
            )
        _styled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for n in range(TIMES):
            parts = [data.get(f"weekday_{n}"), data.get(f"start_{n}"), data.get(f"minutes_{n}")]
            if any(p is not None for p in parts) and not all(p is not None for p in parts):
                self.add_error(f"weekday_{n}", _("Give the weekday, the start and the minutes."))
        return data

    def times(self) -> list[WeeklyTime]:
        data = self.cleaned_data
        return [
            WeeklyTime(data[f"weekday_{n}"], data[f"start_{n}"], data[f"minutes_{n}"])
            for n in range(TIMES)
            if data.get(f"weekday_{n}") is not None
        ]

    def data_kwargs(self) -> dict[str, Any]:
        names = [n for n in self.Meta.fields if n not in ("municipality", "leaders")]
        return {name: self.cleaned_data[name] for name in names}

    def time_rows(self) -> list[list[Any]]:
        return [
            [self[f"weekday_{n}"], self[f"start_{n}"], self[f"minutes_{n}"]] for n in range(TIMES)
        ]

    def main_fields(self) -> list[Any]:
        return [self[name] for name in self.Meta.fields]


class OfferEditForm(forms.ModelForm):
    """Changing a group: what ``services.offer_update`` allows, with the version read."""

    version = VersionFormField()

    class Meta:
        model = GroupOffer
        fields = ["leaders", *OFFER_EDITABLE]
        widgets = {
            "term_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "term_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "leaders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer = self.instance
        self.fields["leaders"].queryset = (
            Helper.objects.filter(
                Q(kind__in=LEADER_KINDS, status__in=LEADER_STATUSES) | Q(group_offers=offer),
                municipality_id=offer.municipality_id,
            )
            .distinct()
            .order_by("last_name", "first_name")
        )
        self.fields["venue"].queryset = Partner.objects.filter(
            municipality_id=offer.municipality_id
        )
        if not self.is_bound:
            self.initial["version"] = offer.version
        _styled(self)

    def _post_clean(self) -> None:
        # The service validates and saves (with its own rules); the form does not touch the row.
        pass

    def data_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in OFFER_EDITABLE}


class SubstituteForm(forms.Form):
    substitute = forms.ModelChoiceField(
        queryset=Helper.objects.none(), label=_("Substitute"), required=False, empty_label="—"
    )
    version = VersionFormField()

    def __init__(self, *args: Any, meeting: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = Helper.objects.filter(
            municipality_id=meeting.municipality_id,
            kind__in=LEADER_KINDS,
            status__in=LEADER_STATUSES,
        ).order_by("last_name", "first_name")
        _styled(self)


class EnrolForm(forms.Form):
    episode = forms.ModelChoiceField(
        queryset=Episode.objects.none(), label=_("Course"), empty_label=None
    )

    def __init__(self, *args: Any, offer: GroupOffer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = (
            Episode.objects.filter(programme_id=offer.programme_id)
            .exclude(status=EpisodeStatus.ENDED)
            .exclude(
                group_enrolments__offer=offer, group_enrolments__status__in=["enrolled", "waiting"]
            )
            .select_related("participant")
            .order_by("participant__last_name", "participant__first_name", "pk")
        )
        self.fields["episode"].label_from_instance = lambda e: e.participant.full_name
        _styled(self)


class AttendanceForm(forms.Form):
    """The leader's list: one checkbox per course on the list (``came``), drop-ins where the
    group is open, the minutes, intensity and a short account."""

    came = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Who came")
    )
    # By the number on the participant's card: the leader does not browse the programme's names.
    drop_ins = forms.CharField(
        required=False,
        label=_("Drop-ins: course numbers"),
        help_text=_("The number on each drop-in participant's card, separated by commas."),
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600)
    intensity = forms.ChoiceField(
        label=_("Intensity"), choices=[("", "—"), *Intensity.choices], required=False
    )
    account = forms.CharField(
        label=_("What the group did"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("No health details about anyone."),
    )
    version = VersionFormField()

    def __init__(self, *args: Any, roster: list[Any], open_group: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["came"].choices = [(r.episode, r.name) for r in roster]
        if not open_group:
            del self.fields["drop_ins"]
        _styled(self)

    def clean_drop_ins(self) -> list[int]:
        raw = (self.cleaned_data.get("drop_ins") or "").replace(" ", "")
        numbers = [part for part in raw.split(",") if part]
        if not all(part.isdigit() and len(part) < 10 for part in numbers):
            raise forms.ValidationError(
                _("Write the course numbers as digits, separated by commas.")
            )
        return sorted({int(part) for part in numbers})
