"""Public sign-up for would-be training contacts.

Anyone can open ``/bli-treningskontakt/<municipality code>/`` and apply to the municipality's
active training-contact programme (choosing one when there are several). The application comes in
as an applicant through :func:`kobling.helpers.services.helper_create` with source "signup".

Spam is kept out without third-party services (the CSP allows none):

* a honeypot field, hidden with the ``ds-sr-only`` class and from screen readers; a filled-in
  honeypot gets the thank-you page and nothing is stored;
* a signed timestamp (``django.core.signing``): a form sent within a few seconds of being shown,
  or hours later, is not accepted and the person is asked to send it again;
* a per-IP limit on sign-ups (Django's cache), answered with a friendly 429 page.

A second sign-up with an e-mail already registered in the programme gets the same thank-you page
and creates nothing, so the page never reveals who is registered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kobling.core.public_forms import PublicFormGuard
from kobling.helpers import services
from kobling.helpers.choices import Gender, Language, Weekday
from kobling.helpers.models import Activity, Helper, TargetGroup
from kobling.helpers.validators import validate_birth_year, validate_postcode
from kobling.tenancy.choices import ProgrammeKind
from kobling.tenancy.models import Municipality, Programme

SIGNUP_SOURCE = "signup"
_TOKEN_SALT = "kobling.helpers.signup"
HONEYPOT_FIELD = "website"
DONE_PARAMETER = "takk"

# Parts of the day offered as checkboxes; each maps to an AvailabilityWindow.
DAY_PARTS: tuple[tuple[str, dt.time, dt.time, Any], ...] = (
    ("morning", dt.time(8), dt.time(12), gettext_lazy("Morning (08–12)")),
    ("afternoon", dt.time(12), dt.time(17), gettext_lazy("Afternoon (12–17)")),
    ("evening", dt.time(17), dt.time(21), gettext_lazy("Evening (17–21)")),
)


# --- the form -------------------------------------------------------------------------------


GUARD = PublicFormGuard(_TOKEN_SALT)
signup_token = GUARD.token


def availability_choices() -> list[tuple[str, str]]:
    return [
        (f"{day.value}-{code}", f"{day.label}: {label}")
        for day in Weekday
        for code, _start, _end, label in DAY_PARTS
    ]


_INPUT = {"class": "ds-input"}
_CHECKBOX = forms.CheckboxSelectMultiple(attrs=_INPUT)


class DayPartsMixin:
    """For forms with an ``availability`` field of weekday × part-of-day checkboxes
    (:func:`availability_choices`): a compact layout and the chosen windows."""

    def availability_rows(self) -> list[tuple[str, list[tuple[Any, str]]]]:
        """(weekday, [(checkbox, part of day)]) for a compact layout on a phone."""
        options = list(self["availability"])
        per_day = len(DAY_PARTS)
        return [
            (
                str(day.label),
                [(options[i * per_day + j], str(part[3])) for j, part in enumerate(DAY_PARTS)],
            )
            for i, day in enumerate(Weekday)
        ]

    def windows(self) -> list[services.Window]:
        """The ticked parts of the day as availability windows; parts next to each other on the
        same day become one window (morning + afternoon = 08–17)."""
        parts = {code: (start, end) for code, start, end, _label in DAY_PARTS}
        chosen = sorted(
            (int(day), *parts[code])
            for day, code in (value.split("-", 1) for value in self.cleaned_data["availability"])
        )
        windows: list[services.Window] = []
        for day, start, end in chosen:
            last = windows[-1] if windows else None
            if last and last.weekday == day and last.end_time == start:
                windows[-1] = services.Window(weekday=day, start_time=last.start_time, end_time=end)
            else:
                windows.append(services.Window(weekday=day, start_time=start, end_time=end))
        return windows


class SignupForm(DayPartsMixin, forms.Form):
    """What a would-be training contact tells the municipality about themselves."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(),
        label=gettext_lazy("Which programme do you want to join?"),
        widget=forms.RadioSelect(attrs=_INPUT),
        empty_label=None,
    )
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        max_length=80,
        widget=forms.TextInput(attrs={**_INPUT, "autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Last name"),
        max_length=80,
        widget=forms.TextInput(attrs={**_INPUT, "autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={**_INPUT, "autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=20,
        required=False,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()\-]{5,20}$",
                gettext_lazy("Enter a phone number with digits, for example 912 34 567."),
            )
        ],
        widget=forms.TextInput(attrs={**_INPUT, "type": "tel", "autocomplete": "tel"}),
    )
    birth_year = forms.IntegerField(
        label=gettext_lazy("Birth year"),
        required=False,
        validators=[validate_birth_year],
        widget=forms.NumberInput(
            attrs={**_INPUT, "inputmode": "numeric", "autocomplete": "bday-year"}
        ),
    )
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"),
        choices=Gender.choices,
        initial=Gender.UNSPECIFIED,
        widget=forms.Select(attrs=_INPUT),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode"),
        validators=[validate_postcode],
        widget=forms.TextInput(
            attrs={**_INPUT, "inputmode": "numeric", "autocomplete": "postal-code", "maxlength": 4}
        ),
    )
    home_area = forms.CharField(
        label=gettext_lazy("Where do you live? (area or village)"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs=_INPUT),
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages you speak"),
        choices=Language.choices,
        required=False,
        widget=_CHECKBOX,
    )
    activities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Activities you like"),
        queryset=Activity.objects.filter(is_active=True),
        required=False,
        widget=_CHECKBOX,
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Who would you like to be a training contact for?"),
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=_CHECKBOX,
    )
    availability = forms.MultipleChoiceField(
        label=gettext_lazy("When in the week can you usually meet?"),
        choices=availability_choices,
        required=False,
        widget=_CHECKBOX,
    )
    motivation = forms.CharField(
        label=gettext_lazy("Why do you want to be a training contact?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 5}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that the municipality stores what I have written here to handle my "
            "application and contact me about it."
        ),
        error_messages={"required": gettext_lazy("We need your consent to handle the sign-up.")},
        widget=forms.CheckboxInput(attrs=_INPUT),
    )
    # Spam protection: a honeypot people never see (the signed timestamp travels beside the form
    # as "started", renewed each time the form is shown).
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(programmes) > 1:
            field = self.fields["programme"]
            field.queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])
            field.label_from_instance = lambda programme: programme.name
        else:
            del self.fields["programme"]

    def helper_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "email": data["email"].strip().lower(),
            "phone": data["phone"].strip(),
            "birth_year": data["birth_year"],
            "gender": data["gender"],
            "languages": list(data["languages"]),
            "postcode": data["postcode"].strip(),
            "home_area": data["home_area"].strip(),
            "screening_notes": data["motivation"].strip(),
        }


# --- the view -------------------------------------------------------------------------------


def signup_programmes(municipality: Municipality) -> list[Programme]:
    """The active training-contact programmes a person can sign up for."""
    return list(
        Programme.objects.filter(
            municipality=municipality, is_active=True, kind=ProgrammeKind.TRENINGSKONTAKT
        ).order_by("name", "pk")
    )


def _is_duplicate_error(exc: ValidationError) -> bool:
    constraint = next(
        c for c in Helper._meta.constraints if c.name == "helper_unique_email_per_programme"
    )
    message = str(constraint.get_violation_error_message())
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return message in errors.get(NON_FIELD_ERRORS, [])


_FORM_FIELD = {"screening_notes": "motivation"}


def _register(form: SignupForm, municipality: Municipality, programme: Programme) -> bool:
    """Create the applicant; an e-mail already in the programme is quietly skipped. False when
    the service refused the data (its errors are then on the form)."""
    data = form.helper_data()
    if Helper.objects.filter(programme=programme, email__iexact=data["email"]).exists():
        return True
    try:
        services.helper_create(
            by=None,
            municipality=municipality,
            programme=programme,
            data=data,
            activities=form.cleaned_data["activities"],
            target_groups=form.cleaned_data["target_groups"],
            availability=form.windows(),
            source=SIGNUP_SOURCE,
        )
    except IntegrityError:
        return True  # the same person sent the form twice at the same moment
    except ValidationError as exc:
        if _is_duplicate_error(exc):
            return True
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, messages in errors.items():
            target = _FORM_FIELD.get(field or "", field)
            for message in messages:
                form.add_error(target if target in form.fields else None, message)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest, municipality_code: str) -> HttpResponse:
    """The public sign-up page of one municipality."""
    municipality = Municipality.objects.filter(code=municipality_code).first()
    programmes = signup_programmes(municipality) if municipality else []
    if not programmes:
        raise Http404
    context: dict[str, Any] = {"municipality": municipality}
    if request.method == "GET" and DONE_PARAMETER in request.GET:
        return render(request, "helpers/signup_done.html", context)

    form = SignupForm(request.POST or None, programmes=programmes)
    if request.method == "POST":
        if GUARD.rate_limited(request):
            return render(request, "helpers/signup_limited.html", context, status=429)
        # Success, a known e-mail and a bot all end on the same thank-you page.
        done = redirect(f"{request.path}?{DONE_PARAMETER}=1")
        if request.POST.get(HONEYPOT_FIELD, "").strip():
            GUARD.count(request)
            return done
        problem = GUARD.token_problem(request.POST.get("started", ""), municipality.code)
        if form.is_valid():
            if problem:
                form.add_error(None, problem)
            else:
                programme = form.cleaned_data.get("programme") or programmes[0]
                if _register(form, municipality, programme):
                    GUARD.count(request)
                    return done
    context.update(
        form=form,
        choose_programme="programme" in form.fields,
        # Each showing of the form starts the clock again.
        started=signup_token(municipality.code),
    )
    return render(request, "helpers/signup.html", context)
