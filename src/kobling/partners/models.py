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

from kobling.lib.row_guards import RowGuard
from kobling.partners.choices import (
    DEFAULT_WATCHDOG_SENTENCE,
    ENDING_SOON_DAYS,
    VALID_STATUSES,
    AgreementKind,
    AgreementStatus,
    BookingStatus,
    Clause,
    KeyAction,
    MeetingKind,
    PartnerKind,
    PremisesKind,
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
    # "One door": the partner's contact person in the municipality (issue 17).
    municipal_contact = models.ForeignKey(
        "tenancy.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_contacts",
        verbose_name=_("contact person in the municipality"),
        help_text=_("The one person in the municipality the organisation turns to."),
    )
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
    premises = models.ManyToManyField(
        "partners.Premises",
        blank=True,
        related_name="agreements",
        verbose_name=_("premises covered"),
    )
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


class _ManagersOnly:
    """Scope: the municipality's managers (municipal admins and coordinators) see and change it.
    Organisations reach their own rows only through their sign-in (:mod:`.organisations`)."""

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)  # type: ignore[attr-defined]


class PartnerSettings(_ManagersOnly, models.Model):
    """The municipality's settings for its cooperation with organisations: the fixed
    watchdog-role sentence printed on every agreement and grant letter (admins edit it)."""

    municipality = models.OneToOneField(
        "tenancy.Municipality", on_delete=models.CASCADE, related_name="partner_settings"
    )
    watchdog_sentence = models.TextField(_("watchdog role sentence"), max_length=600)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("partner settings")
        verbose_name_plural = _("partner settings")

    def __str__(self) -> str:
        return str(self.municipality)


def watchdog_sentence(municipality_id: int) -> str:
    """The municipality's watchdog sentence (the default until an admin edits it)."""
    found = PartnerSettings.objects.filter(municipality_id=municipality_id).first()
    return found.watchdog_sentence if found else str(DEFAULT_WATCHDOG_SENTENCE)


class Premises(_ManagersOnly, models.Model):
    """A room, a hall or a cabin the municipality (or a partner) lends to organisations, with
    the practical facts people ask about: keys and who holds them, locking, cleaning, the alarm
    and whom to call."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="premises"
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=PremisesKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    owner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_premises",
        verbose_name=_("managed by partner"),
        help_text=_("Empty: the municipality manages it."),
    )
    keys = models.TextField(_("keys and who holds them"), blank=True)
    locking = models.TextField(_("locking up"), blank=True)
    cleaning = models.TextField(_("cleaning"), blank=True)
    alarm = models.TextField(_("alarm"), blank=True)
    contact_name = models.CharField(_("contact to call"), max_length=160, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("can be booked"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "municipality",
                name="premises_unique_name_per_municipality",
                violation_error_message=_("The municipality already has premises by this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.owner_id
            and self.municipality_id
            and self.owner.municipality_id != self.municipality_id
        ):
            raise ValidationError({"owner": _("Choose a partner of the municipality.")})


class Booking(_ManagersOnly, models.Model):
    """A booking of premises by an organisation (a partner) or by the municipality itself. Two
    active bookings of the same premises never overlap (checked under the premises' row lock);
    the occurrences of a recurring booking share a ``series``."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("premises")
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("organisation"),
        help_text=_("Empty: the municipality's own booking."),
    )
    title = models.CharField(_("what for"), max_length=160)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    series = models.UUIDField(null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.ACTIVE
    )
    booked_by = models.ForeignKey(
        "tenancy.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_by_name = models.CharField(_("booked by"), max_length=160, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["premises", "starts_at"], name="booking_premises_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="booking_ends_after_start",
                violation_error_message=_("A booking must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.premises} {local:%d.%m.%Y %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status == BookingStatus.ACTIVE

    def holder_name(self) -> str:
        return self.partner.name if self.partner_id else str(self.municipality)


class _AppendOnly(models.Model):
    """A record that is never changed or deleted (model and database): a correction is a new
    entry that supersedes."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk:
            raise ValidationError(_("This entry cannot be changed; record a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise ValidationError(_("This entry cannot be deleted; record a correction instead."))


class KeyLogEntry(_ManagersOnly, _AppendOnly):
    """One line of the premises' key log: a key handed out to someone, or returned.
    Append-only; a wrong line is corrected by a new one that supersedes it."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="key_log")
    key_label = models.CharField(_("key"), max_length=60)
    action = models.CharField(_("what happened"), max_length=12, choices=KeyAction.choices)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="key_log",
        verbose_name=_("organisation"),
    )
    holder_name = models.CharField(_("handed to / returned by"), max_length=160)
    happened_at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        "tenancy.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("key log entry")
        verbose_name_plural = _("key log")
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.key_label}: {self.get_action_display()} — {self.holder_name}"


class IncidentNote(_ManagersOnly, _AppendOnly):
    """Something that happened at the premises (damage, a door left open, the alarm went off),
    noted for follow-up. Append-only."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="incidents")
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("organisation"),
    )
    happened_at = models.DateTimeField(_("when"))
    description = models.TextField(_("what happened"))
    recorded_by = models.ForeignKey(
        "tenancy.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("incident note")
        verbose_name_plural = _("incident notes")
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.premises}: {self.description[:40]}"


KEY_LOG_GUARD = RowGuard(
    name="partners_key_log_append_only",
    table=KeyLogEntry._meta.db_table,
    message="the key log is append-only: a correction is a new entry",
)
INCIDENT_GUARD = RowGuard(
    name="partners_incident_append_only",
    table=IncidentNote._meta.db_table,
    message="incident notes are append-only",
)


class Meeting(_ManagersOnly, models.Model):
    """A regular meeting point between the municipality and the organisations (a dialogue or
    network meeting): when and where (the place may be a premises booking), the partners
    invited, who came, and the minutes."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=160)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("premises booking"),
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(
        "tenancy.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
                violation_error_message=_("A meeting must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def place_text(self) -> str:
        if self.place:
            return self.place
        if self.booking_id:
            premises = self.booking.premises
            return ", ".join(p for p in (premises.name, premises.address) if p)
        return ""


class MeetingInvitation(_ManagersOnly, models.Model):
    """A partner invited to a meeting (the invitation goes to its contact e-mail through the
    outbox, with the meeting as an .ics file) and whether it came."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="meeting_invitations"
    )
    email = models.EmailField(_("sent to"), blank=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    attended = models.BooleanField(_("came"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["partner__name", "pk"]
        constraints = [
            models.UniqueConstraint("meeting", "partner", name="meeting_invitation_once")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} — {self.partner}"
