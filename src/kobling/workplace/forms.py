"""Forms for workplace coaching: a workplace, the leader's request, linking a coach, the order,
a meeting (the coach's phone form), the decision and the leader's evaluation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, Q, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.versions import VersionFormField
from kobling.helpers.models import Helper
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Municipality, User
from kobling.workplace.choices import Decision, Rating
from kobling.workplace.models import SCALE, STAFF_ROLES, Workplace
from kobling.workplace.proposals import propose_coaches
from kobling.workplace.training import trained_coaches

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.CheckboxInput | forms.RadioSelect):
            field.widget.attrs.setdefault("class", "ds-input")


def _scale_field(label: Any, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        validators=SCALE,
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "inputmode": "numeric"}),
    )


class WorkplaceForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label=_("Municipality")
    )
    name = forms.CharField(label=_("Name"), max_length=160)
    sector = forms.CharField(label=_("Sector"), max_length=120, required=False)
    leader = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Leader"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = sorted(user.municipality_ids(*STAFF_ROLES))
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=ids)
        if len(ids) == 1:
            self.fields["municipality"].initial = ids[0]
        self.fields["leader"].queryset = User.objects.filter(
            memberships__role=Role.WORKPLACE_LEADER, memberships__municipality_id__in=ids
        ).distinct()
        self.fields["leader"].label_from_instance = lambda u: u.get_full_name() or u.username
        _styled(self)


class RequestForm(forms.Form):
    workplace = forms.ModelChoiceField(queryset=Workplace.objects.none(), label=_("Workplace"))
    request = forms.CharField(
        label=_("What the workplace asks for"), widget=forms.Textarea(attrs={"rows": 3})
    )
    requested_on = forms.DateField(label=_("Requested on"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = sorted(user.municipality_ids(*STAFF_ROLES))
        self.fields["workplace"].queryset = Workplace.objects.filter(
            Q(municipality_id__in=staff) | Q(leader=user), is_active=True
        ).select_related("municipality")
        _styled(self)


class LinkForm(forms.Form):
    version = VersionFormField()
    coach = forms.ModelChoiceField(queryset=Helper.objects.none(), label=_("Coach"))
    co_coach = forms.CharField(
        label=_("Co-coach from occupational health"), max_length=160, required=False
    )
    pre_meeting_on = forms.DateField(label=_("Pre-meeting"), widget=DATE, required=False)

    def __init__(self, *args: Any, assignment: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The proposals, best first (the engine's order); the coach already linked stays.
        self.proposals = propose_coaches(assignment)
        ranked = [p.helper.pk for p in self.proposals]
        if assignment.coach_id and assignment.coach_id not in ranked:
            ranked.append(assignment.coach_id)
        order = Case(*[When(pk=pk, then=n) for n, pk in enumerate(ranked)], default=len(ranked))
        self.fields["coach"].queryset = Helper.objects.filter(pk__in=ranked).order_by(order)
        self.fields["coach"].label_from_instance = lambda h: h.full_name
        _styled(self)


class OrderForm(forms.Form):
    version = VersionFormField()
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}))
    success = forms.CharField(
        label=_("What success looks like"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    target_low = _scale_field(_("Target on the scale (1–10)"))
    target_high = _scale_field(_("Target, upper value (for a range)"), required=False)
    planned_meetings = forms.IntegerField(label=_("Planned meetings"), min_value=1, max_value=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)
    participants = forms.CharField(
        label=_("Participants"),
        max_length=300,
        help_text=_("By role, e.g. leader, coach, occupational health."),
    )
    scale_low = _scale_field(_("Scale value (1–10)"))
    scale_high = _scale_field(_("Upper value, if answered as a range"), required=False)
    homework = forms.CharField(
        label=_("Homework"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    notes = forms.CharField(
        label=_("Notes (only the coach and the IA adviser see them)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class DecisionForm(forms.Form):
    version = VersionFormField()
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )


class EvaluationForm(forms.Form):
    reaction = forms.TypedChoiceField(
        label=_("How did you experience the coaching?"), choices=Rating.choices, coerce=int
    )
    usefulness = forms.TypedChoiceField(
        label=_("How useful was it for the workplace?"), choices=Rating.choices, coerce=int
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class NetworkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    members = forms.ModelMultipleChoiceField(
        queryset=Workplace.objects.none(),
        label=_("Workplaces (5–10 leaders)"),
        widget=forms.CheckboxSelectMultiple,
    )
    facilitators = forms.ModelMultipleChoiceField(
        queryset=Helper.objects.none(),
        label=_("Facilitators (one or two coaches)"),
        widget=forms.CheckboxSelectMultiple,
    )
    plan = forms.CharField(
        label=_("Meeting plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One meeting a line: date (YYYY-MM-DD), then the topic."),
    )

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Workplace.objects.filter(
            municipality_id=municipality_id, leader__isnull=False, is_active=True
        )
        self.fields["facilitators"].queryset = trained_coaches(municipality_id).order_by(
            "last_name", "first_name"
        )
        self.fields["facilitators"].label_from_instance = lambda h: h.full_name
        _styled(self)

    def clean_plan(self) -> list[tuple[Any, str]]:
        import datetime as dt

        rows = []
        for number, line in enumerate(self.cleaned_data["plan"].splitlines(), start=1):
            if not line.strip():
                continue
            date, _sep, topic = line.strip().partition(" ")
            try:
                rows.append((dt.date.fromisoformat(date), topic.strip() or "–"))
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: start with a date as YYYY-MM-DD.") % {"n": number}
                ) from None
        return rows


class NetworkMeetingForm(forms.Form):
    version = VersionFormField()
    attended = forms.ModelMultipleChoiceField(
        queryset=Workplace.objects.none(),
        label=_("Who came"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    homework = forms.CharField(
        label=_("Homework"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, meeting: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = meeting.network.members.select_related("leader")
        self.fields["attended"].label_from_instance = lambda w: (
            f"{w.name} ({w.leader.get_full_name() or w.leader.username})" if w.leader else w.name
        )
        _styled(self)


class IAFiguresForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)
    active_sick_leave = forms.IntegerField(label=_("Active sick leave"), min_value=0)
    graded_sick_leave = forms.IntegerField(label=_("Graded sick leave"), min_value=0)
    vocational_rehabilitation = forms.IntegerField(
        label=_("Vocational rehabilitation"), min_value=0
    )
    grants_applied = forms.IntegerField(label=_("Adaptation grants applied for"), min_value=0)
    grants_approved = forms.IntegerField(label=_("Adaptation grants approved"), min_value=0)
    grants_rejected = forms.IntegerField(label=_("Adaptation grants rejected"), min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class IAImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: year, quarter, active_sick_leave, graded_sick_leave, "
            "vocational_rehabilitation, grants_applied, grants_approved, grants_rejected."
        ),
    )
