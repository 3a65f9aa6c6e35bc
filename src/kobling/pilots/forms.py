"""The form that sets up or changes a pilot (the national analyst's)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.versions import VersionFormField
from kobling.pilots.models import Pilot
from kobling.tenancy.models import Municipality, Programme, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgrammeChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Programme) -> str:
        return f"{obj.municipality.name} – {obj.name} ({obj.get_delivery_display()})"


class PilotForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    municipalities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Municipalities"),
        queryset=Municipality.objects.order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    programmes = ProgrammeChoice(
        label=gettext_lazy("Programmes"),
        queryset=Programme.objects.select_related("municipality").order_by(
            "municipality__name", "name"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy(
            "Programmes of the chosen municipalities whose courses the pilot counts (group "
            "meetings count as attendance where a programme delivers in groups). None chosen: "
            "every course delivered by a provider."
        ),
    )
    period_start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    owners = forms.CharField(
        label=gettext_lazy("Owners"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "User names or e-mail addresses, one a line or separated by commas: who sees the "
            "pilot's health account (aggregates only) besides the national analyst."
        ),
    )

    def __init__(self, *args: Any, pilot: Pilot | None = None, **kwargs: Any) -> None:
        self.pilot = pilot
        if pilot is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": pilot.name,
                "description": pilot.description,
                "municipalities": list(pilot.municipalities.all()),
                "programmes": list(pilot.programmes.all()),
                "period_start": pilot.period_start,
                "period_end": pilot.period_end,
                "owners": "\n".join(
                    pilot.owners.order_by("username").values_list("username", flat=True)
                ),
                "version": pilot.version,
            }
        super().__init__(*args, **kwargs)
        if pilot is not None:
            self.fields["version"] = VersionFormField()

    def clean_owners(self) -> list[User]:
        names = {
            n.lower() for n in re.split(r"[\s,;]+", self.cleaned_data.get("owners") or "") if n
        }
        if not names:
            return []
        found = list(
            User.objects.annotate(u=Lower("username"), e=Lower("email"))
            .filter(Q(u__in=names) | Q(e__in=names), is_active=True)
            .order_by("username")
        )
        known = {u.u for u in found} | {u.e for u in found}
        unknown = sorted(names - known)
        if unknown:
            raise forms.ValidationError(
                _("No active user with the name or e-mail address: %(names)s.")
                % {"names": ", ".join(unknown)}
            )
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its start."))
        return data

    def kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "municipalities": list(data["municipalities"]),
            "programmes": list(data["programmes"]),
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "owners": data["owners"],
        }
