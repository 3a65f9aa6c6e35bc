"""The helper register (training contacts first), its lifecycle history, availability and the
check-ins that keep it current without anyone chasing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kobling.helpers.choices import (
    CheckInAnswer,
    CheckInStatus,
    Gender,
    HelperKind,
    HelperStatus,
    Language,
    LeftReason,
    Weekday,
)
from kobling.helpers.validators import (
    validate_birth_year,
    validate_latitude,
    validate_longitude,
    validate_national_id,
    validate_postcode,
)
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities


class ReferenceItem(models.Model):
    """A managed list entry with a stable code and names in both UI languages."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_nb = models.CharField(_("name (bokmål)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") else self.name_nb

    @property
    def name(self) -> str:
        return str(self)


class Activity(ReferenceItem):
    """An activity a helper likes and can lead (walking, strength, swimming, …)."""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("activity")
        verbose_name_plural = _("activities")


class TargetGroup(ReferenceItem):
    """A group of participants a helper is competent with (mental health, substance use, …)."""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")


class Helper(models.Model):
    """A helper in a municipality's programme: a training contact, or later a workplace coach or
    health guide. Belongs to exactly one municipality and one programme."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="helpers",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="helpers",
        verbose_name=_("programme"),
    )
    kind = models.CharField(
        _("kind"), max_length=30, choices=HelperKind.choices, default=HelperKind.TRAINING_CONTACT
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="helper_profiles",
        verbose_name=_("user account"),
    )

    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    national_id = models.CharField(
        _("national identity number"),
        max_length=11,
        blank=True,
        validators=[validate_national_id],
        help_text=_("Fødselsnummer or D-number; needed for payroll."),
    )
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[validate_birth_year]
    )
    gender = models.CharField(
        _("gender"), max_length=20, choices=Gender.choices, default=Gender.UNSPECIFIED
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)

    postcode = models.CharField(_("postcode"), max_length=4, validators=[validate_postcode])
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

    activities = models.ManyToManyField(
        Activity, blank=True, related_name="helpers", verbose_name=_("activities")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="helpers", verbose_name=_("target-group competence")
    )

    capacity = models.PositiveSmallIntegerField(
        _("capacity (participants)"), default=1, validators=[MaxValueValidator(20)]
    )
    hourly_rate = models.DecimalField(
        _("hourly rate (NOK)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    covers_equipment = models.BooleanField(_("equipment and gym fees covered"), default=False)
    contract_start = models.DateField(_("contract from"), null=True, blank=True)
    contract_end = models.DateField(_("contract to"), null=True, blank=True)

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=HelperStatus.choices,
        default=HelperStatus.APPLICANT,
        db_index=True,
    )
    status_since = models.DateTimeField(_("status since"), default=timezone.now)
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    left_reason = models.CharField(
        _("reason for leaving"), max_length=30, choices=LeftReason.choices, blank=True
    )

    interview_date = models.DateField(_("interview"), null=True, blank=True)
    police_certificate_date = models.DateField(
        _("police certificate issued"), null=True, blank=True
    )
    police_certificate_expires = models.DateField(
        _("police certificate expires"), null=True, blank=True
    )
    references_checked = models.BooleanField(_("references checked"), default=False)
    screening_notes = models.TextField(_("screening notes"), blank=True)

    # Check-ins: confirmed availability keeps an active contact in matching.
    availability_confirmed_at = models.DateTimeField(
        _("availability confirmed"), null=True, blank=True
    )
    is_unconfirmed = models.BooleanField(
        _("unconfirmed"),
        default=False,
        help_text=_("Did not answer a check-in and its reminder; kept out of matching."),
    )

    source = models.CharField(
        _("source"), max_length=20, blank=True, help_text=_("sign-up, import or manual")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic concurrency: an edit based on an old version is refused, never silently merged.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "email"],
                name="helper_unique_email_per_programme",
                violation_error_message=_(
                    "A helper with this e-mail is already registered in this programme."
                ),
            ),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_start__isnull=True)
                | Q(contract_end__gte=F("contract_start")),
                name="helper_contract_end_after_start",
                violation_error_message=_("The contract cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0),
                name="helper_rate_not_negative",
                violation_error_message=_("The hourly rate cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(status=HelperStatus.PAUSED) | Q(paused_until__isnull=False),
                name="helper_paused_has_date",
                violation_error_message=_("A paused helper needs a date to pause until."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"], name="helper_municipality_status")
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if self.email:
            self.email = self.email.strip().lower()
        if (
            self.programme_id
            and self.municipality_id
            and self.programme.municipality_id != self.municipality_id
        ):
            errors["programme"] = _("The programme belongs to another municipality.")
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            errors["contract_end"] = _("The contract cannot end before it starts.")
        if (
            self.police_certificate_date
            and self.police_certificate_expires
            and self.police_certificate_expires < self.police_certificate_date
        ):
            errors["police_certificate_expires"] = _(
                "The police certificate cannot expire before it was issued."
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

    def police_certificate_valid_on(self, day: dt.date) -> bool:
        return bool(
            self.police_certificate_date
            and (self.police_certificate_expires is None or self.police_certificate_expires >= day)
        )

    @property
    def language_names(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in self.languages or []]

    @property
    def is_available_for_matching(self) -> bool:
        return self.status == HelperStatus.ACTIVE and not self.is_unconfirmed

    # --- access -----------------------------------------------------------------------------
    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        own = Q(user=user) if user.municipality_ids(Role.TRAINING_CONTACT) else None
        return any_of(managers, own)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        return action == "view" and self.user_id == user.pk


class HelperStatusChange(models.Model):
    """One step in a helper's lifecycle history. Never edited; a correction is a new step."""

    helper = models.ForeignKey(
        Helper, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("helper")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=HelperStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=HelperStatus.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    paused_until = models.DateField(_("paused until"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.helper_id}: {self.from_status or '—'} → {self.to_status}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(
            managers, Q(helper__user=user) if user.municipality_ids(Role.TRAINING_CONTACT) else None
        )


class AvailabilityWindow(models.Model):
    """A weekly time window when the helper can meet (e.g. Tuesday 17:00–19:00)."""

    helper = models.ForeignKey(
        Helper, on_delete=models.CASCADE, related_name="availability", verbose_name=_("helper")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="availability_end_after_start",
                violation_error_message=_("The window must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class CheckIn(models.Model):
    """One availability check-in sent to an active helper. Its e-mails and its signed,
    single-use answer link live in the outbox (:mod:`kobling.core.outbox`, subject
    ``checkin:<id>``); ``sent_at`` and ``reminder_sent_at`` say when they went out."""

    helper = models.ForeignKey(
        Helper, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("helper")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CheckInStatus.choices,
        default=CheckInStatus.PENDING,
        db_index=True,
    )
    expires_at = models.DateTimeField(_("link expires"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=20, choices=CheckInAnswer.choices, blank=True)
    pause_until = models.DateField(_("pause until"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["helper"],
                condition=Q(status__in=["pending", "sent", "reminded"]),
                name="checkin_one_open_per_helper",
                violation_error_message=_("This helper already has an open check-in."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.helper} {self.created_at:%Y-%m-%d} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in {CheckInStatus.PENDING, CheckInStatus.SENT, CheckInStatus.REMINDED}

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(
            managers, Q(helper__user=user) if user.municipality_ids(Role.TRAINING_CONTACT) else None
        )
