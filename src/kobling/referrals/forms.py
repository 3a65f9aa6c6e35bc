"""Forms for referral pages and the public application. They collect and check input; the rules
that matter (identity, duplicates, guardians, eligibility) are in the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.access import is_manager, managed_municipality_ids
from kobling.core.versions import VersionFormField
from kobling.helpers.choices import Gender, Language, Weekday
from kobling.helpers.models import Activity, TargetGroup
from kobling.helpers.validators import (
    validate_latitude,
    validate_longitude,
    validate_national_id,
    validate_postcode,
)
from kobling.referrals.choices import (
    AlternativeId,
    Benefit,
    ConsentScope,
    ConversationArea,
    ConversationKind,
    DecisionOutcome,
    EndReason,
    HandoverDestination,
    Priority,
    ReferralSource,
)
from kobling.referrals.identity import birth_date_of, normalise_national_id
from kobling.referrals.models import ADULT_AGE, EligibilityRules, Referral
from kobling.referrals.services import (
    EDITABLE_FIELDS,
    PARTICIPANT_EDITABLE_FIELDS,
    ConsentInput,
    Window,
    participant_version,
)
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.models import Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHECKBOXES = forms.CheckboxSelectMultiple
PHONE = RegexValidator(
    r"^\+?[0-9 ()\-]{5,20}$", _("Enter a phone number with digits, for example 912 34 567.")
)
MUST = _("Must (otherwise a wish)")
WITHOUT_ID = [(v, label) for v, label in AlternativeId.choices if v]


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class PersonFields(forms.Form):
    """Who the referral is for."""

    national_id = forms.CharField(
        label=_("National identity number (fødselsnummer or D-number)"),
        max_length=20,
        required=False,
        help_text=_("11 digits. Leave empty only if the person has none."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    alternative_id = forms.ChoiceField(
        label=_("If the person has no national identity number: why"),
        choices=[("", "—"), *WITHOUT_ID],
        required=False,
    )
    alternative_id_note = forms.CharField(
        label=_("What identifies the person instead"),
        max_length=200,
        required=False,
        help_text=_("For example a passport number or a case reference."),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=DATE,
        help_text=_("Needed only without a national identity number."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Gender.choices, initial=Gender.UNSPECIFIED
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        validators=[PHONE],
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    street_address = forms.CharField(
        label=_("Street address"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    care_of = forms.CharField(
        label=_("c/o"),
        max_length=120,
        required=False,
        help_text=_("Only if letters should go in someone else's name."),
    )
    post_box = forms.CharField(
        label=_("Post box"),
        max_length=40,
        required=False,
        help_text=_("For example “Postboks 12”. Letters go to the post box when given."),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        validators=[validate_postcode],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "postal-code"}
        ),
    )
    post_town = forms.CharField(
        label=_("Post town"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    home_area = forms.CharField(label=_("Home area"), max_length=80, required=False)
    person_languages = forms.MultipleChoiceField(
        label=_("Languages the person speaks"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    resident = forms.BooleanField(
        label=_("Lives in the municipality"), required=False, initial=True
    )
    guardian_name = forms.CharField(
        label=_("Parent or guardian's name"), max_length=160, required=False
    )
    guardian_phone = forms.CharField(
        label=_("Guardian's phone"),
        max_length=20,
        required=False,
        validators=[PHONE],
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    guardian_email = forms.EmailField(label=_("Guardian's e-mail"), required=False)

    def clean_national_id(self) -> str:
        value = normalise_national_id(self.cleaned_data.get("national_id", ""))
        if value:
            validate_national_id(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        national_id = data.get("national_id")
        born = data.get("birth_date")
        if national_id:
            derived = birth_date_of(national_id)
            if born and derived and born != derived:
                self.add_error(
                    "birth_date", _("The birth date does not match the national identity number.")
                )
            born = derived
        elif "national_id" in data:
            if not data.get("alternative_id"):
                self.add_error(
                    "national_id",
                    _(
                        "Give the national identity number (fødselsnummer or D-number), or say "
                        "why the person has none."
                    ),
                )
            if not data.get("alternative_id_note", "").strip():
                self.add_error(
                    "alternative_id_note",
                    _("Describe what identifies the person instead (e.g. passport number)."),
                )
            if not born:
                self.add_error(
                    "birth_date", _("Without a national identity number, give the birth date.")
                )
        self._check_guardian(data, born)
        return data

    def _check_guardian(self, data: dict[str, Any], born: dt.date | None) -> None:
        """A minor is referred together with a guardian who can be reached."""
        if born and _age_on(born, timezone.localdate()) < ADULT_AGE:
            if not data.get("guardian_name", "").strip():
                self.add_error(
                    "guardian_name",
                    _("The person is under 18: give the name of a parent or guardian."),
                )
            if not (data.get("guardian_phone", "").strip() or data.get("guardian_email")):
                self.add_error(
                    "guardian_phone",
                    _("The person is under 18: give a phone number or e-mail for the guardian."),
                )

    def person_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        national_id = data["national_id"]
        return {
            "national_id": national_id,
            "alternative_id": "" if national_id else data["alternative_id"],
            "alternative_id_note": "" if national_id else data["alternative_id_note"].strip(),
            "birth_date": None if national_id else data["birth_date"],
            **self.details_data(),
        }

    def details_data(self) -> dict[str, Any]:
        """The person's details other than their identity (national id or alternative, birth
        date): what may be corrected after the referral came in."""
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "gender": data["gender"],
            "email": (data["email"] or "").strip().lower(),
            "phone": data["phone"].strip(),
            "care_of": data["care_of"].strip(),
            "street_address": data["street_address"].strip(),
            "post_box": data["post_box"].strip(),
            "postcode": data["postcode"].strip(),
            "post_town": data["post_town"].strip(),
            "home_area": data["home_area"].strip(),
            "languages": list(data["person_languages"]),
            "resident": bool(data.get("resident", True)),
            "guardian_name": data["guardian_name"].strip(),
            "guardian_phone": data["guardian_phone"].strip(),
            "guardian_email": (data["guardian_email"] or "").strip().lower(),
        }


class WishesFields(forms.Form):
    """What the person wants: goals, activities, times, area, and who they want as a contact —
    each preference a must or a wish."""

    target_groups = forms.ModelMultipleChoiceField(
        label=_("Target groups"),
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=CHECKBOXES,
    )
    goals = forms.CharField(
        label=_("Goals, in the person's own words"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    activities = forms.ModelMultipleChoiceField(
        label=_("Preferred activities"),
        queryset=Activity.objects.filter(is_active=True),
        required=False,
        widget=CHECKBOXES,
    )
    preferred_area = forms.CharField(label=_("Preferred area"), max_length=80, required=False)
    max_travel_km = forms.IntegerField(
        label=_("Longest acceptable distance (km)"),
        required=False,
        min_value=0,
        validators=[MaxValueValidator(200)],
    )
    preferred_gender = forms.ChoiceField(
        label=_("Preferred gender of the contact"),
        choices=[("", _("No preference")), *Gender.choices],
        required=False,
    )
    gender_is_must = forms.BooleanField(label=MUST, required=False)
    contact_age_min = forms.IntegerField(
        label=_("Contact at least (age)"), required=False, min_value=0, max_value=120
    )
    contact_age_max = forms.IntegerField(
        label=_("Contact at most (age)"), required=False, min_value=0, max_value=120
    )
    age_is_must = forms.BooleanField(label=MUST, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages the contact should speak"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language_is_must = forms.BooleanField(label=MUST, required=False)
    needs = forms.CharField(
        label=_("Needs and accommodations"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # (preference, its must checkbox) — shown side by side.
    PREFERENCES = (
        (("preferred_gender",), "gender_is_must"),
        (("contact_age_min", "contact_age_max"), "age_is_must"),
        (("languages",), "language_is_must"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("contact_age_min"), data.get("contact_age_max")
        if low is not None and high is not None and high < low:
            self.add_error("contact_age_max", _("The highest age cannot be below the lowest."))
        return data

    def preference_rows(self) -> list[tuple[list[forms.BoundField], forms.BoundField]]:
        return [([self[name] for name in names], self[must]) for names, must in self.PREFERENCES]

    def wishes_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "goals": data["goals"].strip(),
            "preferred_area": data["preferred_area"].strip(),
            "max_travel_km": data["max_travel_km"],
            "preferred_gender": data["preferred_gender"],
            "gender_is_must": bool(data["gender_is_must"] and data["preferred_gender"]),
            "contact_age_min": data["contact_age_min"],
            "contact_age_max": data["contact_age_max"],
            "age_is_must": bool(
                data["age_is_must"]
                and (data["contact_age_min"] is not None or data["contact_age_max"] is not None)
            ),
            "languages": list(data["languages"]),
            "language_is_must": bool(data["language_is_must"] and data["languages"]),
            "needs": data["needs"].strip(),
        }

    def relation_kwargs(self) -> dict[str, Any]:
        return {
            "target_groups": list(self.cleaned_data["target_groups"]),
            "activities": list(self.cleaned_data["activities"]),
        }


class ReferralForm(PersonFields, WishesFields):
    """A referral, entered by a referrer or by a coordinator (e.g. one received on paper or by
    phone). Coordinators' notes and the received date only appear for coordinators."""

    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Programme"))
    source = forms.ChoiceField(label=_("Referred by"), choices=ReferralSource.choices)
    referrer_name = forms.CharField(label=_("Referrer's name"), max_length=160, required=False)
    referrer_organisation = forms.CharField(
        label=_("Referrer's organisation"), max_length=160, required=False
    )
    referrer_phone = forms.CharField(
        label=_("Referrer's phone"), max_length=20, required=False, validators=[PHONE]
    )
    referrer_email = forms.EmailField(label=_("Referrer's e-mail"), required=False)
    coordinator_notes = forms.CharField(
        label=_("Notes for coordinators only"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never shown to the referrer or the person."),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=DATE,
        help_text=_("For a referral received on paper or by phone; today if left empty."),
    )
    consent_scopes = forms.MultipleChoiceField(
        label=_("The person has consented to"),
        choices=ConsentScope.choices,
        required=False,
        widget=CHECKBOXES,
    )
    consent_partner_name = forms.CharField(
        label=_("Partner organisation (for sharing with a partner)"),
        max_length=160,
        required=False,
    )
    consent_given_by = forms.CharField(
        label=_("Consent given by"),
        max_length=160,
        required=False,
        help_text=_("The person, or the guardian's name."),
    )

    MANAGER_FIELDS = ("coordinator_notes", "received_on")

    def __init__(
        self, *args: Any, user: Any, programme: Programme | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        ids = user.municipality_ids(*MANAGER_ROLES, Role.REFERRER)
        field = self.fields["programme"]
        if programme is not None:
            field.queryset = Programme.objects.filter(pk=programme.pk)
            field.initial = programme.pk
            field.disabled = True
        else:
            field.queryset = Programme.objects.filter(
                municipality__in=sorted(ids), is_active=True
            ).select_related("municipality")
            only = list(field.queryset[:2])
            if len(only) == 1:
                field.initial = only[0].pk
        field.label_from_instance = lambda p: f"{p.name} ({p.municipality.name})"
        if not managed_municipality_ids(user):
            for name in self.MANAGER_FIELDS:
                del self.fields[name]
        if user.municipality_ids(Role.REFERRER) and not self.is_bound:
            self.fields["referrer_name"].initial = user.get_full_name()
            self.fields["referrer_email"].initial = user.email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        programme = data.get("programme")
        if programme is not None and "coordinator_notes" in self.fields:
            manager_here = is_manager(self.user, programme.municipality_id)
            if not manager_here and (data.get("coordinator_notes") or data.get("received_on")):
                self.add_error(
                    "coordinator_notes", _("Only coordinators in that municipality can set this.")
                )
        received = data.get("received_on")
        if received and received > timezone.localdate():
            self.add_error("received_on", _("The received date cannot be in the future."))
        scopes = data.get("consent_scopes") or []
        if scopes and not data.get("consent_given_by", "").strip():
            self.add_error(
                "consent_given_by", _("Say who gave the consent (the person or the guardian).")
            )
        if (
            ConsentScope.SHARE_WITH_PARTNER in scopes
            and not data.get("consent_partner_name", "").strip()
        ):
            self.add_error(
                "consent_partner_name", _("Name the partner organisation the consent covers.")
            )
        return data

    def referral_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            **self.wishes_data(),
            "source": data["source"],
            "referrer_name": data["referrer_name"].strip(),
            "referrer_organisation": data["referrer_organisation"].strip(),
            "referrer_phone": data["referrer_phone"].strip(),
            "referrer_email": (data["referrer_email"] or "").strip().lower(),
        }
        if data.get("coordinator_notes"):
            fields["coordinator_notes"] = data["coordinator_notes"].strip()
        if data.get("received_on"):
            fields["received_at"] = timezone.make_aware(
                dt.datetime.combine(data["received_on"], dt.time(12))
            )
        return fields

    def consents(self) -> list[ConsentInput]:
        data = self.cleaned_data
        return [
            ConsentInput(
                scope=scope,
                given_by=data["consent_given_by"].strip(),
                partner_name=data["consent_partner_name"].strip()
                if scope == ConsentScope.SHARE_WITH_PARTNER
                else "",
            )
            for scope in data.get("consent_scopes") or []
        ]

    def field_groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The form in sections (key, title, fields), in the order a referrer thinks of them."""

        def present(*names: str) -> list[forms.BoundField]:
            return [self[name] for name in names if name in self.fields]

        groups = [
            ("programme", _("Programme"), present("programme", "source", "received_on")),
            (
                "person",
                _("The person"),
                present(
                    "national_id",
                    "alternative_id",
                    "alternative_id_note",
                    "birth_date",
                    "first_name",
                    "last_name",
                    "gender",
                    "email",
                    "phone",
                    "street_address",
                    "care_of",
                    "post_box",
                    "postcode",
                    "post_town",
                    "home_area",
                    "latitude",
                    "longitude",
                    "resident",
                    "person_languages",
                ),
            ),
            (
                "guardian",
                _("Parent or guardian (for people under 18)"),
                present("guardian_name", "guardian_phone", "guardian_email"),
            ),
            ("wishes", _("Goals and wishes"), present("target_groups", "goals", "activities")),
            ("area", _("Area"), present("preferred_area", "max_travel_km")),
            ("needs", _("Needs"), present("needs")),
            (
                "consent",
                _("Consent"),
                present("consent_scopes", "consent_partner_name", "consent_given_by"),
            ),
            (
                "referrer",
                _("Referrer"),
                present(
                    "referrer_name", "referrer_organisation", "referrer_phone", "referrer_email"
                ),
            ),
            ("notes", _("For coordinators"), present("coordinator_notes")),
        ]
        return [group for group in groups if group[2]]


class ReferralEditForm(ReferralForm):
    """A coordinator corrects or completes a referral and its person's details after it came in:
    the create form without what is fixed by then — the programme, the person's identity
    (national identity number or alternative, birth date), the received date and consent (which
    has its own page) — plus the home coordinates. The versions of the referral and of the
    person travel with the form, so two people editing at once never silently overwrite each
    other. Coordinates may have more decimals than are stored (copied from a map): the service
    rounds them."""

    latitude = forms.DecimalField(
        label=_("Home latitude"),
        required=False,
        localize=True,
        validators=[validate_latitude],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Decimal degrees north, for example 62.47210. Used to measure distances."),
    )
    longitude = forms.DecimalField(
        label=_("Home longitude"),
        required=False,
        localize=True,
        validators=[validate_longitude],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Decimal degrees east, for example 6.15490. Give both or neither."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    participant_version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    # Fixed once the referral is in (see the docstring).
    NOT_EDITABLE = (
        "programme",
        "received_on",
        "national_id",
        "alternative_id",
        "alternative_id_note",
        "birth_date",
        "consent_scopes",
        "consent_partner_name",
        "consent_given_by",
    )

    def __init__(self, *args: Any, user: Any, referral: Referral, **kwargs: Any) -> None:
        participant = referral.participant
        initial = {
            **{name: getattr(participant, name) for name in PARTICIPANT_EDITABLE_FIELDS},
            "person_languages": list(participant.languages or []),
            **{name: getattr(referral, name) for name in EDITABLE_FIELDS},
            "languages": list(referral.languages or []),
            "target_groups": list(referral.target_groups.all()),
            "activities": list(referral.preferred_activities.all()),
            "version": referral.version,
            "participant_version": participant_version(participant),
        }
        super().__init__(*args, user=user, programme=referral.programme, initial=initial, **kwargs)
        self.referral = referral
        for name in self.NOT_EDITABLE:
            del self.fields[name]
        # A target group or activity retired since keeps its tick rather than vanishing unseen.
        for name, chosen in (
            ("target_groups", initial["target_groups"]),
            ("activities", initial["activities"]),
        ):
            field = self.fields[name]
            model = field.queryset.model
            field.queryset = model.objects.filter(
                Q(is_active=True) | Q(pk__in=[obj.pk for obj in chosen])
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._check_guardian(data, self.referral.participant.birth_date)
        return data

    def referral_data(self) -> dict[str, Any]:
        # Unlike on creation, an emptied note is a change: it clears the notes.
        return {
            **super().referral_data(),
            "coordinator_notes": self.cleaned_data["coordinator_notes"].strip(),
        }

    def field_groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        # Of the first group only "referred by" is left; it sits best with the referrer.
        return [
            (key, title, [self["source"], *fields] if key == "referrer" else fields)
            for key, title, fields in super().field_groups()
            if key != "programme"
        ]

    def participant_data(self) -> dict[str, Any]:
        return {
            **self.details_data(),
            "latitude": self.cleaned_data["latitude"],
            "longitude": self.cleaned_data["longitude"],
        }


def preferred_times_initial(referral: Referral) -> list[dict[str, Any]]:
    """The referral's weekly windows as rows of :data:`TimeWindowFormSet`."""
    return [
        {"weekday": t.weekday, "start_time": t.start_time, "end_time": t.end_time}
        for t in referral.preferred_times.all()
    ]


class TimeWindowForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=[("", "—"), *Weekday.choices], coerce=int, required=False
    )
    start_time = forms.TimeField(label=_("From"), required=False, widget=TIME)
    end_time = forms.TimeField(label=_("To"), required=False, widget=TIME)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parts = [
            data.get("weekday") not in (None, ""),
            data.get("start_time"),
            data.get("end_time"),
        ]
        if any(parts) and not all(parts):
            raise ValidationError(_("Give the weekday, the start and the end, or leave all empty."))
        if all(parts) and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("The window must end after it starts."))
        return data


TimeWindowFormSet = forms.formset_factory(TimeWindowForm, extra=3, max_num=14)


def windows_from_formset(formset: forms.BaseFormSet) -> list[Window]:
    return [
        Window(
            weekday=f.cleaned_data["weekday"],
            start_time=f.cleaned_data["start_time"],
            end_time=f.cleaned_data["end_time"],
        )
        for f in formset.forms
        if f.cleaned_data and f.cleaned_data.get("start_time") and f.cleaned_data.get("end_time")
    ]


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown in the letter to the person."),
        error_messages={"required": _("Give the reasons for the decision.")},
    )
    priority = forms.TypedChoiceField(
        label=_("Priority on the waiting list"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE, required=False)
    override_reason = forms.CharField(
        label=_("Reason for granting although the eligibility rules are not met"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = referral.version
        self.fields["priority"].initial = referral.priority
        self.fields["decided_on"].initial = timezone.localdate()

    def clean_reasons(self) -> str:
        value = self.cleaned_data["reasons"].strip()
        if not value:
            raise ValidationError(_("Give the reasons for the decision."))
        return value


class ConsentForm(forms.Form):
    scope = forms.ChoiceField(label=_("Consent to"), choices=ConsentScope.choices)
    partner_name = forms.CharField(label=_("Partner organisation"), max_length=160, required=False)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    given_by = forms.CharField(
        label=_("Given by"), max_length=160, help_text=_("The person, or the guardian's name.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()


class BenefitCheckForm(forms.Form):
    """A coordinator's yes/no check of which benefit the person receives (Aktiv på dagtid)."""

    benefit = forms.ChoiceField(label=_("Benefit"), choices=Benefit.choices)
    verified_on = forms.DateField(label=_("Verified on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verified_on"].initial = timezone.localdate()


class ConversationForm(forms.Form):
    """A course's start or end conversation, kept to the structured fields (no other health
    details): the areas the person wants to work on, goals in their own words, the plan."""

    kind = forms.ChoiceField(label=_("Conversation"), choices=ConversationKind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    areas = forms.MultipleChoiceField(
        label=_("Areas the person wants to work on"),
        choices=ConversationArea.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    own_goals = forms.CharField(
        label=_("Goals in their own words"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    plan = forms.CharField(
        label=_("Plan agreed"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("No health details beyond the fields above."),
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in ConversationKind.choices if c[0] in kinds]
        self.fields["held_on"].initial = timezone.localdate()


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the referral withdrawn?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EligibilityForm(forms.ModelForm):
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Target groups offered"),
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=CHECKBOXES,
        help_text=_("None ticked means all."),
    )

    class Meta:
        model = EligibilityRules
        fields = [
            "target_groups",
            "min_age",
            "max_age",
            "residents_only",
            "requires_benefit",
            "benefit_recheck_weeks",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and high < low:
            self.add_error("max_age", _("The maximum age cannot be below the minimum age."))
        return data


class SupplyDemandForm(forms.Form):
    municipality = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Municipality"), empty_label=_("All mine")
    )
    programme = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Programme"), empty_label=_("All")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from kobling.tenancy.models import Municipality

        super().__init__(*args, **kwargs)
        ids = sorted(managed_municipality_ids(user))
        self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=ids)
        self.fields["programme"].queryset = Programme.objects.filter(
            municipality__in=ids
        ).select_related("municipality")


class EpisodeEndForm(forms.Form):
    """End a course that no pair delivers (a group course, a provider's): when, why, and where
    the person goes on to."""

    ended_on = forms.DateField(label=_("Ended on"), widget=DATE)
    end_reason = forms.ChoiceField(
        label=_("Reason for ending"), choices=[("", "—"), *EndReason.choices]
    )
    end_note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("No health details."),
    )
    handover_destination = forms.ChoiceField(
        label=_("Handed over to"),
        choices=[("", "—"), *HandoverDestination.choices],
        required=False,
    )
    handover_note = forms.CharField(
        label=_("Hand-over note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = VersionFormField()
