"""Partners (organisations the scheme works with) and the agreements made with them (DOMAIN §7).

A partner belongs to one municipality; only that municipality's managers (municipal admin,
coordinator) see or change it. An agreement carries the same municipality as its partner. An
agreement's status is derived from its dates (:meth:`Agreement.status_on`, and the matching
:func:`agreement_status_q` for queries), never stored."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import orgnr

from kobling.partners.choices import (
    ENDING_SOON_DAYS,
    VALID_STATUSES,
    AgreementKind,
    AgreementStatus,
    Clause,
    PartnerKind,
    PreventionLevel,
)
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities


def validate_orgnr(value: str) -> None:
    """A Norwegian organisation number: 9 digits with a mod-11 check digit."""
    try:
        orgnr.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Not a valid organisation number (9 digits with a correct check digit)."),
            code="invalid_orgnr",
        ) from None


class Partner(models.Model):
    """An organisation the scheme works with: where participants go on to be active, who refers,
    who lends premises. Managed by the municipality's coordinators and admins."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="partners",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=160)
    organisation_number = models.CharField(
        _("organisation number"),
        max_length=9,
        blank=True,
        validators=[validate_orgnr],
        help_text=_("Nine digits, from the Brønnøysund register. Optional."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=PartnerKind.choices)
    prevention_level = models.CharField(
        _("prevention level"), max_length=20, choices=PreventionLevel.choices, blank=True
    )
    programmes = models.ManyToManyField(
        "tenancy.Programme",
        blank=True,
        related_name="partners",
        verbose_name=_("programmes"),
        help_text=_("The programmes the partner works with. None: the scheme as a whole."),
    )
    contact_name = models.CharField(_("contact person"), max_length=160, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: an edit based on an old version is refused, never silently merged.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "municipality",
                name="partner_unique_name_per_municipality",
                violation_error_message=_("The municipality already has a partner by this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


def agreement_status_q(status: str, today: dt.date, prefix: str = "") -> Q:
    """The agreements (under ``prefix``, e.g. ``"agreements__"``) whose derived status on
    ``today`` is ``status`` — the same rules as :meth:`Agreement.status_on`."""

    def q(**kw: object) -> Q:
        return Q(**{f"{prefix}{k}": v for k, v in kw.items()})

    expired = q(ends_on__lt=today)
    upcoming = q(starts_on__gt=today)
    review_due = q(review_on__lte=today)
    ending_soon = q(ends_on__lte=today + dt.timedelta(days=ENDING_SOON_DAYS))
    started = ~upcoming & ~expired
    if status == AgreementStatus.EXPIRED:
        return expired
    if status == AgreementStatus.UPCOMING:
        return upcoming & ~expired
    if status == AgreementStatus.REVIEW_DUE:
        return started & review_due
    if status == AgreementStatus.ENDING_SOON:
        return started & ~review_due & ending_soon
    if status == AgreementStatus.IN_FORCE:
        return started & ~review_due & ~ending_soon
    raise ValueError(status)


def agreement_valid_q(today: dt.date, prefix: str = "") -> Q:
    """Agreements valid on ``today`` (in force, ending soon or due for review)."""
    combined = Q()
    for i, status in enumerate(VALID_STATUSES):
        part = agreement_status_q(status, today, prefix)
        combined = part if i == 0 else combined | part
    return combined


class Agreement(models.Model):
    """An agreement with a partner: its kind, dates, what it covers and which of the wanted
    clauses it has. Agreements are followed up, evaluated and renewed or ended (``review_on``)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("partner")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    review_on = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_("When the agreement is to be evaluated and renewed or ended."),
    )
    covers = models.TextField(_("what it covers"), blank=True)
    clauses = models.JSONField(_("clauses covered"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="agreement_ends_after_start",
                violation_error_message=_("The agreement cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.partner}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The agreement cannot end before it starts.")
        if self.starts_on and self.review_on and self.review_on < self.starts_on:
            errors["review_on"] = _("The review date cannot be before the start.")
        clauses = self.clauses if self.clauses is not None else []
        if not isinstance(clauses, list):
            errors["clauses"] = _("Clauses must be a list of clause codes.")
        else:
            unknown = sorted({str(c) for c in clauses} - set(Clause.values))
            if unknown:
                errors["clauses"] = _("Unknown clause(s): %(codes)s.") % {
                    "codes": ", ".join(unknown)
                }
            else:
                self.clauses = [c for c in Clause.values if c in clauses]
        if errors:
            raise ValidationError(errors)

    def status_on(self, today: dt.date | None = None) -> str:
        """The derived status: expired after the end; not yet in force before the start; review
        due from the review date; ending soon within 60 days of the end; otherwise in force."""
        today = today or timezone.localdate()
        if self.ends_on and self.ends_on < today:
            return AgreementStatus.EXPIRED
        if self.starts_on > today:
            return AgreementStatus.UPCOMING
        if self.review_on and self.review_on <= today:
            return AgreementStatus.REVIEW_DUE
        if self.ends_on and self.ends_on <= today + dt.timedelta(days=ENDING_SOON_DAYS):
            return AgreementStatus.ENDING_SOON
        return AgreementStatus.IN_FORCE

    @property
    def status(self) -> str:
        return self.status_on()

    def get_status_display(self) -> str:
        return str(AgreementStatus(self.status).label)

    def clause_labels(self) -> list[str]:
        labels = dict(Clause.choices)
        return [str(labels.get(c, c)) for c in self.clauses or []]

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)
