"""The public application form: a citizen (or the parent or guardian of a minor) applies to a
municipality's programme without signing in, at ``/soknad/<municipality code>/``.

Spam is kept out as on the contact sign-up (:mod:`kobling.helpers.signup`), with its own salt
and counter: a honeypot field, a signed timestamp (too quick or too old is refused), and a per-IP
limit answered with a friendly 429 page.

The form never reveals what the municipality knows: success, a bot and a second application for
someone who already has an open referral all end on the same thank-you page. The second
application is not dropped and not a silent duplicate: its information is merged into the open
referral (recorded in the referral's merge history and the audit log) for the coordinator."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kobling.helpers.choices import Weekday
from kobling.helpers.signup import DAY_PARTS, max_age_seconds, min_seconds, rate_limit
from kobling.referrals import services
from kobling.referrals.choices import ConsentScope, ReferralSource
from kobling.referrals.forms import PersonFields, WishesFields
from kobling.referrals.services import ConsentInput, Window
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.middleware import client_ip
from kobling.tenancy.models import Municipality, Programme
from kobling.web.base import add_service_errors

_TOKEN_SALT = "kobling.referrals.application"
HONEYPOT_FIELD = "website"
DONE_PARAMETER = "takk"
APPLICATION_SOURCES = (ReferralSource.SELF, ReferralSource.GUARDIAN)


def application_token(municipality_code: str, *, issued_at: float | None = None) -> str:
    issued = int(time.time() if issued_at is None else issued_at)
    return signing.dumps({"m": municipality_code, "t": issued}, salt=_TOKEN_SALT)


def _token_problem(token: str, municipality_code: str) -> str | None:
    try:
        payload = signing.loads(token or "", salt=_TOKEN_SALT)
        issued = int(payload["t"])
        ok = payload["m"] == municipality_code
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        ok, issued = False, 0
    age = time.time() - issued
    if not ok or age > max_age_seconds():
        return _(
            "The form has been open for a long time. Please check your answers and send it again."
        )
    if age < min_seconds():
        return _("That was quick! Please check your answers and send the form again.")
    return None


def _rate_key(request: HttpRequest) -> str:
    ip = client_ip(request) or "unknown"
    return "kobling:application:" + salted_hmac(_TOKEN_SALT, ip).hexdigest()[:32]


def _rate_limited(request: HttpRequest) -> bool:
    limit, _window = rate_limit()
    return (cache.get(_rate_key(request)) or 0) >= limit


def _count(request: HttpRequest) -> None:
    _limit, window = rate_limit()
    key = _rate_key(request)
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def _availability_choices() -> list[tuple[str, str]]:
    return [
        (f"{day.value}-{code}", f"{day.label}: {label}")
        for day in Weekday
        for code, _start, _end, label in DAY_PARTS
    ]


class ApplicationForm(PersonFields, WishesFields):
    """What a person (or their guardian) tells the municipality when applying."""

    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(),
        label=gettext_lazy("What do you apply for?"),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    applying_as = forms.ChoiceField(
        label=gettext_lazy("Who is filling in the form?"),
        choices=[
            (ReferralSource.SELF, gettext_lazy("I apply for myself")),
            (
                ReferralSource.GUARDIAN,
                gettext_lazy("I am a parent or guardian applying for a child"),
            ),
        ],
        widget=forms.RadioSelect,
        initial=ReferralSource.SELF,
    )
    availability = forms.MultipleChoiceField(
        label=gettext_lazy("When in the week can you usually be active?"),
        choices=_availability_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_follow_up = forms.BooleanField(
        label=gettext_lazy("You may contact me for a follow-up after the offer has ended."),
        required=False,
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that the municipality stores what I have written here to handle the "
            "application and contact me about it."
        ),
        error_messages={
            "required": gettext_lazy("We need your consent to handle the application.")
        },
    )
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["programme"]
        field.queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])
        field.label_from_instance = lambda programme: programme.name
        if len(programmes) == 1:
            field.initial = programmes[0].pk
            field.widget = forms.HiddenInput()
        # The applicant's own wording: "you", not "the person".
        self.fields["goals"].label = gettext_lazy("What would you like to achieve?")
        self.fields["needs"].label = gettext_lazy("Is there anything we should take into account?")
        self.fields["target_groups"].label = gettext_lazy(
            "What is the help mainly about? (optional)"
        )
        self.fields["activities"].label = gettext_lazy("Activities you would like to do")
        self.fields["person_languages"].label = gettext_lazy("Languages you speak")

    def availability_rows(self) -> list[tuple[str, list[tuple[Any, str]]]]:
        options = list(self["availability"])
        per_day = len(DAY_PARTS)
        return [
            (
                str(day.label),
                [(options[i * per_day + j], str(part[3])) for j, part in enumerate(DAY_PARTS)],
            )
            for i, day in enumerate(Weekday)
        ]

    def windows(self) -> list[Window]:
        parts = {code: (start, end) for code, start, end, _label in DAY_PARTS}
        chosen = sorted(
            (int(day), *parts[code])
            for day, code in (value.split("-", 1) for value in self.cleaned_data["availability"])
        )
        windows: list[Window] = []
        for day, start, end in chosen:
            last = windows[-1] if windows else None
            if last and last.weekday == day and last.end_time == start:
                windows[-1] = Window(weekday=day, start_time=last.start_time, end_time=end)
            else:
                windows.append(Window(weekday=day, start_time=start, end_time=end))
        return windows

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("applying_as") == ReferralSource.GUARDIAN
            and not data.get("guardian_name", "").strip()
        ):
            self.add_error("guardian_name", _("Give your name as parent or guardian."))
        return data

    def consents(self, today: dt.date) -> list[ConsentInput]:
        if not self.cleaned_data.get("consent_follow_up"):
            return []
        data = self.cleaned_data
        given_by = (
            data["guardian_name"].strip()
            if data["applying_as"] == ReferralSource.GUARDIAN
            else f"{data['first_name'].strip()} {data['last_name'].strip()}"
        )
        return [
            ConsentInput(
                scope=ConsentScope.CONTACT_FOR_FOLLOW_UP, given_by=given_by, given_on=today
            )
        ]


def application_programmes(municipality: Municipality) -> list[Programme]:
    return list(
        Programme.objects.filter(municipality=municipality, is_active=True).order_by("name", "pk")
    )


def _submit(form: ApplicationForm, programme: Programme) -> bool:
    """Create the referral, or merge into the person's open one. False when the data was
    refused (the errors are then on the form)."""
    from django.utils import timezone

    today = timezone.localdate()
    kwargs = {
        "data": {**form.wishes_data(), "source": form.cleaned_data["applying_as"]},
        "times": form.windows(),
        "consents": form.consents(today),
        **form.relation_kwargs(),
    }
    try:
        services.referral_create(
            by=None,
            programme=programme,
            person=form.person_data(),
            channel="application",
            **kwargs,
        )
    except services.DuplicateReferral as exc:
        try:
            services.referral_merge(into=exc.existing, by=None, channel="application", **kwargs)
        except ValidationError as merge_error:
            # The person already has an open referral; the visitor cannot fix what the merge
            # refused (e.g. the referral closed meanwhile). The submission is not lost silently:
            # coordinators find it in the audit log (field names only, no content), and the
            # visitor gets the same thank-you page as always.
            audit_log(
                user=None,
                action=AuditAction.UPDATE,
                obj=exc.existing,
                changes={
                    "merge_skipped": "application",
                    "fields": sorted(getattr(merge_error, "error_dict", {}) or ["__all__"]),
                },
            )
    except ValidationError as exc:
        if "languages" in getattr(exc, "error_dict", {}):
            exc.error_dict["person_languages"] = exc.error_dict.pop("languages")
        add_service_errors(form, exc)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def application_view(request: HttpRequest, municipality_code: str) -> HttpResponse:
    municipality = Municipality.objects.filter(code=municipality_code).first()
    programmes = application_programmes(municipality) if municipality else []
    if not programmes:
        raise Http404
    context: dict[str, Any] = {"municipality": municipality}
    if request.method == "GET" and DONE_PARAMETER in request.GET:
        return render(request, "referrals/application_done.html", context)
    form = ApplicationForm(request.POST or None, programmes=programmes)
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "referrals/application_limited.html", context, status=429)
        done = redirect(f"{request.path}?{DONE_PARAMETER}=1")
        if request.POST.get(HONEYPOT_FIELD, "").strip():
            _count(request)
            return done
        problem = _token_problem(request.POST.get("started", ""), municipality.code)
        if form.is_valid():
            if problem:
                form.add_error(None, problem)
            elif _submit(form, form.cleaned_data["programme"]):
                _count(request)
                return done
    context.update(
        form=form,
        choose_programme=len(programmes) > 1,
        started=application_token(municipality.code),
    )
    return render(request, "referrals/application.html", context)
