"""Activity providers (DOMAIN §2 "Aktivitet på resept", §12 "Placement(s)"): gyms and other
private, ideal or voluntary deliverers a municipality places courses with; their sites, their
staff (a sign-in role tied to the provider, not to a municipality), their certified trainers,
the placements of courses with them, and the visits they report back.

Who sees what:

* the municipality's managers (municipal admin, coordinator) see and change everything of
  their municipality's providers;
* a provider's staff (:class:`ActivityProviderStaff`) see their own provider, its sites and
  trainers, and the courses placed with it — only while the person's consent to share with the
  provider is in force, and only what the placement shows (name, contact, the recommended
  activity, the period; never a health note);
* nobody else sees anything (403 up front), another municipality's managers get 404.

Visits are activity records as group attendance is: never changed; a correction is a new entry
that supersedes it (:data:`VISIT_GUARD` in the database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.core.choices import ParticipantAnswer
from kobling.core.confirmation_links import ConfirmationLinkBase
from kobling.core.frozen import FrozenOnceFinal
from kobling.lib.row_guards import RowGuard
from kobling.partners.models import validate_orgnr
from kobling.providers.choices import (
    DEFAULT_ANSWER_DAYS,
    OPEN_PLACEMENT_STATUSES,
    PERIOD_MONTHS_CHOICES,
    ActivityProviderKind,
    CertificateKind,
    ClaimLineKind,
    ClaimStatus,
    LineDecision,
    PlacementStatus,
    PriceModel,
    RequirementKind,
    RequirementMeasure,
    VisitSource,
)
from kobling.referrals.choices import Benefit, EpisodeStatus
from kobling.tenancy.choices import MANAGER_ROLES, Delivery
from kobling.tenancy.scoping import ScopedManager, ScopedQuerySet, any_of, in_municipalities


def _staff_q(user, path: str) -> Q | None:  # noqa: ANN001
    """Rows of the providers the user works for (``path`` leads to the provider's id)."""
    ids = user.activity_provider_ids
    return Q(**{f"{path}__in": sorted(ids)}) if ids else None


def course_not_ended_q(prefix: str = "") -> Q:
    """Placements (under ``prefix``) whose course (forløp) has not ended. A provider's staff
    see a person only while the course runs: when it ends, the accepted placement's period is
    shortened to the end day (for late visit reports through the provider's key), but the
    staff's view of the person ends with the course."""
    return ~Q(**{f"{prefix}episode__status": EpisodeStatus.ENDED})


def consent_in_force_q(prefix: str = "", today: dt.date | None = None) -> Q:
    """Placements (under ``prefix``) whose consent to share with the provider is in force."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}consent__given_on__lte": today}) & (
        Q(**{f"{prefix}consent__withdrawn_on__isnull": True})
        | Q(**{f"{prefix}consent__withdrawn_on__gt": today})
    )


class ActivityProvider(models.Model):
    """A gym or other deliverer of activity on prescription in one municipality, with its
    organisation number (checked). It may be linked to the municipality's partner register entry
    of the same organisation, where agreements (a concession contract) are kept."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="activity_providers",
        verbose_name=_("municipality"),
    )
    partner = models.OneToOneField(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activity_provider",
        verbose_name=_("partner register entry"),
        help_text=_("The same organisation in the partner register, where its agreements are."),
    )
    name = models.CharField(_("name"), max_length=160)
    organisation_number = models.CharField(
        _("organisation number"),
        max_length=9,
        validators=[validate_orgnr],
        help_text=_("Nine digits, from the Brønnøysund register."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityProviderKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=160, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("activity provider")
        verbose_name_plural = _("activity providers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "municipality",
                "organisation_number",
                name="activity_provider_orgnr_once",
                violation_error_message=_(
                    "The municipality already has a provider with this organisation number."
                ),
            ),
            models.UniqueConstraint(
                Lower("name"),
                "municipality",
                name="activity_provider_name_once",
                violation_error_message=_("The municipality already has a provider by this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(managers, _staff_q(user, "pk"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class ProviderSite(models.Model):
    """A place where the provider receives people: address, opening hours, accessibility."""

    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.CASCADE,
        related_name="sites",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=160)
    street_address = models.CharField(_("street address"), max_length=120)
    postcode = models.CharField(_("postcode"), max_length=4)
    post_town = models.CharField(_("post town"), max_length=60, blank=True)
    opening_hours = models.TextField(
        _("opening hours"), blank=True, help_text=_("E.g. Mon–Fri 06–22, Sat–Sun 08–18.")
    )
    accessibility = models.TextField(
        _("accessibility"),
        blank=True,
        help_text=_("Step-free entrance, lift, accessible changing room, hearing loop …"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["provider", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.provider} — {self.name}"

    def clean(self) -> None:
        if self.postcode and not (len(self.postcode) == 4 and self.postcode.isdigit()):
            raise ValidationError({"postcode": _("A postcode has four digits.")})

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(managers, _staff_q(user, "provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class ActivityProviderStaff(models.Model):
    """A user who works for an activity provider (as ``courses.ProviderStaff`` does for a course
    provider): sees only the courses placed with the provider, within the person's consent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activity_provider_staff",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )

    class Meta:
        verbose_name = _("provider staff member")
        verbose_name_plural = _("provider staff")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider"], name="activity_provider_staff_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class Trainer(models.Model):
    """A trainer at a provider (health guide, personal trainer …). May sign in (``user``) to
    record visits on the phone."""

    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="trainers",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trainer_roles",
        verbose_name=_("user"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("trainer")
        verbose_name_plural = _("trainers")
        ordering = ["last_name", "first_name", "pk"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return any_of(in_municipalities(user, MANAGER_ROLES), _staff_q(user, "provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id) or (
            self.provider_id in user.activity_provider_ids
        )


class TrainerCertificate(models.Model):
    """A trainer's certificate: kind, issuer, number and expiry. A trainer without a valid
    certificate of a kind the programme requires cannot be assigned to a placement."""

    trainer = models.ForeignKey(
        Trainer, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("trainer")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CertificateKind.choices)
    issuer = models.CharField(_("issuer"), max_length=160)
    number = models.CharField(_("certificate number"), max_length=60)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    expires_on = models.DateField(_("expires"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["trainer", "kind", "-expires_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "issuer", "number"],
                name="trainer_certificate_once",
                violation_error_message=_("This certificate is already registered."),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(expires_on__gte=F("valid_from")),
                name="trainer_certificate_expires_after_start",
                violation_error_message=_("A certificate cannot expire before it is valid."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and self.expires_on >= day

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return any_of(in_municipalities(user, MANAGER_ROLES), _staff_q(user, "trainer__provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id) or (
            self.trainer.provider_id in user.activity_provider_ids
        )


class PlacementSettings(models.Model):
    """A programme's rules for placing courses with providers: the days a provider has to
    answer, and the certificate kinds of which an assigned trainer must hold a valid one."""

    programme = models.OneToOneField(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="placement_settings",
        verbose_name=_("programme"),
    )
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer"),
        default=DEFAULT_ANSWER_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    required_certificates = models.JSONField(
        _("certificates an assigned trainer needs (any of)"), default=list, blank=True
    )
    visit_confirmation_by_participant = models.BooleanField(
        _("participants confirm their visits"),
        default=False,
        help_text=_(
            "When a provider reports a visit, the participant gets an e-mail with a link to "
            "confirm that they came (or say they did not)."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("placement settings")
        verbose_name_plural = _("placement settings")

    def __str__(self) -> str:
        return str(self.programme)


class PlacementRule(models.Model):
    """A programme's rule "eligible benefit group → provider X": a course of the programme whose
    person has that benefit group verified and valid (as in Aktiv på dagtid,
    ``referrals.BenefitCheck``) is proposed to, and — with the person's consent to share with
    the provider — placed with, the provider. One active rule per benefit group and programme;
    the coordinator may always place elsewhere."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="placement_rules",
        verbose_name=_("programme"),
    )
    benefit = models.CharField(_("benefit group"), max_length=20, choices=Benefit.choices)
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="placement_rules",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    activity = models.CharField(
        _("recommended activity"),
        max_length=300,
        help_text=_(
            "What a course placed by the rule is recommended, e.g. training with a health guide."
        ),
    )
    weeks = models.PositiveSmallIntegerField(
        _("weeks"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(104)],
        help_text=_("The placement's length when the course has no planned end."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("placement rule")
        verbose_name_plural = _("placement rules")
        ordering = ["programme", "benefit", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "benefit"],
                condition=Q(is_active=True),
                name="placement_rule_one_per_benefit",
                violation_error_message=_(
                    "The programme already has an active rule for this benefit group."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_benefit_display()} → {self.provider}"

    def clean(self) -> None:
        errors = {}
        if self.provider_id and self.provider.municipality_id != self.municipality_id:
            errors["provider"] = _("Choose a provider of the programme's municipality.")
        if self.programme_id and self.programme.municipality_id != self.municipality_id:
            errors["programme"] = _("Choose a programme of your municipality.")
        if self.programme_id and self.programme.delivery != Delivery.PROVIDER:
            errors["programme"] = _("Only a programme delivered by providers has placement rules.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class PlacementQuerySet(ScopedQuerySet):
    def open(self) -> PlacementQuerySet:
        return self.filter(status__in=OPEN_PLACEMENT_STATUSES)


class Placement(models.Model):
    """A course (forløp) placed with a provider: the recommended activity and the period, the
    provider's answer (accept, or decline with a reason) by a date, the trainer assigned. A
    decline or a withdrawal keeps the row; placing again makes a new one."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    site = models.ForeignKey(
        ProviderSite,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("site"),
    )
    trainer = models.ForeignKey(
        Trainer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("trainer"),
    )
    # The person's consent to share with this provider: while it is in force the provider's
    # staff see the placement; withdrawn, they see nothing.
    consent = models.ForeignKey(
        "referrals.Consent",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consent to share with the provider"),
    )
    activity = models.CharField(
        _("recommended activity"),
        max_length=300,
        help_text=_("What the referrer recommends, e.g. strength training twice a week."),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PlacementStatus.choices,
        default=PlacementStatus.PENDING,
        db_index=True,
    )
    answer_by = models.DateField(_("answer by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status__in=OPEN_PLACEMENT_STATUSES),
                name="placement_one_open_per_course",
                violation_error_message=_("The course is already placed with a provider."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="placement_ends_after_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"], name="placement_provider_status")]

    def __str__(self) -> str:
        return f"{self.provider} · {self.episode_id}"

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        staff = _staff_q(user, "provider")
        if action == "change":
            return managers
        staff = (
            staff
            & Q(status__in=OPEN_PLACEMENT_STATUSES)
            & consent_in_force_q()
            & course_not_ended_q()
            if staff is not None
            else None
        )
        if action == "answer":
            return staff
        return any_of(managers, staff)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if action == "answer":
            return Placement.objects.visible_to(user, "answer").filter(pk=self.pk).exists()
        return user.is_manager_of(self.municipality_id)


class VisitQuerySet(ScopedQuerySet):
    def current(self) -> VisitQuerySet:
        """The entries that stand: not superseded by a correction."""
        return self.filter(superseded_by__isnull=True)


class ProviderVisit(models.Model):
    """A visit of a placed course's participant at the provider — an activity record of the
    course, whether it came from the provider's system, a file or the trainer's phone. Never
    changed: a correction is a new entry that supersedes it. ``external_id`` is the provider's
    own id for the visit, which makes sending it twice harmless."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="visits", verbose_name=_("placement")
    )
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="provider_visits",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    external_id = models.CharField(_("provider's visit id"), max_length=80, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=VisitSource.choices)
    visited_on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    attended = models.BooleanField(_("came"), default=True)
    trainer = models.ForeignKey(
        Trainer, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.CharField(_("reason for correction"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # The participant's own answer through a confirmation link (programmes whose placement
    # settings ask for it): written once onto the entry — the row guard lets these two columns
    # change only while ``answered_at`` is empty. "Disputed" does not change ``attended``: the
    # coordinator looks and corrects or keeps the entry (each a new entry).
    confirmation = models.CharField(
        _("participant's answer"),
        max_length=10,
        choices=ParticipantAnswer.choices,
        blank=True,
        default="",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("provider visit")
        verbose_name_plural = _("provider visits")
        ordering = ["visited_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="provider_visit_external_id_once",
                violation_error_message=_("The provider has already sent a visit with this id."),
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=600),
                name="provider_visit_minutes",
                violation_error_message=_("A visit lasts from 1 to 600 minutes."),
            ),
        ]
        indexes = [models.Index(fields=["episode", "visited_on"], name="provider_visit_course")]

    def __str__(self) -> str:
        return f"{self.visited_on:%d.%m.%Y} · {self.episode_id}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        staff = _staff_q(user, "provider")
        staff = (
            staff & consent_in_force_q("placement__") & course_not_ended_q("placement__")
            if staff is not None
            else None
        )
        return any_of(managers, staff)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id) or self.provider_id in (
            user.activity_provider_ids
        )


class ProviderToken(models.Model):
    """A key a provider's own system uses for ``/api/v1/provider/…``: scoped to that provider,
    shown once, kept only as its SHA-256, revocable."""

    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.CASCADE,
        related_name="tokens",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80, help_text=_("E.g. the booking system."))
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("provider API key")
        verbose_name_plural = _("provider API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} · {self.name}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class ConcessionTerms(models.Model):
    """The terms of a service concession contract with a provider: the contract itself is the
    municipality's ``partners.Agreement`` of kind concession on the provider's partner register
    entry (its dates, status, clauses and pages are the agreements'); this row adds what the
    agreements module does not know — the price model, price, price period, capacity, the cap
    per person per period, the sessions a week the requirements plan with — and carries the
    requirements and claims."""

    agreement = models.OneToOneField(
        "partners.Agreement",
        on_delete=models.PROTECT,
        related_name="concession_terms",
        verbose_name=_("agreement"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    price_model = models.CharField(_("price model"), max_length=20, choices=PriceModel.choices)
    price = models.DecimalField(
        _("price (NOK)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    period_months = models.PositiveSmallIntegerField(
        _("price period"),
        choices=PERIOD_MONTHS_CHOICES,
        default=1,
        help_text=_("The period the price per participant, the fixed fee and the cap apply to."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Participants at a time. Empty: open.")
    )
    cap_per_person = models.DecimalField(
        _("cap per person per period (NOK)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    sessions_per_week = models.DecimalField(
        _("planned sessions a week"),
        max_digits=3,
        decimal_places=1,
        default=2,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(14)],
        help_text=_("What the attendance requirement counts as planned."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("concession contract terms")
        verbose_name_plural = _("concession contract terms")
        ordering = ["provider__name", "pk"]

    def __str__(self) -> str:
        return f"{self.provider} · {self.agreement.starts_on:%d.%m.%Y}"

    def clean(self) -> None:
        from kobling.partners.choices import AgreementKind

        agreement = self.agreement
        if agreement.kind != AgreementKind.CONCESSION:
            raise ValidationError({"agreement": _("The agreement is not a concession contract.")})
        if self.provider_id and agreement.partner_id != self.provider.partner_id:
            raise ValidationError(
                {"agreement": _("The agreement is not with this provider's partner entry.")}
            )

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(managers, _staff_q(user, "provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if action == "view" and self.provider_id in user.activity_provider_ids:
            return True
        return user.is_manager_of(self.municipality_id)


class ContractRequirement(models.Model):
    """A requirement of a concession contract: one of Kobling's measures, a target share (per
    cent, met when at least) and the measurement period."""

    terms = models.ForeignKey(
        ConcessionTerms,
        on_delete=models.CASCADE,
        related_name="requirements",
        verbose_name=_("contract"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    measure = models.CharField(_("measure"), max_length=30, choices=RequirementMeasure.choices)
    target = models.DecimalField(
        _("target (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    period_months = models.PositiveSmallIntegerField(
        _("measurement period"), choices=PERIOD_MONTHS_CHOICES, default=3
    )
    text = models.CharField(_("as written in the contract"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("contract requirement")
        verbose_name_plural = _("contract requirements")
        ordering = ["terms", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terms", "measure"],
                name="contract_requirement_once",
                violation_error_message=_("The contract already has a requirement on this."),
            ),
            models.CheckConstraint(
                condition=Q(target__gte=0, target__lte=100),
                name="contract_requirement_target_share",
                violation_error_message=_("The target is a share from 0 to 100 %."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} ≥ {self.target} %"

    @property
    def kind(self) -> str:
        from kobling.providers.contract_calc import MEASURES

        return MEASURES[self.measure]

    def get_kind_display(self) -> str:
        return str(RequirementKind(self.kind).label)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(managers, _staff_q(user, "terms__provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class ReimbursementClaim(FrozenOnceFinal, models.Model):
    """A provider's claim for one month under a concession contract: lines built from attended
    visits of eligible persons. The provider prepares and submits it; the municipality approves
    or rejects line by line (or all at once) and then approves the claim, which freezes it and
    its lines (here and in the database). A later correction is an adjustment line on a later
    claim."""

    FINAL = ClaimStatus.APPROVED

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    terms = models.ForeignKey(
        ConcessionTerms, on_delete=models.PROTECT, related_name="claims", verbose_name=_("contract")
    )
    provider = models.ForeignKey(
        ActivityProvider,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month claimed."))
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    built_at = models.DateTimeField(_("built"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("reimbursement claim")
        verbose_name_plural = _("reimbursement claims")
        ordering = ["-month", "provider__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["terms", "month"],
                name="claim_once_per_month",
                violation_error_message=_("There is already a claim for this month."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.month:%m.%Y}"

    def locked_message(self) -> str:
        return str(_("The claim is approved and can no longer be changed."))

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        staff = _staff_q(user, "provider")
        if action == "approve":
            return managers
        if action == "submit":
            return staff
        return any_of(managers, staff)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        staff = self.provider_id in user.activity_provider_ids
        if action == "submit":
            return staff
        if action == "approve":
            return user.is_manager_of(self.municipality_id)
        return staff or user.is_manager_of(self.municipality_id)


class ClaimLine(models.Model):
    """A line of a claim: a visit (per session), a person in a period (per participant), the
    fixed fee, or an adjustment — a visit of an earlier month no claim carried, or the reversal
    of an approved line whose visit was since corrected away (``adjusts``). Each is approved or
    rejected with a reason; frozen with its claim."""

    claim = models.ForeignKey(
        ReimbursementClaim, on_delete=models.CASCADE, related_name="lines", verbose_name=_("claim")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ClaimLineKind.choices)
    placement = models.ForeignKey(
        Placement, null=True, blank=True, on_delete=models.PROTECT, related_name="claim_lines"
    )
    episode = models.ForeignKey(
        "referrals.Episode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim_lines",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    visit = models.ForeignKey(
        ProviderVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="claim_lines"
    )
    adjusts = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
        verbose_name=_("adjusts"),
    )
    day = models.DateField(_("date"), null=True, blank=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=20, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=LineDecision.choices, default=LineDecision.PENDING
    )
    reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        ordering = ["claim", "day", "pk"]
        constraints = [
            # A visit is claimed once (a reversal points at the line it reverses instead).
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(adjusts__isnull=True, visit__isnull=False),
                name="claim_line_visit_once",
                violation_error_message=_("This visit is already on a claim."),
            ),
            models.UniqueConstraint(
                fields=["adjusts"],
                condition=Q(adjusts__isnull=False),
                name="claim_line_reversed_once",
                violation_error_message=_("This line is already adjusted."),
            ),
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(reason=""),
                name="claim_line_rejection_has_reason",
                violation_error_message=_("Give a reason for rejecting the line."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return any_of(in_municipalities(user, MANAGER_ROLES), _staff_q(user, "claim__provider"))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class VisitConfirmationLink(ConfirmationLinkBase):
    """A request, e-mailed to the participant (or a minor's guardian) when a provider reported
    a visit, to confirm that they came — or say they did not. The shared part (recipient,
    expiry, used) is :class:`kobling.core.confirmation_links.ConfirmationLinkBase`; the e-mail
    and the signed single-use link live in the outbox (subject ``visit-confirmation:<id>``)."""

    visit = models.ForeignKey(
        ProviderVisit,
        on_delete=models.PROTECT,
        related_name="confirmation_links",
        verbose_name=_("provider visit"),
    )
    # The course, for the send limit (per course and per address).
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("forløp", "course"),
    )

    objects = ScopedManager()

    class Meta(ConfirmationLinkBase.Meta):
        verbose_name = _("visit confirmation link")
        verbose_name_plural = _("visit confirmation links")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.created_at:%Y-%m-%d}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)


# The database's side of "visits are never edited": no UPDATE or DELETE of a visit entry,
# except the participant's answer written once onto it (providers.confirmations).
VISIT_GUARD = RowGuard(
    name="providers_visit_append_only",
    table=ProviderVisit._meta.db_table,
    message="provider visits are append-only: a correction is a new entry",
    may_change=(
        ("confirmation", "OLD.answered_at IS NULL"),
        ("answered_at", "OLD.answered_at IS NULL"),
    ),
)
# An approved claim and its lines are never changed (kobling.core.frozen).
CLAIM_GUARDS = (
    ReimbursementClaim.row_guard(),
    ReimbursementClaim.part_row_guard(ClaimLine, "claim_id"),
)
ROW_GUARDS = (VISIT_GUARD, *CLAIM_GUARDS)
