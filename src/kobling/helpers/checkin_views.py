"""The one-click check-in answer page reached from the e-mail link.

E-mail security scanners open every link in a message before the person does, so a GET never
changes anything: it shows the chosen answer preselected with one button that POSTs (with CSRF
protection) to confirm. The token is the outbox's signed link; an unknown one is a plain 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kobling.helpers.checkins import (
    CheckInClosedError,
    LinkState,
    checkin_answer,
    checkin_from_token,
    checkin_link_state,
)
from kobling.helpers.choices import CheckInAnswer
from kobling.helpers.models import CheckIn

DEFAULT_PAUSE = dt.timedelta(weeks=4)
LONGEST_PAUSE = dt.timedelta(days=366)


class CheckInAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=CheckInAnswer.choices,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
    )
    pause_until = forms.DateField(
        label=_("Pause until"),
        required=False,
        help_text=_("Only if you choose to pause. We will count on you again from this date."),
        widget=forms.DateInput(attrs={"type": "date", "class": "ds-input"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("answer") != CheckInAnswer.PAUSE:
            data["pause_until"] = None
            return data
        until = data.get("pause_until")
        if until is None:
            if "pause_until" not in self.errors:
                self.add_error("pause_until", _("Give the date you want to pause until."))
        elif until <= self.today:
            self.add_error("pause_until", _("Give a date in the future to pause until."))
        elif until > self.today + LONGEST_PAUSE:
            self.add_error(
                "pause_until",
                _("You can pause for at most a year. Choose stop if you want to end."),
            )
        return data


def _closed(request: HttpRequest, checkin: CheckIn, state: LinkState) -> HttpResponse:
    if state == LinkState.ANSWERED:
        return render(request, "helpers/checkin_answered.html", {"checkin": checkin}, status=409)
    return render(request, "helpers/checkin_expired.html", {"checkin": checkin}, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    found = checkin_from_token(token)
    if found is None:
        raise Http404
    checkin, _link = found
    now = timezone.now()
    today = timezone.localdate(now)
    state = checkin_link_state(checkin, now=now)
    if state != LinkState.OPEN:
        return _closed(request, checkin, state)

    if request.method == "POST":
        form = CheckInAnswerForm(request.POST, today=today)
        if form.is_valid():
            try:
                answered = checkin_answer(
                    checkin=checkin,
                    answer=form.cleaned_data["answer"],
                    pause_until=form.cleaned_data["pause_until"],
                    now=now,
                )
            except CheckInClosedError as closed:
                return _closed(request, checkin, closed.state)
            except ValidationError as exc:
                # The lifecycle rules refused (e.g. the date); show it, nothing was changed.
                for field, messages in exc.message_dict.items():
                    field = "pause_until" if field == "paused_until" else field
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return render(request, "helpers/checkin_done.html", {"checkin": answered})
        status = 400
    else:
        chosen = request.GET.get("svar", "")
        form = CheckInAnswerForm(
            initial={
                "answer": chosen if chosen in CheckInAnswer.values else None,
                "pause_until": today + DEFAULT_PAUSE,
            },
            today=today,
        )
        status = 200
    return render(
        request,
        "helpers/checkin_answer.html",
        {"form": form, "checkin": checkin, "helper": checkin.helper},
        status=status,
    )
