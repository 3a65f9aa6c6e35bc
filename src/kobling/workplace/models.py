"""Workplace health coaching (HEFA, DOMAIN §2): the client is a workplace — a municipal
department or unit with its leader — never a person. People appear only in their roles: the
leader who asks, the IA adviser who links a coach, the trained coach (a helper of kind workplace
coach), the co-coach from occupational health. No national identity numbers, no health data.

An assignment is the forløp for an organisation: requested → coach linked → ordered (goals, what
success looks like, the target on the 1–10 scale, the planned number of meetings) → in progress
(meetings with the scale value, homework and short notes) → closed, with the leader's closing
evaluation. Notes are confidential to the assignment's coach and adviser; the leader sees the
rest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities
from kobling.workplace.choices import AssignmentStatus, Decision, Rating

# Who runs the programme in a municipality: its managers and the IA advisers.
STAFF_ROLES = (*MANAGER_ROLES, Role.IA_ADVISER)

SCALE = [
    MinValueValidator(1, message=_("The scale goes from 1 to 10.")),
    MaxValueValidator(10, message=_("The scale goes from 1 to 10.")),
]


def _is_coach(user: Any) -> bool:
    return bool(user.municipality_ids(Role.WORKPLACE_COACH))


def _coach_q(user: Any, path: str) -> Q | None:
    return Q(**{f"{path}__user": user}) if _is_coach(user) else None


def _leader_q(user: Any, path: str) -> Q | None:
    return Q(**{path: user}) if user.municipality_ids(Role.WORKPLACE_LEADER) else None


def _adviser_q(user: Any, path: str) -> Q | None:
    """The assignments (or their meetings) the user advises, while staff of its municipality."""
    staff = in_municipalities(user, STAFF_ROLES)
    return staff & Q(**{path: user}) if staff is not None else None


def is_staff(user: Any, municipality_id: int) -> bool:
    return municipality_id in user.municipality_ids(*STAFF_ROLES)


def scale_text(low: int | None, high: int | None) -> str:
    """A scale answer as the source writes it: "6" or "6–7"."""
    if low is None:
        return ""
    return f"{low}–{high}" if high and high != low else str(low)


def _check_range(low: int | None, high: int | None, field: str) -> None:
    if high is not None and (low is None or high < low):
        raise ValidationError({field: _("The upper value of a range cannot be below the lower.")})


class Workplace(models.Model):
    """An organisation unit of a municipality (a department, a nursing home, a school) with its
    leader, the client of coaching assignments."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="workplaces",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=160)
    sector = models.CharField(
        _("sector"), max_length=120, blank=True, help_text=_("E.g. health and care, schools.")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_workplaces",
        verbose_name=_("leader"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    SCOPE_NEEDS_DISTINCT = True

    class Meta:
        verbose_name = _("workplace")
        verbose_name_plural = _("workplaces")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="workplace_name_once",
                violation_error_message=_("The municipality already has a workplace by this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        staff = in_municipalities(user, STAFF_ROLES)
        if action != "view":
            return staff
        return any_of(staff, _leader_q(user, "leader"), _coach_q(user, "assignments__coach"))

    def permits(self, user: Any, action: str) -> bool:
        return is_staff(user, self.municipality_id)


class Assignment(models.Model):
    """A coaching assignment for a workplace (its forløp), from the leader's request to the
    closing evaluation."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    workplace = models.ForeignKey(
        Workplace,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("workplace"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.REQUESTED,
        db_index=True,
    )
    requested_on = models.DateField(_("requested on"))
    request = models.TextField(_("the leader's request"))
    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advised_assignments",
        verbose_name=_("IA adviser"),
    )
    coach = models.ForeignKey(
        "helpers.Helper",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coaching_assignments",
        verbose_name=_("coach"),
    )
    linked_on = models.DateField(_("coach linked on"), null=True, blank=True)
    co_coach = models.CharField(_("co-coach from occupational health"), max_length=160, blank=True)
    pre_meeting_on = models.DateField(_("pre-meeting"), null=True, blank=True)
    # The order (bestilling).
    goals = models.TextField(_("goals"), blank=True)
    success = models.TextField(_("what success looks like"), blank=True)
    target_low = models.PositiveSmallIntegerField(
        _("target on the scale"), null=True, blank=True, validators=SCALE
    )
    target_high = models.PositiveSmallIntegerField(
        _("target, upper value"), null=True, blank=True, validators=SCALE
    )
    planned_meetings = models.PositiveSmallIntegerField(
        _("planned meetings"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    ordered_on = models.DateField(_("ordered on"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The leader's closing evaluation.
    reaction = models.PositiveSmallIntegerField(
        _("reaction"), choices=Rating.choices, null=True, blank=True
    )
    usefulness = models.PositiveSmallIntegerField(
        _("usefulness"), choices=Rating.choices, null=True, blank=True
    )
    evaluation_comment = models.TextField(_("comment"), blank=True)
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("coaching assignment")
        verbose_name_plural = _("coaching assignments")
        ordering = ["-requested_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_high__isnull=True) | Q(target_high__gte=F("target_low")),
                name="assignment_target_range",
                violation_error_message=_("The upper value of a range cannot be below the lower."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.workplace} ({self.requested_on:%d.%m.%Y})"

    @property
    def target_text(self) -> str:
        return scale_text(self.target_low, self.target_high)

    def clean(self) -> None:
        _check_range(self.target_low, self.target_high, "target_high")
        if self.workplace_id and self.municipality_id != self.workplace.municipality_id:
            raise ValidationError(_("The workplace belongs to another municipality."))

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        staff = in_municipalities(user, STAFF_ROLES)
        coach = _coach_q(user, "coach")
        leader = _leader_q(user, "workplace__leader")
        return {
            "view": any_of(staff, coach, leader),
            "change": staff,
            "log": any_of(_adviser_q(user, "adviser"), coach),
            "evaluate": leader,
        }.get(action)

    def permits(self, user: Any, action: str) -> bool:
        """``log`` (the order, the meetings, the decision) is the coach's and the adviser's, who
        alone read the meeting notes: another manager would write notes they cannot read, or
        overwrite them unseen."""
        staff = is_staff(user, self.municipality_id)
        coach = bool(self.coach_id) and self.coach.user_id == user.pk
        leader = self.workplace.leader_id == user.pk
        return {
            "view": staff or coach or leader,
            "change": staff,
            "log": (staff and self.adviser_id == user.pk) or coach,
            "evaluate": leader,
        }.get(action, False)

    def may_read_notes(self, user: Any) -> bool:
        """Meeting notes are the assignment's coach's and adviser's alone."""
        return user.pk is not None and (
            user.pk == self.adviser_id or (bool(self.coach_id) and self.coach.user_id == user.pk)
        )


class CoachingMeeting(models.Model):
    """One meeting of an assignment: date, who took part (by role or name), short notes, the
    scale value asked (one value, or a range as "4–5") and the homework until the next."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("assignment")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("date"))
    participants = models.CharField(_("participants"), max_length=300)
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("Short; seen only by the coach and the IA adviser.")
    )
    scale_low = models.PositiveSmallIntegerField(_("scale value"), validators=SCALE)
    scale_high = models.PositiveSmallIntegerField(
        _("scale, upper value"), null=True, blank=True, validators=SCALE
    )
    homework = models.TextField(_("homework"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("coaching meeting")
        verbose_name_plural = _("coaching meetings")
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_high__isnull=True) | Q(scale_high__gte=F("scale_low")),
                name="coaching_meeting_scale_range",
                violation_error_message=_("The upper value of a range cannot be below the lower."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment.workplace} {self.held_on:%d.%m.%Y}"

    @property
    def scale_text(self) -> str:
        return scale_text(self.scale_low, self.scale_high)

    @property
    def scale_mid(self) -> float:
        return (self.scale_low + (self.scale_high or self.scale_low)) / 2

    def clean(self) -> None:
        _check_range(self.scale_low, self.scale_high, "scale_high")

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        staff = in_municipalities(user, STAFF_ROLES)
        coach = _coach_q(user, "assignment__coach")
        if action == "view":
            return any_of(staff, coach, _leader_q(user, "assignment__workplace__leader"))
        if action in ("change", "log"):
            return any_of(_adviser_q(user, "assignment__adviser"), coach)
        return None

    def permits(self, user: Any, action: str) -> bool:
        return self.assignment.permits(user, "log" if action == "change" else action)


class LeaderNetwork(models.Model):
    """A network of 5–10 workplace leaders who meet on a plan, with one or two coaches as
    facilitators."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=160)
    members = models.ManyToManyField(
        Workplace, related_name="networks", verbose_name=_("workplaces (their leaders)")
    )
    facilitators = models.ManyToManyField(
        "helpers.Helper", related_name="facilitated_networks", verbose_name=_("facilitators")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    SCOPE_NEEDS_DISTINCT = True

    class Meta:
        verbose_name = _("leader network")
        verbose_name_plural = _("leader networks")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        staff = in_municipalities(user, STAFF_ROLES)
        facilitator = _coach_q(user, "facilitators")
        if action == "view":
            return any_of(staff, facilitator, _leader_q(user, "members__leader"))
        return any_of(staff, facilitator) if action == "log" else staff

    def permits(self, user: Any, action: str) -> bool:
        staff = is_staff(user, self.municipality_id)
        if action == "log":  # as visibility_q: a facilitator while they hold the coach role
            return staff or (_is_coach(user) and self.facilitators.filter(user=user).exists())
        return staff


class NetworkMeeting(models.Model):
    """A meeting of a leader network: planned with its date and topic; when held, who came,
    the homework until the next meeting and the minutes."""

    network = models.ForeignKey(
        LeaderNetwork,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("leader network"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    held = models.BooleanField(_("held"), default=False)
    attended = models.ManyToManyField(
        Workplace, blank=True, related_name="network_meetings", verbose_name=_("came")
    )
    homework = models.TextField(_("homework"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()
    SCOPE_NEEDS_DISTINCT = True

    class Meta:
        verbose_name = _("network meeting")
        verbose_name_plural = _("network meetings")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.network} {self.date:%d.%m.%Y}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        staff = in_municipalities(user, STAFF_ROLES)
        facilitator = _coach_q(user, "network__facilitators")
        if action == "view":
            return any_of(staff, facilitator, _leader_q(user, "network__members__leader"))
        return any_of(staff, facilitator)

    def permits(self, user: Any, action: str) -> bool:
        return self.network.permits(user, "view" if action == "view" else "log")


IA_MEASURES = (
    "active_sick_leave",
    "graded_sick_leave",
    "vocational_rehabilitation",
    "grants_applied",
    "grants_approved",
    "grants_rejected",
)


class IAFigures(models.Model):
    """The sick-leave measures of a municipality in one quarter, as the labour and welfare
    service reports them (counts of persons or cases): active sick leave, graded sick leave,
    vocational rehabilitation, adaptation grants applied / approved / rejected."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    active_sick_leave = models.PositiveIntegerField(_("active sick leave"))
    graded_sick_leave = models.PositiveIntegerField(_("graded sick leave"))
    vocational_rehabilitation = models.PositiveIntegerField(_("vocational rehabilitation"))
    grants_applied = models.PositiveIntegerField(_("adaptation grants applied for"))
    grants_approved = models.PositiveIntegerField(_("adaptation grants approved"))
    grants_rejected = models.PositiveIntegerField(_("adaptation grants rejected"))
    source = models.CharField(_("source"), max_length=20, default="typed")
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("IA figures")
        verbose_name_plural = _("IA figures")
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "quarter"],
                name="ia_figures_once_a_quarter",
                violation_error_message=_("The municipality has figures for this quarter."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.year}-{self.quarter}"

    def clean(self) -> None:
        if (
            self.grants_approved is not None
            and self.grants_rejected is not None
            and self.grants_applied is not None
            and self.grants_approved + self.grants_rejected > self.grants_applied
        ):
            raise ValidationError(
                {"grants_applied": _("Approved and rejected cannot exceed those applied for.")}
            )

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, STAFF_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return is_staff(user, self.municipality_id)
