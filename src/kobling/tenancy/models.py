"""Municipalities, programmes, users and their roles, and the append-only audit log."""

from __future__ import annotations

import functools
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import (
    MANAGER_ROLES,
    AuditAction,
    Delivery,
    NationalRole,
    ProgrammeKind,
    Role,
    UnitKind,
)
from kobling.tenancy.compiled import CompiledQuery
from kobling.tenancy.scoping import ScopedManager, in_municipalities


@functools.cache
def _device_models() -> tuple[type[models.Model], ...]:
    """django-otp's device models (its ``device_classes()`` walks every model on each call)."""
    from django_otp import device_classes

    return tuple(device_classes())


# In the one query of User._links, the "role" of a staff link: no Role is spelled like these.
_PROVIDER = "@course-provider"
_ACTIVITY_PROVIDER = "@activity-provider"
_DEVICE = "@otp-device"


def _links_query(pk: int) -> models.QuerySet:
    """:attr:`User._links`'s query for the user ``pk``: (unit, role, unit kind) per membership,
    then (provider, tag, "") per staff link and authenticator."""
    user = User(pk=pk)

    def tagged(queryset: models.QuerySet, key: str, tag: str) -> models.QuerySet:
        return (
            queryset.order_by()
            .annotate(
                link_kind=models.Value(tag, output_field=models.CharField()),
                link_none=models.Value("", output_field=models.CharField()),
            )
            .values_list(key, "link_kind", "link_none")
        )

    return (
        Membership.objects.filter(user_id=pk)
        .order_by()
        .values_list("municipality_id", "role", "municipality__kind")
        .union(
            tagged(user.provider_staff.all(), "provider_id", _PROVIDER),
            tagged(user.activity_provider_staff.all(), "provider_id", _ACTIVITY_PROVIDER),
            *(
                tagged(model.objects.devices_for_user(user, confirmed=True), "pk", _DEVICE)
                for model in _device_models()
            ),
            all=True,
        )
    )


# Compiled once per thread: every signed-in request runs it (kobling.tenancy.compiled).
_LINKS = CompiledQuery(_links_query)


class User(AbstractUser):
    """A person who signs in. What they may see comes from their memberships (per municipality),
    their course-provider staff links and, for analysts, a national role."""

    national_role = models.CharField(
        _("national role"), max_length=20, choices=NationalRole.choices, blank=True, default=""
    )
    preferred_language = models.CharField(_("language"), max_length=5, blank=True, default="")
    staff_region = models.ForeignKey(
        "tenancy.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("region staff of"),
        help_text=_(
            "The health region this user monitors: aggregated, small-cell-suppressed figures for "
            "its units, never a person."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def _links(self) -> tuple[list[tuple[int, str, str]], set[int], set[int], bool]:
        """The user's memberships as (unit, role, unit kind), the course providers and the
        activity providers they work for, and whether they have a confirmed authenticator: one
        query for all four (every signed-in request needs the first and the last, every page's
        menu the other two), its SQL compiled once per thread. The staff rows come through the
        reverse relations of ``courses.ProviderStaff.user`` and
        ``providers.ActivityProviderStaff.user``: tenancy knows no app above it."""
        if not self.pk:
            return [], set(), set(), False
        rows = _LINKS.rows(self.pk, using=self._state.db or "default")
        memberships: list[tuple[int, str, str]] = []
        providers: set[int] = set()
        activity_providers: set[int] = set()
        device = False
        for unit, role, kind in rows:
            if role == _PROVIDER:
                providers.add(unit)
            elif role == _ACTIVITY_PROVIDER:
                activity_providers.add(unit)
            elif role == _DEVICE:
                device = True
            else:
                memberships.append((unit, role, kind))
        return memberships, providers, activity_providers, device

    def forget_memberships(self) -> None:
        """Read the memberships, staff links and authenticators again at next use (after
        granting or adding one)."""
        for name in ("_links", "_roles"):
            self.__dict__.pop(name, None)

    @property
    def _memberships(self) -> list[tuple[int, str, str]]:
        return self._links[0]

    @cached_property
    def _roles(self) -> dict[str, set[int]]:
        roles: dict[str, set[int]] = {}
        for municipality_id, role, _kind in self._memberships:
            roles.setdefault(role, set()).add(municipality_id)
        return roles

    def unit_kinds(self, *roles: str) -> set[str]:
        """The kinds of unit (municipality, hospital, …) where the user holds any of ``roles``."""
        return {kind for _unit, role, kind in self._memberships if not roles or role in roles}

    def municipality_ids(self, *roles: str) -> set[int]:
        """Municipalities where the user holds any of ``roles`` (all roles when none given)."""
        wanted = roles or tuple(self._roles)
        found: set[int] = set()
        for role in wanted:
            found |= self._roles.get(role, set())
        return found

    def has_role(self, role: str, municipality_id: int | None = None) -> bool:
        ids = self._roles.get(role, set())
        return bool(ids) if municipality_id is None else municipality_id in ids

    def is_manager_of(self, municipality_id: int) -> bool:
        return any(self.has_role(r, municipality_id) for r in MANAGER_ROLES)

    @property
    def is_analyst(self) -> bool:
        return self.national_role == NationalRole.ANALYST

    @property
    def is_region_staff(self) -> bool:
        return self.staff_region_id is not None

    @property
    def provider_ids(self) -> set[int]:
        """The course providers the user works for."""
        return self._links[1]

    @property
    def activity_provider_ids(self) -> set[int]:
        """The activity providers (gyms …) the user works for."""
        return self._links[2]

    @property
    def is_staff_member(self) -> bool:
        """Municipal staff (admins, coordinators) for whom two-factor is offered."""
        return bool(self.municipality_ids(*MANAGER_ROLES))

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.municipality_ids(Role.MUNICIPAL_ADMIN)) or self.is_superuser

    @property
    def has_two_factor(self) -> bool:
        """Has a confirmed authenticator (whether required or chosen)."""
        return self._links[3]

    @property
    def must_pass_two_factor(self) -> bool:
        """Two-factor is required for the role, or the user turned it on: either way a password
        alone is not enough."""
        from django.conf import settings

        return (
            settings.KOBLING_REQUIRE_2FA_FOR_ADMINS and self.requires_two_factor
        ) or self.has_two_factor


class Region(models.Model):
    """A health region (helseregion): the level the rehabilitation register aggregates units to
    (issue 13). Not a tenant: it owns no records, it only groups units."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("health region")
        verbose_name_plural = _("health regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """The tenant: a municipality or an Oslo-style city district. Every personal record belongs to
    exactly one of these."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.MUNICIPALITY
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="districts",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("health region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    checkin_interval_weeks = models.PositiveSmallIntegerField(
        _("check-in interval (weeks)"),
        validators=[MinValueValidator(1)],
        default=8,
        help_text=_("How often active contacts are asked whether they are still available."),
    )
    checkin_reminder_days = models.PositiveSmallIntegerField(
        _("days before check-in reminder"), default=7
    )
    checkin_lapse_days = models.PositiveSmallIntegerField(
        _("days after reminder before a contact is unconfirmed"), default=7
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checkin_interval_weeks__gte=1),
                name="municipality_checkin_interval_positive",
                violation_error_message=_("The check-in interval must be at least one week."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user: User, action: str) -> Q | None:
        if action == "view":
            ids = user.municipality_ids()
            return Q(pk__in=sorted(ids)) if ids else None
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,), field="pk")

    def permits(self, user: User, action: str) -> bool:
        if action == "view":
            return self.pk in user.municipality_ids()
        return user.has_role(Role.MUNICIPAL_ADMIN, self.pk)


class Programme(models.Model):
    """A measure a municipality runs (treningskontakt, frisklivsresept, …). Helpers, courses and
    later referrals and pairings belong to a programme."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("municipality"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=ProgrammeKind.choices)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    requires_police_certificate = models.BooleanField(
        _("requires a police certificate"), default=True
    )
    requires_qualification = models.BooleanField(
        _("requires a qualification"),
        default=True,
        help_text=_("Helpers must have completed a qualifying course before they can be active."),
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    review_interval_weeks = models.PositiveSmallIntegerField(
        _("review every (weeks)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("How often a pair reviews progress towards the participant's goals."),
    )
    # The participant's course (referrals.Episode) follows these.
    delivery = models.CharField(
        _("delivery"), max_length=20, choices=Delivery.choices, default=Delivery.ONE_TO_ONE
    )
    period_weeks = models.PositiveSmallIntegerField(
        _("planned period (weeks)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
        help_text=_("How long a course lasts when granted; empty for open-ended."),
    )
    renewals_max = models.PositiveSmallIntegerField(
        _("renewals allowed"), default=0, validators=[MaxValueValidator(10)]
    )
    renewal_weeks = models.PositiveSmallIntegerField(
        _("weeks per renewal"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
    )
    uses_conversations = models.BooleanField(
        _("opens and closes with a conversation"),
        default=False,
        help_text=_("A start and an end conversation (e.g. the frisklivsresept's health talks)."),
    )
    attendance_late_days = models.PositiveSmallIntegerField(
        _("days to record group attendance"),
        default=7,
        help_text=_("How many days after a group meeting its leader may still record who came."),
    )
    attendance_confirmation_by_participant = models.BooleanField(
        _("participants confirm their group attendance"),
        default=False,
        help_text=_(
            "When a group meeting is marked held, everyone recorded as present gets an e-mail "
            "with a link to confirm that they came (or say they did not)."
        ),
    )
    # When a course counts as completed (docs/groups.md, "Completion"): both empty/off means
    # the programme has no completion rule.
    completion_min_attendance_pct = models.PositiveSmallIntegerField(
        _("completed with at least this share of meetings attended (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "A course is completed when it has ended and the participant came to at least "
            "this share of the group meetings offered. Empty: no attendance requirement."
        ),
    )
    completion_needs_end_conversation = models.BooleanField(
        _("completed only with an end conversation"),
        default=False,
        help_text=_("A course is completed only when its end conversation was held."),
    )
    # Optimistic concurrency: a settings edit based on an old version is refused (409).
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["municipality__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="programme_unique_name_per_municipality",
                violation_error_message=_(
                    "This municipality already has a programme with that name."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.renewals_max and not self.renewal_weeks:
            raise ValidationError(
                {"renewal_weeks": _("Say how many weeks a renewal adds when renewals are allowed.")}
            )

    @classmethod
    def visibility_q(cls, user: User, action: str) -> Q | None:
        if action == "view":
            ids = user.municipality_ids()
            return Q(municipality__in=sorted(ids)) if ids else None
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))

    def permits(self, user: User, action: str) -> bool:
        if action == "view":
            return self.municipality_id in user.municipality_ids()
        return user.has_role(Role.MUNICIPAL_ADMIN, self.municipality_id)


class Membership(models.Model):
    """A role a user holds in one municipality. A user may hold several, in several places."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("municipality"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["municipality__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality", "role"],
                name="membership_unique_role",
                violation_error_message=_("The user already holds this role in this municipality."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.municipality}"

    @classmethod
    def visibility_q(cls, user: User, action: str) -> Q | None:
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))

    def permits(self, user: User, action: str) -> bool:
        return user.has_role(Role.MUNICIPAL_ADMIN, self.municipality_id)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003 - mirrors QuerySet.update
        raise PermissionDenied("The audit log is append-only.")

    def delete(self):
        raise PermissionDenied("The audit log is append-only.")

    def visible_to(self, user: User, action: str = "view") -> AuditEntryQuerySet:
        if not getattr(user, "is_authenticated", False) or action != "view":
            return self.none()
        q = self.model.visibility_q(user, action)
        return self.filter(q) if q is not None else self.none()


class AuditEntry(models.Model):
    """One line of the append-only audit log: who did what to which record, when, and through
    which screen or endpoint. Reads of a person's record are logged as ``view``.

    The database refuses UPDATE and DELETE on this table (triggers in the migration); the model
    refuses them too, so nothing in the app can edit history."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # No database-level foreign keys: deleting a user or municipality must never delete history.
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("municipality"),
    )
    action = models.CharField(
        _("action"), max_length=20, choices=AuditAction.choices, db_index=True
    )
    object_type = models.CharField(_("record type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    via = models.CharField(
        _("through"), max_length=200, blank=True, help_text=_("Screen or endpoint")
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["municipality", "-at"], name="audit_municipality_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type} {self.object_id}"

    @classmethod
    def visibility_q(cls, user: User, action: str) -> Q | None:
        # Only municipal admins read the log, and nobody changes it.
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,)) if action == "view" else None

    def save(self, *args, **kwargs):  # noqa: ANN002, ANN003
        if self.pk is not None:
            raise PermissionDenied("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003
        raise PermissionDenied("The audit log is append-only.")
