"""The Django side of matching: weights per municipality, runs with their proposals, and the
coordinator's locks and forbids. The engine itself is pure (kobling.matching.engine)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.matching.choices import PairRuleKind, ProposalStatus, RunStatus
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities

_WEIGHT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10"))]


class MatchingWeights(models.Model):
    """How much each factor counts, per municipality (defaults from engine.types.Weights)."""

    municipality = models.OneToOneField(
        "tenancy.Municipality",
        on_delete=models.CASCADE,
        related_name="matching_weights",
        verbose_name=_("municipality"),
    )
    activity = models.DecimalField(
        _("activities in common"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("3"),
        validators=_WEIGHT,
    )
    distance = models.DecimalField(
        _("short distance"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2"),
        validators=_WEIGHT,
    )
    availability = models.DecimalField(
        _("times that fit"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2"),
        validators=_WEIGHT,
    )
    target_group = models.DecimalField(
        _("target-group competence"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2"),
        validators=_WEIGHT,
    )
    preferences = models.DecimalField(
        _("the participant's wishes"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        validators=_WEIGHT,
    )
    language = models.DecimalField(
        _("shared language"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        validators=_WEIGHT,
    )
    min_score = models.DecimalField(
        _("lowest acceptable score"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Below this a participant is left unmatched rather than given a poor pair."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("matching weights")
        verbose_name_plural = _("matching weights")
        constraints = [
            models.CheckConstraint(
                condition=Q(activity__gt=0)
                | Q(distance__gt=0)
                | Q(availability__gt=0)
                | Q(target_group__gt=0)
                | Q(preferences__gt=0)
                | Q(language__gt=0),
                name="matching_weights_not_all_zero",
                violation_error_message=_("At least one weight must be above zero."),
            )
        ]

    def __str__(self) -> str:
        return str(self.municipality)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)


class MatchingRun(models.Model):
    """One run of the engine over chosen waiting participants and the eligible contacts, with the
    weights and rules used (kept, so a proposal can always be explained afterwards). A newer run
    for the same programme supersedes it; its proposals can then no longer be confirmed."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="matching_runs",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="matching_runs",
        verbose_name=_("programme"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.OPEN, db_index=True
    )
    weights = models.JSONField(_("weights used"), default=dict)
    min_score = models.DecimalField(
        _("lowest acceptable score"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    referrals = models.ManyToManyField(
        "referrals.Referral",
        related_name="matching_runs",
        verbose_name=_("participants considered"),
    )
    contact_count = models.PositiveIntegerField(_("contacts considered"), default=0)
    objective = models.FloatField(_("total score"), default=0)
    unmatched = models.JSONField(_("left unmatched"), default=list, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.programme} {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class Proposal(models.Model):
    """A proposed pair from a run, with its score and every factor's contribution."""

    run = models.ForeignKey(
        MatchingRun, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("run")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("referral"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("contact"),
    )
    score = models.FloatField(_("score"))
    factors = models.JSONField(_("factors"), default=list)
    locked = models.BooleanField(_("locked by the coordinator"), default=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
        db_index=True,
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["run", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "referral"], name="proposal_one_per_referral_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.referral.participant} + {self.helper} ({self.score:.1f})"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class PairRule(models.Model):
    """A coordinator's lock (always this pair) or forbid (never this pair), used by every run
    until removed."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        related_name="pair_rules",
        verbose_name=_("referral"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.CASCADE,
        related_name="pair_rules",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PairRuleKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pair rule")
        verbose_name_plural = _("pair rules")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "helper"],
                name="pair_rule_unique",
                violation_error_message=_("There is already a rule for this pair."),
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind="lock"),
                name="pair_rule_one_lock_per_referral",
                violation_error_message=_("This participant is already locked to a contact."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.referral_id} + {self.helper_id}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)
