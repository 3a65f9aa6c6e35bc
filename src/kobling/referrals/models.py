"""Participants, referrals (and applications), consent, eligibility rules and decisions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.helpers.choices import Gender, Language, Weekday
from kobling.helpers.validators import (
    validate_latitude,
    validate_longitude,
    validate_national_id,
    validate_postcode,
)
from kobling.lib.row_guards import RowGuard
from kobling.referrals.choices import (
    EPISODE_END_REASONS,
    OPEN_STATUSES,
    AlternativeId,
    Benefit,
    ConsentScope,
    ConversationArea,
    ConversationKind,
    DecisionOutcome,
    EpisodeStatus,
    HandoverDestination,
    Priority,
    ReferralSource,
    ReferralStatus,
)
from kobling.tenancy.choices import MANAGER_ROLES, Delivery, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities

ADULT_AGE = 18


class Participant(models.Model):
    """The person helped. Identified by national identity number (fødselsnummer or D-number), or
    — where the person has none — a documented alternative. One record per person and
    municipality; their referrals hang off it."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="participants",
        verbose_name=_("municipality"),
    )
    national_id = models.CharField(
        _("national identity number"), max_length=11, blank=True, validators=[validate_national_id]
    )
    alternative_id = models.CharField(
        _("without national identity number"),
        max_length=20,
        choices=AlternativeId.choices,
        blank=True,
        default="",
    )
    alternative_id_note = models.CharField(
        _("identification used instead"), max_length=200, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    birth_date = models.DateField(_("birth date"))
    gender = models.CharField(
        _("gender"), max_length=20, choices=Gender.choices, default=Gender.UNSPECIFIED
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The postal address for letters (decisions): c/o, a street address or a post box, then
    # postcode and post town. The home area is where the person lives, for matching.
    care_of = models.CharField(_("c/o"), max_length=120, blank=True)
    street_address = models.CharField(_("street address"), max_length=120, blank=True)
    post_box = models.CharField(_("post box"), max_length=40, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, validators=[validate_postcode])
    post_town = models.CharField(_("post town"), max_length=60, blank=True)
    home_area = models.CharField(_("home area"), max_length=80, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_latitude],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[validate_longitude],
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    resident = models.BooleanField(_("lives in the municipality"), default=True)
    guardian_name = models.CharField(_("guardian's name"), max_length=160, blank=True)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=20, blank=True)
    guardian_email = models.EmailField(_("guardian's e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "national_id"],
                condition=~Q(national_id=""),
                name="participant_unique_national_id",
                violation_error_message=_(
                    "A participant with this national identity number is already registered."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(national_id="") | ~Q(alternative_id=""),
                name="participant_identified",
                violation_error_message=_(
                    "Give a national identity number, or say why there is none and what identifies the person instead."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def postal_address(self) -> list[str]:
        """The address lines under the name on a letter: c/o (else a minor's guardian), the post
        box or else the street address, and "postcode post town" (the home area when the town
        is not known)."""
        lines = []
        if self.care_of:
            lines.append(f"c/o {self.care_of}")
        elif self.guardian_name and self.birth_date and self.is_minor:
            lines.append(f"c/o {self.guardian_name}")
        if self.post_box or self.street_address:
            lines.append(self.post_box or self.street_address)
        lines.append(f"{self.postcode} {self.post_town or self.home_area}".strip())
        return lines

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_minor(self) -> bool:
        return self.age_on(timezone.localdate()) < ADULT_AGE

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if self.national_id and self.alternative_id:
            errors["alternative_id"] = _(
                "Give either a national identity number or an alternative, not both."
            )
        if self.alternative_id and not self.alternative_id_note.strip():
            errors["alternative_id_note"] = _(
                "Describe what identifies the person instead of a national identity number."
            )
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = _("The birth date cannot be in the future.")
        elif self.birth_date and self.is_minor:
            # A minor is always referred together with a guardian who can be reached.
            if not self.guardian_name.strip():
                errors["guardian_name"] = _(
                    "The person is under 18: give the name of a parent or guardian."
                )
            if not (self.guardian_phone.strip() or self.guardian_email.strip()):
                errors["guardian_phone"] = _(
                    "The person is under 18: give a phone number or e-mail for the guardian."
                )
        unknown = [code for code in (self.languages or []) if code not in Language.values]
        if not isinstance(self.languages, list):
            errors["languages"] = _("Languages must be a list of language codes.")
        elif unknown:
            errors["languages"] = _("Unknown language code(s): %(codes)s.") % {
                "codes": ", ".join(map(str, unknown))
            }
        if errors:
            raise ValidationError(errors)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        # Referrers see the people they referred.
        # Only in municipalities where the user refers: a coordinator elsewhere sees nothing
        # more here through a referral they happened to make.
        referrer_in = in_municipalities(user, (Role.REFERRER,))
        referred = Q(referrals__referrer=user) & referrer_in if referrer_in is not None else None
        return any_of(managers, referred)

    SCOPE_NEEDS_DISTINCT = True

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id) or (
            action == "view"
            and user.has_role(Role.REFERRER, self.municipality_id)
            and self.referrals.filter(referrer=user).exists()
        )


class EligibilityRules(models.Model):
    """Who a programme is for, in one municipality: target groups offered, age limits and
    residence. A referral that does not meet them is shown with the reason."""

    programme = models.OneToOneField(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="eligibility",
        verbose_name=_("programme"),
    )
    target_groups = models.ManyToManyField(
        "helpers.TargetGroup",
        blank=True,
        related_name="+",
        verbose_name=_("target groups offered"),
        help_text=_("Empty means all."),
    )
    min_age = models.PositiveSmallIntegerField(
        _("minimum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    residents_only = models.BooleanField(_("only residents of the municipality"), default=True)
    # Aktiv på dagtid: the person must receive one of the six benefits (referrals.choices.Benefit),
    # checked by a coordinator (yes/no, never a copy of the decision) and checked again after
    # ``benefit_recheck_weeks``.
    requires_benefit = models.BooleanField(
        _("requires one of the benefits"),
        default=False,
        help_text=_(
            "Aktiv på dagtid: sickness benefit, AAP, disability benefit, transitional "
            "benefit, unemployment benefit or financial social assistance."
        ),
    )
    benefit_recheck_weeks = models.PositiveSmallIntegerField(
        _("check the benefit again after (weeks)"), default=26
    )

    class Meta:
        verbose_name = _("eligibility rules")
        verbose_name_plural = _("eligibility rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="eligibility_age_range",
                violation_error_message=_("The maximum age cannot be below the minimum age."),
            )
        ]

    def __str__(self) -> str:
        return str(self.programme)


class BenefitCheck(models.Model):
    """That a coordinator verified which benefit a referred person receives (a yes/no check: the
    benefit group, who checked and when — never a copy of the decision), valid until it is
    checked again."""

    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        related_name="benefit_checks",
        verbose_name=_("referral"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    benefit = models.CharField(_("benefit"), max_length=20, choices=Benefit.choices)
    verified_on = models.DateField(_("verified on"))
    valid_until = models.DateField(_("check again by"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("verified by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("benefit check")
        verbose_name_plural = _("benefit checks")
        ordering = ["-verified_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_benefit_display()} {self.verified_on:%d.%m.%Y}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class Referral(models.Model):
    """A referral (from a GP, NAV, …) or an application (from the person or a guardian) to a
    programme. Carries what matching needs: goals, preferred activities, times and area, and the
    participant's preferences about the contact — each a must (hard) or a wish (soft)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("programme"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("participant"),
    )
    source = models.CharField(_("referred by"), max_length=30, choices=ReferralSource.choices)
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals_made",
        verbose_name=_("referrer (user)"),
    )
    referrer_name = models.CharField(_("referrer's name"), max_length=160, blank=True)
    referrer_organisation = models.CharField(
        _("referrer's organisation"), max_length=160, blank=True
    )
    referrer_phone = models.CharField(_("referrer's phone"), max_length=20, blank=True)
    referrer_email = models.EmailField(_("referrer's e-mail"), blank=True)

    target_groups = models.ManyToManyField(
        "helpers.TargetGroup", blank=True, related_name="referrals", verbose_name=_("target groups")
    )
    goals = models.TextField(_("goals, in the person's own words"), blank=True)
    preferred_activities = models.ManyToManyField(
        "helpers.Activity",
        blank=True,
        related_name="referrals",
        verbose_name=_("preferred activities"),
    )
    preferred_area = models.CharField(_("preferred area"), max_length=80, blank=True)
    max_travel_km = models.PositiveSmallIntegerField(
        _("longest acceptable distance (km)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(200)],
    )

    preferred_gender = models.CharField(
        _("preferred gender of the contact"), max_length=20, choices=Gender.choices, blank=True
    )
    gender_is_must = models.BooleanField(_("gender is a must"), default=False)
    contact_age_min = models.PositiveSmallIntegerField(
        _("contact at least (age)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    contact_age_max = models.PositiveSmallIntegerField(
        _("contact at most (age)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    age_is_must = models.BooleanField(_("age range is a must"), default=False)
    languages = models.JSONField(_("languages the contact should speak"), default=list, blank=True)
    language_is_must = models.BooleanField(_("language is a must"), default=False)

    needs = models.TextField(_("needs and accommodations"), blank=True)
    coordinator_notes = models.TextField(_("notes for coordinators only"), blank=True)

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReferralStatus.choices,
        default=ReferralStatus.RECEIVED,
        db_index=True,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    granted_at = models.DateTimeField(_("granted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    avoid_helper = models.ForeignKey(
        "helpers.Helper",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("previous contact to avoid"),
        help_text=_("After a broken pair the re-match avoids the previous contact unless asked."),
    )
    # Later referrals of the same person to the same programme that were merged into this one
    # (when, by whom, from which source): never a silent duplicate, never a silent merge.
    merges = models.JSONField(_("merged referrals"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["priority", "received_at", "id"]
        constraints = [
            # Never a silent duplicate: one open referral per person and programme.
            models.UniqueConstraint(
                fields=["participant", "programme"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="referral_one_open_per_person_and_programme",
                violation_error_message=_(
                    "This person already has an open referral to this programme."
                ),
            ),
            models.CheckConstraint(
                condition=Q(contact_age_min__isnull=True)
                | Q(contact_age_max__isnull=True)
                | Q(contact_age_max__gte=F("contact_age_min")),
                name="referral_contact_age_range",
                violation_error_message=_("The highest age cannot be below the lowest."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"], name="referral_municipality_status"),
            # The lists' two orders (API: the default; page: newest first): a page of 25 is read
            # in index order and joined, instead of joining every referral and sorting them.
            models.Index(
                fields=["municipality", "priority", "received_at", "id"],
                name="referral_list_priority",
            ),
            models.Index(
                fields=["municipality", "-received_at", "-id"], name="referral_list_received"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.programme.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if (
            self.programme_id
            and self.municipality_id
            and self.programme.municipality_id != self.municipality_id
        ):
            errors["programme"] = _("The programme belongs to another municipality.")
        if (
            self.participant_id
            and self.municipality_id
            and self.participant.municipality_id != self.municipality_id
        ):
            errors["participant"] = _("The participant belongs to another municipality.")
        if (
            self.contact_age_min is not None
            and self.contact_age_max is not None
            and self.contact_age_max < self.contact_age_min
        ):
            errors["contact_age_max"] = _("The highest age cannot be below the lowest.")
        unknown = [code for code in (self.languages or []) if code not in Language.values]
        if not isinstance(self.languages, list):
            errors["languages"] = _("Languages must be a list of language codes.")
        elif unknown:
            errors["languages"] = _("Unknown language code(s): %(codes)s.") % {
                "codes": ", ".join(map(str, unknown))
            }
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def language_names(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in self.languages or []]

    def waiting_days(self, today: dt.date | None = None) -> int | None:
        if self.status != ReferralStatus.WAITING or self.granted_at is None:
            return None
        today = today or timezone.localdate()
        return (today - timezone.localtime(self.granted_at).date()).days

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        # A referrer sees the referrals they made (details beyond the status follow consent).
        own = (
            Q(referrer=user) & in_municipalities(user, (Role.REFERRER,))
            if user.municipality_ids(Role.REFERRER)
            else None
        )
        return any_of(managers, own)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        return (
            action == "view"
            and self.referrer_id == user.pk
            and user.has_role(Role.REFERRER, self.municipality_id)
        )


class PreferredTime(models.Model):
    """A weekly window when the participant can be active."""

    referral = models.ForeignKey(
        Referral,
        on_delete=models.CASCADE,
        related_name="preferred_times",
        verbose_name=_("referral"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("preferred time")
        verbose_name_plural = _("preferred times")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="preferred_time_end_after_start",
                violation_error_message=_("The window must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Consent(models.Model):
    """What the participant (or guardian) agreed may be shared, from when, and whether it was
    withdrawn. Nothing is shared beyond a consent that is in force."""

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="consents", verbose_name=_("referral")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    scope = models.CharField(_("scope"), max_length=30, choices=ConsentScope.choices)
    partner_name = models.CharField(_("partner organisation"), max_length=160, blank=True)
    given_on = models.DateField(_("given"))
    given_by = models.CharField(
        _("given by"), max_length=160, help_text=_("The participant, or the guardian's name")
    )
    withdrawn_on = models.DateField(_("withdrawn"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["referral", "scope", "-given_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="consent_withdrawn_after_given",
                violation_error_message=_("Consent cannot be withdrawn before it was given."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.given_on:%d.%m.%Y})"

    def in_force_on(self, day: dt.date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        referrer_in = in_municipalities(user, (Role.REFERRER,))
        return any_of(
            managers, Q(referral__referrer=user) & referrer_in if referrer_in is not None else None
        )


class Decision(models.Model):
    """A decision (vedtak) on a referral: granted, refused or more information needed, with
    reasons, by whom and when. Never edited: a new decision supersedes the last."""

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("referral")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("reasons"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_on = models.DateField(_("decided on"), default=timezone.localdate)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # A grant despite unmet eligibility rules keeps the rules it overrode and why.
    unmet_eligibility = models.JSONField(_("eligibility rules not met"), default=list, blank=True)
    override_reason = models.TextField(_("reason for granting anyway"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.decided_on:%d.%m.%Y}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        referrer_in = in_municipalities(user, (Role.REFERRER,))
        return any_of(
            managers, Q(referral__referrer=user) & referrer_in if referrer_in is not None else None
        )


# The database's side of "never edited": no UPDATE or DELETE of a decision by any path.
DECISION_GUARD = RowGuard(
    name="referrals_decision_append_only",
    table=Decision._meta.db_table,
    message="decisions are never changed: a new decision supersedes the last",
)


class Episode(models.Model):
    """The participant's course (forløp): one person in one programme, opened by a granted
    decision and followed to its end, whatever delivers it — a helper pairing (as in the
    treningskontakt scheme), a group or an outside provider (``delivery``, from the programme).

    A one-to-one course keeps its pairings under it (a re-match stays in the same course); its
    status follows them through :mod:`kobling.referrals.episodes`. Sessions, goals, reviews,
    follow-ups, notices, reports and dashboards read the course, so a new delivery mode gets
    them without a copy."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="episodes",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="episodes",
        verbose_name=_("programme"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="episodes",
        verbose_name=_("participant"),
    )
    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, related_name="episode", verbose_name=_("referral")
    )
    decision = models.ForeignKey(
        "referrals.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by decision"),
    )
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EpisodeStatus.choices,
        default=EpisodeStatus.WAITING,
        db_index=True,
    )
    opened_on = models.DateField(_("opened"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_weeks = models.PositiveSmallIntegerField(
        _("planned period (weeks)"),
        null=True,
        blank=True,
        help_text=_("Empty for an open-ended course; renewals add to it."),
    )
    renewals_used = models.PositiveSmallIntegerField(_("renewals"), default=0)
    started_on = models.DateField(_("started"), null=True, blank=True)
    paused_on = models.DateField(_("paused since"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=30, choices=EPISODE_END_REASONS, blank=True
    )
    end_note = models.TextField(_("note"), blank=True)
    handover_destination = models.CharField(
        _("handed over to"), max_length=30, choices=HandoverDestination.choices, blank=True
    )
    handover_note = models.TextField(_("hand-over note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = pgettext_lazy("forløp", "course")
        verbose_name_plural = pgettext_lazy("forløp", "courses")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(status=EpisodeStatus.ENDED),
                name="episode_end_date_only_when_ended",
                violation_error_message=_("Only an ended course has an end date."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=F("started_on")),
                name="episode_ends_after_start",
                violation_error_message=_("A course cannot end before it started."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"], name="episode_municipality_status")
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.programme.name}"

    @property
    def planned_end(self) -> dt.date | None:
        """The last day of the planned period with its renewals (None when open-ended)."""
        start = self.started_on or self.planned_start or self.opened_on
        if self.planned_weeks is None or start is None:
            return None
        weeks = self.planned_weeks + self.renewals_used * (self.programme.renewal_weeks or 0)
        return start + dt.timedelta(weeks=weeks, days=-1)

    def waiting_days(self, today: dt.date | None = None) -> int:
        """Days from the decision to the start (or to today while it waits)."""
        end = self.started_on or self.ended_on or today or timezone.localdate()
        return max(0, (end - self.opened_on).days)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        # The referrer follows the courses of people they referred while the person's consent
        # to share progress with them is in force (as for pairings).
        referrer_in = user.municipality_ids(Role.REFERRER)
        referred = (
            Q(referral__referrer=user, municipality__in=sorted(referrer_in))
            & Q(sharing_consent_in_force("referral"))
            if referrer_in
            else None
        )
        return any_of(managers, referred)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        if action != "view":
            return False
        return Episode.objects.visible_to(user, "view").filter(pk=self.pk).exists()


def consent_in_force_exists(
    referral_ref: str, scope: str, today: dt.date | None = None
) -> models.Exists:
    """Whether the referral at ``referral_ref`` (an OuterRef path) has a consent of ``scope`` in
    force on ``today`` — the queryset form of :func:`kobling.referrals.selectors.consent_in_force`."""
    today = today or timezone.localdate()
    return models.Exists(
        Consent.objects.filter(
            referral=models.OuterRef(referral_ref), scope=scope, given_on__lte=today
        ).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today))
    )


def sharing_consent_in_force(referral_ref: str, today: dt.date | None = None) -> models.Exists:
    """Whether the referral at ``referral_ref`` (an OuterRef path) has a consent to share
    progress with the referrer in force today."""
    return consent_in_force_exists(referral_ref, ConsentScope.SHARE_WITH_REFERRER, today)


class EpisodeRenewal(models.Model):
    """A renewal of a course's period (a programme setting says how many and how long)."""

    episode = models.ForeignKey(
        Episode,
        on_delete=models.CASCADE,
        related_name="renewals",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    renewed_on = models.DateField(_("renewed on"))
    weeks = models.PositiveSmallIntegerField(_("weeks added"))
    reason = models.TextField(_("reason"))
    renewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["renewed_on", "id"]

    def __str__(self) -> str:
        return f"{self.episode} +{self.weeks}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


def _validate_areas(value: object) -> None:
    """``areas`` is a list of distinct ConversationArea codes."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Choose the areas from the list."))
    unknown = sorted(set(value) - set(ConversationArea.values))
    if unknown:
        raise ValidationError(
            _("Unknown area: %(areas)s.") % {"areas": ", ".join(unknown)}, code="unknown_area"
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each area once."))


class Conversation(models.Model):
    """A start or end conversation of a course, kept to the motivational interview's structured
    fields: the areas the person wants to work on, their goals in their own words and the plan
    agreed (plus the date, by whom and a short note) — no other health details.

    ``areas`` is a JSON list of ConversationArea codes, validated here: a fixed set of six codes
    needs no table of its own (an M2M would need one seeded by a migration), and an ArrayField
    would tie the model to PostgreSQL while the tests and small installations run SQLite."""

    episode = models.ForeignKey(
        Episode,
        on_delete=models.CASCADE,
        related_name="conversations",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ConversationKind.choices)
    held_on = models.DateField(_("held on"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("held by"),
    )
    areas = models.JSONField(
        _("areas to work on"), default=list, blank=True, validators=[_validate_areas]
    )
    own_goals = models.TextField(_("goals in their own words"), max_length=2000, blank=True)
    plan = models.TextField(_("plan agreed"), max_length=2000, blank=True)
    # Before the structured fields: a free summary of the goals agreed (still accepted).
    goals_agreed = models.TextField(_("goals agreed"), blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["held_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "kind"],
                name="conversation_one_of_each_kind_per_episode",
                violation_error_message=_("This course already has that conversation."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%d.%m.%Y}"

    def area_labels(self) -> list[str]:
        labels = dict(ConversationArea.choices)
        return [str(labels.get(code, code)) for code in self.areas or []]

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)
