"""Grants to voluntary and user organisations (issue 17; DOMAIN §2, §7): schemes with weighted
criteria, rounds, applications from organisations (partners) with budget lines and
attachments, assessment (scores, conflict-of-interest declarations), decisions (append-only:
a correction is a new decision that supersedes), and the report on what the money did.

Everything carries its municipality. Staff access is the municipality's managers (municipal
admin, coordinator — the case officers); an organisation reaches its own applications only
through the e-mailed sign-in link of its contact person (:mod:`kobling.grants.signin`), never
through these models' ``visible_to``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.uploads import private_files
from kobling.grants.choices import (
    REPORT_DUE_SOON_DAYS,
    SCORE_MAX,
    SCORE_MIN,
    ApplicationStatus,
    DecisionOutcome,
    GrantStatus,
    ReportStatus,
    RoundKind,
    RoundState,
)
from kobling.lib.row_guards import RowGuard
from kobling.partners.choices import PreventionLevel
from kobling.partners.models import validate_orgnr
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities

MONEY = {"max_digits": 12, "decimal_places": 0}


class _ManagersOnly:
    """Scope: the municipality's managers (the case officers) see and change it."""

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)  # type: ignore[attr-defined]


class GrantScheme(_ManagersOnly, models.Model):
    """A grant scheme of the municipality: what it is for, who may apply, the criteria
    applications are scored against, its yearly budget, and above which amount a written grant
    agreement is required."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="grant_schemes"
    )
    name = models.CharField(_("name"), max_length=160)
    purpose = models.TextField(_("purpose"))
    eligibility = models.TextField(_("who may apply"))
    budget = models.DecimalField(_("budget (NOK)"), validators=[MinValueValidator(0)], **MONEY)
    round_kind = models.CharField(_("rounds"), max_length=10, choices=RoundKind.choices)
    agreement_threshold = models.DecimalField(
        _("written agreement from (NOK)"),
        validators=[MinValueValidator(0)],
        help_text=_("A grant above this amount requires a written grant agreement."),
        **MONEY,
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("grant scheme")
        verbose_name_plural = _("grant schemes")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "municipality",
                "name",
                name="grant_scheme_unique_name",
                violation_error_message=_("The municipality already has a scheme by this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("web:grant_scheme_detail", args=[self.pk])


class Criterion(_ManagersOnly, models.Model):
    """One criterion of a scheme, with its weight in the weighted score."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.ForeignKey(GrantScheme, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class GrantRound(_ManagersOnly, models.Model):
    """A round of a scheme: applications are taken from ``opens_on`` until the ``deadline``
    (a rolling scheme's round may have none: open until it is closed)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.ForeignKey(GrantScheme, on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField(_("name"), max_length=120)
    opens_on = models.DateField(_("opens"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget for the round (NOK)"), validators=[MinValueValidator(0)], **MONEY
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("grant round")
        verbose_name_plural = _("grant rounds")
        ordering = ["-opens_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.scheme.name} — {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("web:grant_round_detail", args=[self.pk])

    def clean(self) -> None:
        if self.deadline is None and self.scheme_id and self.scheme.round_kind == RoundKind.YEARLY:
            raise ValidationError({"deadline": _("A yearly round needs a deadline.")})
        if (
            self.deadline
            and self.opens_on
            and timezone.localtime(self.deadline).date() < self.opens_on
        ):
            raise ValidationError({"deadline": _("The deadline cannot be before the round opens.")})

    def state_at(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if timezone.localtime(now).date() < self.opens_on:
            return RoundState.UPCOMING
        if self.deadline is not None and now > self.deadline:
            return RoundState.CLOSED
        return RoundState.OPEN

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return str(RoundState(self.state).label)


class OrganisationContact(models.Model):
    """The person who applies for an organisation and signs in by an e-mailed link (no password
    account). The organisation number is checked when the contact asks for a link; the partner
    is linked (or registered) when the link is first used, so an address nobody reads never
    creates a partner."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_contacts",
    )
    organisation_number = models.CharField(
        _("organisation number"), max_length=9, validators=[validate_orgnr]
    )
    organisation_name = models.CharField(_("organisation"), max_length=160)
    name = models.CharField(_("contact person"), max_length=160)
    email = models.EmailField(_("e-mail"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("organisation contact")
        verbose_name_plural = _("organisation contacts")
        constraints = [
            models.UniqueConstraint(
                "municipality", "organisation_number", "email", name="grant_contact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation_name})"


class Application(_ManagersOnly, models.Model):
    """An organisation's application in a round: what the money is for, the budget lines, the
    target groups and prevention level, how many are expected to take part. A draft is the
    organisation's until it is submitted; after the deadline nothing is submitted."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    round = models.ForeignKey(GrantRound, on_delete=models.PROTECT, related_name="applications")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="grant_applications"
    )
    contact = models.ForeignKey(
        OrganisationContact, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    title = models.CharField(_("title"), max_length=160)
    purpose = models.TextField(_("what the money is for"), blank=True)
    target_groups = models.TextField(_("target groups"), blank=True)
    prevention_level = models.CharField(
        _("prevention level"), max_length=20, choices=PreventionLevel.choices, blank=True
    )
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # After the decision (granted ones):
    report_due_on = models.DateField(_("report due"), null=True, blank=True)
    paid_on = models.DateField(_("paid"), null=True, blank=True)
    reclaimed_on = models.DateField(_("reclaimed"), null=True, blank=True)
    reclaim_reason = models.TextField(_("why it was reclaimed"), blank=True)
    agreement = models.ForeignKey(
        "partners.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grant_applications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("grant application")
        verbose_name_plural = _("grant applications")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.partner})"

    def get_absolute_url(self) -> str:
        return reverse("web:grant_application_detail", args=[self.pk])

    @property
    def amount_requested(self) -> Decimal:
        return sum((line.amount for line in self.budget_lines.all()), Decimal(0))


class BudgetLine(models.Model):
    """One line of an application's budget; the report accounts against it."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    description = models.CharField(_("budget line"), max_length=200)
    amount = models.DecimalField(_("amount (NOK)"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


def get_attachment_storage() -> Any:
    """The attachment field's storage (migrations name this callable): the private file store."""
    return private_files


def attachment_upload_to(instance: Any, filename: str) -> str:
    """A random name in a folder per municipality; the original name is kept only for display."""
    from kobling.core.uploads import EXTENSIONS

    extension = EXTENSIONS.get(instance.content_type, "bin")
    return f"grant-attachments/{instance.municipality_id}/{uuid.uuid4().hex}.{extension}"


class Attachment(_ManagersOnly, models.Model):
    """A file attached to an application (typed by its bytes, size-limited), kept without a
    public URL and served only through the scoped views."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(
        upload_to=attachment_upload_to, storage=get_attachment_storage, max_length=200
    )
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ConflictDeclaration(_ManagersOnly, models.Model):
    """An officer's declared conflict of interest in one application: they cannot score it."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    officer = models.ForeignKey("tenancy.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint("application", "officer", name="grant_conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.officer} — {self.application_id}"


class Score(_ManagersOnly, models.Model):
    """An officer's score of one application against one criterion, with a comment."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    officer = models.ForeignKey("tenancy.User", on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "application", "criterion", "officer", name="grant_score_once_per_officer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.value}"


class GrantDecision(_ManagersOnly, models.Model):
    """The decision on an application: outcome, amount, conditions and the reasons the letter
    gives. Append-only (model and database): a correction is a new decision that supersedes."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=10, choices=DecisionOutcome.choices)
    amount = models.DecimalField(
        _("amount granted (NOK)"), default=0, validators=[MinValueValidator(0)], **MONEY
    )
    conditions = models.TextField(_("conditions"), blank=True)
    reasons = models.TextField(_("reasons"))
    report_due_on = models.DateField(_("report due"), null=True, blank=True)
    decided_by = models.ForeignKey("tenancy.User", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    objects = ScopedManager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome=DecisionOutcome.REFUSED, amount=0)
                | Q(outcome=DecisionOutcome.GRANTED, amount__gt=0),
                name="grant_decision_amount_matches_outcome",
                violation_error_message=_("A grant has an amount; a refusal has none."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} — {self.application}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise ValidationError(_("A decision cannot be changed; record a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("A decision cannot be deleted; record a correction instead."))

    @property
    def granted(self) -> bool:
        return self.outcome == DecisionOutcome.GRANTED


DECISION_GUARD = RowGuard(
    name="grants_decision_append_only",
    table=GrantDecision._meta.db_table,
    message="grant decisions are append-only: a correction is a new decision",
)


class GrantReport(_ManagersOnly, models.Model):
    """The organisation's report on a grant: activities held, participants (a count, never
    names), the accounts against the budget lines and deviations. Officers approve it or ask
    follow-up questions; an approved report is final."""

    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="report")
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    activities = models.TextField(_("activities held"), blank=True)
    participants = models.PositiveIntegerField(_("participants (number)"), null=True, blank=True)
    deviations = models.TextField(_("deviations from the application"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    questions = models.TextField(_("follow-up questions"), blank=True)
    reviewed_by = models.ForeignKey(
        "tenancy.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("grant report")
        verbose_name_plural = _("grant reports")

    def __str__(self) -> str:
        return f"{self.application}"


class ReportLine(models.Model):
    """What was spent on one budget line."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="lines")
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    spent = models.DecimalField(_("spent (NOK)"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        ordering = ["budget_line_id"]
        constraints = [
            models.UniqueConstraint("report", "budget_line", name="grant_report_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.budget_line_id}: {self.spent}"


def current_decision(decisions: list[GrantDecision]) -> GrantDecision | None:
    """The decision in force: the latest one that no other supersedes."""
    superseded = {d.supersedes_id for d in decisions if d.supersedes_id}
    live = [d for d in decisions if d.pk not in superseded]
    return max(live, key=lambda d: (d.decided_at, d.pk)) if live else None


def grant_status(
    *,
    application: Application,
    decision: GrantDecision | None,
    report: GrantReport | None,
    today: dt.date,
) -> str | None:
    """The status of a grant on ``today`` (None when it is not a grant): reclaimed; report
    approved; report submitted (awaiting the officers); report late (past its due date);
    report due (within :data:`REPORT_DUE_SOON_DAYS`); paid; granted."""
    if decision is None or not decision.granted:
        return None
    if application.reclaimed_on:
        return GrantStatus.RECLAIMED
    report_status = report.status if report else None
    if report_status == ReportStatus.APPROVED:
        return GrantStatus.REPORT_APPROVED
    if report_status == ReportStatus.SUBMITTED:
        return GrantStatus.REPORT_SUBMITTED
    due = application.report_due_on
    if due and due < today:
        return GrantStatus.REPORT_LATE
    if due and due <= today + dt.timedelta(days=REPORT_DUE_SOON_DAYS):
        return GrantStatus.REPORT_DUE
    if application.paid_on:
        return GrantStatus.PAID
    return GrantStatus.GRANTED
