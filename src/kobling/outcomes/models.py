"""Goals set with the participant, reviews with scores on versioned instruments, which
instruments each programme uses, and the follow-up questionnaires 3, 6 and 12 months after a
pairing ended.

Who sees what (the same rule for goals, reviews and scores): the municipality's coordinators and
municipal admins, and the pair's own training contact, who may also record them. Referrers see
nothing here directly; the referrer report reads :mod:`kobling.outcomes.selectors` within the
participant's consent. Follow-up questionnaires are for coordinators and admins only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kobling.followup.choices import HandoverDestination
from kobling.followup.models import OnTheCourse, course_field
from kobling.outcomes.choices import (
    FOLLOW_UP_MONTHS,
    MAX_WEEKLY_MINUTES,
    FollowUpStatus,
    GoalStatus,
    InstrumentKind,
    ReviewKind,
)
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, ScopedQuerySet, any_of, in_municipalities


def outcome_scope_q(user: Any, pairing_field: str = "pairing") -> Q | None:
    """Rows about pairings the user may follow and record outcomes for: in municipalities where
    they coordinate or administer, and their own pairs where they are a training contact."""
    managers = in_municipalities(user, MANAGER_ROLES)
    contact_in = user.municipality_ids(Role.TRAINING_CONTACT)
    prefix = f"{pairing_field}__" if pairing_field else ""
    own = (
        Q(**{f"{prefix}helper__user": user, "municipality__in": sorted(contact_in)})
        if contact_in
        else None
    )
    return any_of(managers, own)


def may_record_outcomes(user: Any, pairing: Any, municipality_id: int | None = None) -> bool:
    """The municipality's managers and the pair's own training contact. A course row that no
    pairing delivers (``pairing`` None, ``municipality_id`` given) is for managers only."""
    if user.is_manager_of(pairing.municipality_id if pairing else municipality_id):
        return True
    return (
        pairing is not None
        and user.has_role(Role.TRAINING_CONTACT, pairing.municipality_id)
        and pairing.helper.user_id is not None
        and pairing.helper.user_id == user.pk
    )


# --- instruments --------------------------------------------------------------------------------


class Instrument(models.Model):
    """One measure a review can record (weekly minutes, self-rated health, a functional test …),
    with its allowed range. Reference data shared by all municipalities, seeded from
    :mod:`kobling.outcomes.reference`; the ``version`` is stored on every score taken with it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    version = models.CharField(_("version"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=InstrumentKind.choices)
    name_nb = models.CharField(_("name (bokmål)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    min_value = models.DecimalField(_("lowest value"), max_digits=8, decimal_places=2)
    max_value = models.DecimalField(_("highest value"), max_digits=8, decimal_places=2)
    decimals = models.PositiveSmallIntegerField(
        _("decimals"), default=0, validators=[MaxValueValidator(2)]
    )
    is_core = models.BooleanField(
        _("used by default"),
        default=True,
        help_text=_("Programmes that have not chosen their instruments use the core ones."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    help_nb = models.TextField(_("how to ask (bokmål)"), blank=True)
    help_en = models.TextField(_("how to ask (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__lt=models.F("max_value")),
                name="instrument_min_below_max",
                violation_error_message=_("The lowest value must be below the highest."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") else self.name_nb

    @property
    def help(self) -> str:
        return self.help_en if (get_language() or "nb").startswith("en") else self.help_nb

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        """Not about anyone: everyone who works in a municipality (and the analyst) may read the
        instruments. They change only through the seed."""
        if action != "view":
            return None
        return Q() if (user.municipality_ids() or user.is_analyst) else None

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" and bool(user.municipality_ids() or user.is_analyst)


class InstrumentItem(models.Model):
    """A labelled point on an instrument's scale (1 = very poor … 5 = very good)."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="items", verbose_name=_("instrument")
    )
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    label_nb = models.CharField(_("label (bokmål)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("scale point")
        verbose_name_plural = _("scale points")
        ordering = ["instrument", "position", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "value"], name="instrument_item_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value:g} {self.label}"

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "nb").startswith("en") else self.label_nb


class ProgrammeInstruments(models.Model):
    """Which instruments a programme's reviews use. A programme without this record uses the
    core instruments (``Instrument.is_core``)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.OneToOneField(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="outcome_instruments",
        verbose_name=_("programme"),
    )
    instruments = models.ManyToManyField(
        Instrument, related_name="+", blank=True, verbose_name=_("instruments")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("programme instruments")
        verbose_name_plural = _("programme instruments")

    def __str__(self) -> str:
        return str(self.programme)

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        if action == "view":
            ids = user.municipality_ids()
            return Q(municipality__in=sorted(ids)) if ids else None
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))

    def permits(self, user: Any, action: str) -> bool:
        if action == "view":
            return self.municipality_id in user.municipality_ids()
        return user.has_role(Role.MUNICIPAL_ADMIN, self.municipality_id)


# --- goals --------------------------------------------------------------------------------------


class Goal(OnTheCourse):
    """A goal the participant chose, in their own words, with an optional target date. The
    contact writes it down *with* the participant: the participant decides the goal and the way
    there (autonomy, self-determination theory)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    episode = course_field("goals")
    pairing = models.ForeignKey(
        "followup.Pairing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("pairing"),
    )
    text = models.TextField(
        _("goal"),
        max_length=500,
        help_text=_(
            "In the participant's own words. The participant chooses the goal and the way there; "
            "write it down together."
        ),
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written down by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["pairing", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="goal_text_not_empty",
                violation_error_message=_("Write the goal in the participant's own words."),
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return outcome_scope_q(user)

    def permits(self, user: Any, action: str) -> bool:
        return may_record_outcomes(user, self.pairing, self.municipality_id)


# --- reviews ------------------------------------------------------------------------------------


class ReviewQuerySet(ScopedQuerySet):
    def current(self) -> ReviewQuerySet:
        """Reviews that stand: not replaced by a correction, and not a withdrawal."""
        return self.filter(superseded_by__isnull=True, is_void=False)


class Review(OnTheCourse):
    """A review of progress: at the start, every N weeks (per programme) and at the end. Never
    edited: a correction is a new review that ``supersedes`` the old one (``is_void`` withdraws a
    review recorded by mistake), as with sessions."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    episode = course_field("reviews")
    pairing = models.ForeignKey(
        "followup.Pairing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("pairing"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReviewKind.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    is_void = models.BooleanField(
        _("withdrawn"),
        default=False,
        help_text=_("A correction that withdraws a review recorded by mistake."),
    )
    correction_reason = models.CharField(_("reason for correction"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-date", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["pairing", "date"], name="review_pairing_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d.%m.%Y}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return outcome_scope_q(user)

    def permits(self, user: Any, action: str) -> bool:
        return may_record_outcomes(user, self.pairing, self.municipality_id)


class ReviewScore(models.Model):
    """One value in a review, with the instrument's code, version and unit as they were when the
    score was taken. Goal attainment has one score per goal."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="scores", verbose_name=_("review")
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="+", verbose_name=_("instrument")
    )
    instrument_code = models.CharField(_("instrument code"), max_length=40)
    instrument_version = models.CharField(_("instrument version"), max_length=20)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    goal = models.ForeignKey(
        Goal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("goal"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["review", "instrument__position", "goal_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "instrument_code"],
                condition=Q(goal__isnull=True),
                name="review_score_one_per_instrument",
                violation_error_message=_("Each instrument is scored once per review."),
            ),
            models.UniqueConstraint(
                fields=["review", "goal"],
                condition=Q(goal__isnull=False),
                name="review_score_one_per_goal",
                violation_error_message=_("Each goal is scored once per review."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} v{self.instrument_version}: {self.value}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return outcome_scope_q(user, "review__pairing")

    def permits(self, user: Any, action: str) -> bool:
        return may_record_outcomes(user, self.review.pairing, self.municipality_id)


# --- follow-up after the end --------------------------------------------------------------------


class FollowUp(OnTheCourse):
    """A short questionnaire e-mailed to the participant (a minor's guardian) 3, 6 and 12 months
    after their pairing ended: still active, minutes a week, where. Its e-mails and its signed
    single-use link live in the outbox (subject ``followup:<id>``); ``sent_at`` and
    ``reminder_sent_at`` say when they went out (see :mod:`kobling.outcomes.followups`)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    episode = course_field("follow_ups")
    pairing = models.ForeignKey(
        "followup.Pairing",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("pairing"),
    )
    months = models.PositiveSmallIntegerField(
        _("months after the end"), choices=[(m, str(m)) for m in FOLLOW_UP_MONTHS]
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.SCHEDULED,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    recipient = models.CharField(
        _("sent to"),
        max_length=20,
        blank=True,
        choices=[("participant", _("The participant")), ("guardian", _("The guardian"))],
    )
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    still_active = models.BooleanField(_("still active"), null=True, blank=True)
    minutes_per_week = models.PositiveSmallIntegerField(
        _("minutes per week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_WEEKLY_MINUTES)],
    )
    where = models.CharField(
        _("where"), max_length=30, choices=HandoverDestination.choices, blank=True
    )
    where_other = models.CharField(_("where (other)"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("follow-up questionnaire")
        verbose_name_plural = _("follow-up questionnaires")
        ordering = ["due_on", "pairing_id", "months"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "months"],
                name="followup_one_per_pairing_and_month",
                violation_error_message=_("This follow-up already exists."),
            ),
            models.UniqueConstraint(
                fields=["episode", "months"],
                condition=Q(pairing__isnull=True),
                name="followup_one_per_course_and_month",
                violation_error_message=_("This follow-up already exists."),
            ),
            models.CheckConstraint(
                condition=Q(months__in=FOLLOW_UP_MONTHS),
                name="followup_months_3_6_12",
                violation_error_message=_("Follow-ups are at 3, 6 and 12 months."),
            ),
            models.CheckConstraint(
                condition=Q(minutes_per_week__isnull=True)
                | Q(minutes_per_week__lte=MAX_WEEKLY_MINUTES),
                name="followup_minutes_at_most_3000",
                violation_error_message=_("Minutes per week must be between 0 and 3000."),
            ),
        ]
        indexes = [models.Index(fields=["municipality", "months", "status"], name="followup_stats")]

    def __str__(self) -> str:
        return f"{self.pairing_id} +{self.months} {self.status}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        # Only coordinators and admins; answers change only through the participant's link.
        return in_municipalities(user, MANAGER_ROLES) if action == "view" else None

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" and user.is_manager_of(self.municipality_id)
