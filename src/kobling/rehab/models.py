"""The rehabilitation register (issue 13): offers at hospitals, institutions and municipalities,
rehabilitation courses (an extension of the participant's course, ``referrals.Episode``), and
the eligible population as imported aggregate counts (no person rows).

Who sees what: offers describe services, not persons, so every signed-in user reads them (the
public list shows them without signing in); the unit's managers change them. A rehabilitation
course is a person's health record: only staff of its unit (clinicians, coordinators, the unit's
administrators) read or change it, every read audited. Denominators are counts: the unit's staff
and the national analyst read them; the unit's managers and the analyst import them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.rehab.choices import (
    ICD10_GROUP,
    INDEX_EVENT_GROUP,
    AgeBand,
    DiagnosisGroup,
    Format,
    Icd10,
    IndexEvent,
    Setting,
    Sex,
)
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities

# Staff of a unit who work with its rehabilitation courses.
UNIT_STAFF_ROLES = (*MANAGER_ROLES, Role.CLINICIAN)


class RehabOffer(models.Model):
    """A rehabilitation offer of one unit (hospital, institution, municipality): which diagnosis
    groups it serves, where and how it is given, and whether it takes new patients."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="rehab_offers",
        verbose_name=_("provider unit"),
    )
    name = models.CharField(_("name"), max_length=160)
    serves_chd = models.BooleanField(_("coronary heart disease"), default=False)
    serves_copd = models.BooleanField(_("COPD"), default=False)
    serves_pad = models.BooleanField(_("peripheral arterial disease"), default=False)
    setting = models.CharField(_("setting"), max_length=30, choices=Setting.choices)
    format = models.CharField(_("format"), max_length=20, choices=Format.choices)
    length_weeks = models.PositiveSmallIntegerField(
        _("length (weeks)"), validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        _("sessions per week"), validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (patients at a time)"), validators=[MinValueValidator(1)]
    )
    takes_new_patients = models.BooleanField(_("takes new patients"), default=True)
    county_code = models.CharField(
        _("county"), max_length=4, help_text=_("The county where the offer is given.")
    )
    place = models.CharField(_("place"), max_length=120, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("rehabilitation offer")
        verbose_name_plural = _("rehabilitation offers")
        ordering = ["county_code", "municipality__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(serves_chd=True) | Q(serves_copd=True) | Q(serves_pad=True),
                name="rehab_offer_serves_a_diagnosis",
                violation_error_message=_("An offer serves at least one diagnosis group."),
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="rehab_offer_unique_name_per_unit",
                violation_error_message=_("This unit already has an offer with that name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"

    @property
    def diagnoses(self) -> list[str]:
        return [
            code
            for code, on in (
                (DiagnosisGroup.CORONARY.value, self.serves_chd),
                (DiagnosisGroup.COPD.value, self.serves_copd),
                (DiagnosisGroup.PERIPHERAL.value, self.serves_pad),
            )
            if on
        ]

    def serves(self, diagnosis: str) -> bool:
        return diagnosis in self.diagnoses

    def clean(self) -> None:
        from kobling.lib.counties import COUNTY_TILES

        if self.county_code and self.county_code not in COUNTY_TILES:
            raise ValidationError({"county_code": _("Choose one of the counties.")})

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        if action == "view":
            return Q()
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return action == "view" or user.is_manager_of(self.municipality_id)


def diagnosis_q(diagnosis: str, prefix: str = "") -> Q:
    """Offers serving ``diagnosis``."""
    return Q(**{f"{prefix}serves_{diagnosis}": True})


class RehabCourse(models.Model):
    """The rehabilitation part of a participant's course (forløp): the course itself — person,
    start, end, attendance from its groups, completion under the programme's rule, follow-ups —
    is the ``referrals.Episode`` this row extends one to one; here are the register's fields:
    the diagnosis group and its ICD-10 code, the index event and its date, the referral date and
    the offer."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="rehab_courses",
        verbose_name=_("unit"),
    )
    episode = models.OneToOneField(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="rehab",
        verbose_name=_("course"),
    )
    diagnosis = models.CharField(
        _("diagnosis group"), max_length=10, choices=DiagnosisGroup.choices
    )
    icd10 = models.CharField(_("ICD-10 code"), max_length=4, choices=Icd10.choices)
    index_event = models.CharField(_("index event"), max_length=30, choices=IndexEvent.choices)
    index_date = models.DateField(_("date of the index event"))
    referral_date = models.DateField(_("referred on"))
    offer = models.ForeignKey(
        RehabOffer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("offer"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("rehabilitation course")
        verbose_name_plural = _("rehabilitation courses")
        ordering = ["-index_date", "-id"]
        indexes = [
            models.Index(fields=["diagnosis", "index_date"], name="rehab_course_diag_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_diagnosis_display()} · {self.index_date}"

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.icd10 and self.diagnosis and ICD10_GROUP.get(self.icd10) != self.diagnosis:
            errors["icd10"] = _("This ICD-10 code does not belong to the diagnosis group.")
        if (
            self.index_event
            and self.diagnosis
            and INDEX_EVENT_GROUP.get(self.index_event) != self.diagnosis
        ):
            errors["index_event"] = _("This index event does not belong to the diagnosis group.")
        today = timezone.localdate()
        if self.index_date and self.index_date > today:
            errors["index_date"] = _("The index event cannot be in the future.")
        if self.index_date and self.referral_date and self.referral_date < self.index_date:
            errors["referral_date"] = _("The referral cannot come before the index event.")
        if self.offer_id and self.diagnosis and not self.offer.serves(self.diagnosis):
            errors["offer"] = _("This offer does not serve the diagnosis group.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, UNIT_STAFF_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return bool(user.municipality_ids(*UNIT_STAFF_ROLES) & {self.municipality_id})


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class Denominator(models.Model):
    """The eligible population of one unit for one diagnosis group, quarter, sex and age band:
    an aggregate count imported from the hospital's patient administration or a quality
    register (no person rows). A new import of the same cell replaces its count (audited)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="rehab_denominators",
        verbose_name=_("unit"),
    )
    diagnosis = models.CharField(
        _("diagnosis group"), max_length=10, choices=DiagnosisGroup.choices
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    eligible = models.PositiveIntegerField(_("eligible"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("denominator")
        verbose_name_plural = _("denominators")
        ordering = ["municipality__name", "diagnosis", "year", "quarter", "sex", "age_band"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "diagnosis", "year", "quarter", "sex", "age_band"],
                name="rehab_denominator_unique_cell",
                violation_error_message=_("This cell has a count already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.diagnosis} {self.year}Q{self.quarter}"

    @property
    def period(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        roles = UNIT_STAFF_ROLES if action == "view" else MANAGER_ROLES
        analyst = Q() if getattr(user, "is_analyst", False) else None
        return any_of(analyst, in_municipalities(user, roles))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if getattr(user, "is_analyst", False):
            return True
        roles = UNIT_STAFF_ROLES if action == "view" else MANAGER_ROLES
        return bool(user.municipality_ids(*roles) & {self.municipality_id})
