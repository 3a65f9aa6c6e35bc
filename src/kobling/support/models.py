"""Support around every helper (DOMAIN §2 HEFA, §3 item 7, §5): supervision groups with a
leader, a plan of meetings and attendance; individual supervision; and the hours each helper
received, as an append-only ledger that the allowance per programme and year draws on.

At the programme's set date each year the hours a helper did not use return to the pool of the
programme (one municipality's), which is shared out by use: the pool's own append-only ledger
says what went where. A correction is always a new line, never an edit — in Python and in the
database (row guards)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.confirmation_links import ConfirmationLinkBase
from kobling.lib.row_guards import RowGuard
from kobling.support.choices import EntryKind, MeetingStatus, PoolEntryKind, TrainingForm
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities

# Helpers sign in with these roles (training contacts; workplace coaches).
HELPER_ROLES = (Role.TRAINING_CONTACT, Role.WORKPLACE_COACH)
DEFAULT_ALLOWANCE_HOURS = Decimal("6")


def _is_helper(user: Any) -> bool:
    return bool(user.municipality_ids(*HELPER_ROLES))


def _managers_or(user: Any, *paths: str) -> Q | None:
    """The municipality's managers, and (for users signing in as helpers) the rows where the user
    is at one of ``paths``."""
    managers = in_municipalities(user, MANAGER_ROLES)
    if not _is_helper(user):
        return managers
    return any_of(managers, *(Q(**{path: user}) for path in paths))


class SupervisionSettings(models.Model):
    """A programme's supervision rules: each helper's allowance of hours a year (the HEFA
    source: 6), the day each year when unused hours return to the pool, and after how many weeks
    without supervision a helper shows as an alert. A programme without a row uses the
    defaults (:func:`settings_for`)."""

    programme = models.OneToOneField(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="supervision_settings",
        verbose_name=_("programme"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    allowance_hours = models.DecimalField(
        _("supervision hours per helper and year"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_ALLOWANCE_HOURS,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("200"))],
    )
    return_month = models.PositiveSmallIntegerField(
        _("unused hours return to the pool: month"),
        default=9,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    return_day = models.PositiveSmallIntegerField(
        _("unused hours return to the pool: day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("1–28, so the date exists every year."),
    )
    alert_weeks = models.PositiveSmallIntegerField(
        _("alert after weeks without supervision"),
        default=12,
        validators=[MaxValueValidator(104)],
        help_text=_("0: no alert."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supervision settings")
        verbose_name_plural = _("supervision settings")
        ordering = ["programme_id"]

    def __str__(self) -> str:
        return str(_("Supervision in %(programme)s") % {"programme": self.programme})

    def clean(self) -> None:
        if self.programme_id and self.municipality_id != self.programme.municipality_id:
            raise ValidationError(
                {"programme": _("The programme belongs to another municipality.")}
            )

    def return_date(self, year: int) -> dt.date:
        return dt.date(year, self.return_month, self.return_day)

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)


def settings_for(programme: Any) -> SupervisionSettings:
    """The programme's supervision settings, or the defaults (unsaved) when it has none."""
    try:
        return programme.supervision_settings
    except SupervisionSettings.DoesNotExist:
        return SupervisionSettings(programme=programme, municipality_id=programme.municipality_id)


class SupervisionGroup(models.Model):
    """A group of helpers who meet a supervisor for supervision and exchange of experience, on
    a plan of meetings. The leader is a coordinator or an experienced helper with a sign-in, or
    an outside supervisor named in words."""

    SCOPE_NEEDS_DISTINCT = True

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="supervision_groups",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="supervision_groups",
        verbose_name=_("programme"),
    )
    name = models.CharField(_("name"), max_length=120)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_supervision_groups",
        verbose_name=_("leader (with a sign-in)"),
    )
    leader_name = models.CharField(
        _("leader (outside supervisor)"),
        max_length=120,
        blank=True,
        help_text=_("When the supervisor has no sign-in, e.g. a psychologist from the DPS."),
    )
    members = models.ManyToManyField(
        "helpers.Helper",
        blank=True,
        related_name="supervision_groups",
        verbose_name=_("members"),
    )
    meeting_minutes = models.PositiveSmallIntegerField(
        _("minutes per meeting"),
        default=90,
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supervision group")
        verbose_name_plural = _("supervision groups")
        ordering = ["-is_active", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def leader_label(self) -> str:
        if self.leader_id:
            return self.leader.get_full_name() or self.leader.username
        return self.leader_name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.programme_id and self.municipality_id != self.programme.municipality_id:
            errors["programme"] = _("The programme belongs to another municipality.")
        if not self.leader_id and not self.leader_name.strip():
            errors["leader_name"] = _("Name the group's leader.")
        if self.leader_id and self.municipality_id:
            roles = (*MANAGER_ROLES, *HELPER_ROLES)
            if self.municipality_id not in self.leader.municipality_ids(*roles):
                errors["leader"] = _(
                    "The leader must be a coordinator or a helper in the group's municipality."
                )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        if action == "view":
            return _managers_or(user, "leader", "members__user")
        if action == "record":
            return _managers_or(user, "leader")
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        if user.is_manager_of(self.municipality_id):
            return True
        if action == "record":
            return self.leader_id == user.pk
        return action == "view" and (
            self.leader_id == user.pk or self.members.filter(user=user).exists()
        )


class SupervisionMeeting(models.Model):
    """A planned meeting of a supervision group; held (with attendance) or cancelled."""

    SCOPE_NEEDS_DISTINCT = True

    group = models.ForeignKey(
        SupervisionGroup,
        on_delete=models.CASCADE,
        related_name="meetings",
        verbose_name=_("group"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("time"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supervision meeting")
        verbose_name_plural = _("supervision meetings")
        ordering = ["date", "start_time", "pk"]

    def __str__(self) -> str:
        return f"{self.group} {self.date:%Y-%m-%d}"

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        if action == "view":
            return _managers_or(user, "group__leader", "group__members__user")
        if action == "record":
            return _managers_or(user, "group__leader")
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return self.group.permits(user, action)


class SupervisionEntry(models.Model):
    """One line of supervision a helper received: a group meeting attended or an individual
    session, in hours. Never changed or deleted: a correction is a new line of kind
    *correction* with the opposite hours, pointing at the line it reverses. A helper's hours in
    a year are the sum of their lines."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="supervision_entries",
        verbose_name=_("helper"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    meeting = models.ForeignKey(
        SupervisionMeeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("group meeting"),
    )
    supervisor = models.CharField(_("supervisor"), max_length=120, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
        verbose_name=_("corrects"),
    )
    at = models.DateTimeField(_("recorded"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supervision received")
        verbose_name_plural = _("supervision received")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=EntryKind.CORRECTION, hours__lt=0, corrects__isnull=False)
                | (~Q(kind=EntryKind.CORRECTION) & Q(hours__gt=0, corrects__isnull=True)),
                name="supervision_entry_sign_matches_kind",
                violation_error_message=_(
                    "Supervision is recorded in positive hours; only a correction is negative."
                ),
            ),
        ]
        indexes = [models.Index(fields=["helper", "date"], name="supervision_entry_helper_date")]

    def __str__(self) -> str:
        return f"{self.helper} {self.date:%Y-%m-%d} {self.hours} h"

    def clean(self) -> None:
        if self.helper_id and self.programme_id and self.helper.programme_id != self.programme_id:
            raise ValidationError({"helper": _("The helper is in another programme.")})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise ValidationError(_("Supervision received is never changed; add a correction."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("Supervision received is never deleted; add a correction."))

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        if action == "view":
            return _managers_or(user, "helper__user")
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id) or (
            action == "view" and self.helper.user_id == user.pk
        )


class PoolRun(models.Model):
    """The once-a-year return of unused hours to a programme's pool and its share-out (one per
    programme and year; the pool's lines point to it)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="supervision_pool_runs",
        verbose_name=_("programme"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    on = models.DateField(_("date"))
    returned_hours = models.DecimalField(_("hours returned"), max_digits=7, decimal_places=2)
    shared_hours = models.DecimalField(_("hours shared out"), max_digits=7, decimal_places=2)
    at = models.DateTimeField(_("run"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pool share-out")
        verbose_name_plural = _("pool share-outs")
        ordering = ["-year", "programme_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"],
                name="supervision_pool_once_a_year",
                violation_error_message=_("The pool has already been shared out this year."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.year}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)


class PoolEntry(models.Model):
    """A line of the pool's ledger: a helper's unused hours returned (negative for the helper)
    or hours shared out to a helper (positive). The allowance of a helper in a year is the
    programme's allowance plus their lines. Append-only."""

    run = models.ForeignKey(
        PoolRun, on_delete=models.PROTECT, related_name="entries", verbose_name=_("share-out")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="supervision_pool_entries",
        verbose_name=_("helper"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PoolEntryKind.choices)
    # For the helper's allowance: returned hours are negative, shared hours positive.
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pool line")
        verbose_name_plural = _("pool lines")
        ordering = ["run_id", "kind", "helper_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=PoolEntryKind.RETURNED, hours__lt=0)
                | Q(kind=PoolEntryKind.SHARED, hours__gt=0),
                name="supervision_pool_entry_sign",
                violation_error_message=_("Returned hours are negative, shared hours positive."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.helper} {self.kind} {self.hours}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise ValidationError(_("The pool's ledger is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("The pool's ledger is never changed."))

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)


ENTRY_GUARD = RowGuard(
    name="support_entry_append_only",
    table=SupervisionEntry._meta.db_table,
    message="supervision received is append-only: a correction is a new line",
)
POOL_GUARD = RowGuard(
    name="support_pool_append_only",
    table=PoolEntry._meta.db_table,
    message="the supervision pool ledger is append-only",
)


# --- Training evaluated: the trainees' own answers (Kirkpatrick levels 1 and 2) ---------------


class TrainingAnswer(models.Model):
    """A trainee's answer to one of a course run's forms (before or after the course), given
    once: the item scores (``{item: 1..5}``, items in :mod:`kobling.support.kirkpatrick`) and an
    optional comment. Never changed afterwards (row guard): the page counts what was answered."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    enrolment = models.ForeignKey(
        "courses.Enrolment",
        on_delete=models.PROTECT,
        related_name="training_answers",
        verbose_name=_("enrolment"),
    )
    form = models.CharField(_("form"), max_length=10, choices=TrainingForm.choices)
    scores = models.JSONField(_("scores"), default=dict)
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("training answer")
        verbose_name_plural = _("training answers")
        ordering = ["enrolment", "form"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "form"],
                name="training_answer_once",
                violation_error_message=_("This form has already been answered."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.form}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        # Single answers are read only as sums on the evaluation pages; the rows are the
        # managers' (and the admin's).
        return in_municipalities(user, MANAGER_ROLES)


class TrainingFormLink(ConfirmationLinkBase):
    """The e-mailed, signed single-use link to one form for one trainee (the shared part is
    :class:`kobling.core.confirmation_links.ConfirmationLinkBase`; subject
    ``training-form:<id>`` in the outbox)."""

    enrolment = models.ForeignKey(
        "courses.Enrolment",
        on_delete=models.PROTECT,
        related_name="training_form_links",
        verbose_name=_("enrolment"),
    )
    form = models.CharField(_("form"), max_length=10, choices=TrainingForm.choices)

    objects = ScopedManager()

    class Meta(ConfirmationLinkBase.Meta):
        verbose_name = _("training form link")
        verbose_name_plural = _("training form links")

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.form} {self.created_at:%Y-%m-%d}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)


ANSWER_GUARD = RowGuard(
    name="support_training_answer_once",
    table=TrainingAnswer._meta.db_table,
    message="a training answer is given once and never changed",
)
