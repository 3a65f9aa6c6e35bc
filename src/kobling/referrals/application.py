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
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kobling.core.public_forms import PublicFormGuard
from kobling.core.views import add_service_errors
from kobling.helpers.signup import DayPartsMixin, availability_choices
from kobling.referrals import services
from kobling.referrals.choices import ConsentScope, ReferralSource
from kobling.referrals.forms import PersonFields, WishesFields
from kobling.referrals.services import ConsentInput
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme

_TOKEN_SALT = "kobling.referrals.application"
HONEYPOT_FIELD = "website"
DONE_PARAMETER = "takk"
APPLICATION_SOURCES = (ReferralSource.SELF, ReferralSource.GUARDIAN)


GUARD = PublicFormGuard(_TOKEN_SALT)
application_token = GUARD.token


class ApplicationForm(DayPartsMixin, PersonFields, WishesFields):
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
        choices=availability_choices,
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
        if GUARD.rate_limited(request):
            return render(request, "referrals/application_limited.html", context, status=429)
        done = redirect(f"{request.path}?{DONE_PARAMETER}=1")
        if request.POST.get(HONEYPOT_FIELD, "").strip():
            GUARD.count(request)
            return done
        problem = GUARD.token_problem(request.POST.get("started", ""), municipality.code)
        if form.is_valid():
            if problem:
                form.add_error(None, problem)
            elif _submit(form, form.cleaned_data["programme"]):
                GUARD.count(request)
                return done
    context.update(
        form=form,
        choose_programme=len(programmes) > 1,
        started=application_token(municipality.code),
    )
    return render(request, "referrals/application.html", context)
