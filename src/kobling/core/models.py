"""Models of the shared mechanisms: the outbox of e-mails, the signed single-use links and the
scheduler's periodic jobs.

The outbox and the links name what they are about with a *subject key* (``"checkin:12"``)
instead of a foreign key, so that core never imports a domain app; the domain rows keep their
own state (answered, lapsed, …) and ask the outbox for the rest."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.choices import LinkStatus, MessageStatus
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, in_municipalities


def subject_key(kind: str, pk: int) -> str:
    """The generic key of a domain row: ``subject_key("checkin", 12) == "checkin:12"``."""
    return f"{kind}:{pk}"


class AboutSubject:
    @property
    def subject_id(self) -> int:
        """The primary key in the subject key (``"checkin:12"`` → 12)."""
        return int(self.subject_key.rpartition(":")[2])  # type: ignore[attr-defined]


class OutboxMessage(AboutSubject, models.Model):
    """One e-mail to one address. A worker claims it (*sending*, with a lease until
    ``claimed_until``), hands it to the mail server and records the outcome; a failed send is
    retried with back-off. What happens when the worker dies in between is the purpose's
    delivery choice (:class:`kobling.core.outbox.Delivery`). No body is stored — only the subject line and the template — so no health detail lands
    here; the calling app renders the e-mail at the moment of sending."""

    purpose = models.CharField(_("purpose"), max_length=60, db_index=True)
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    recipient = models.EmailField(_("recipient"))
    subject_key = models.CharField(_("about"), max_length=80)
    # 0 for the first e-mail about a subject, n for its n-th reminder (or n-th notice).
    sequence = models.PositiveSmallIntegerField(_("number"), default=0)
    language = models.CharField(_("language"), max_length=10, default="nb")
    template = models.CharField(_("template"), max_length=200, blank=True)
    subject_line = models.CharField(_("subject line"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # While *sending*: the worker's lease. Past it, the worker is taken to have died.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Set when sent (``sent_at + remind_after``); cleared when the reminder is queued or the
    # subject is answered, so a reminder schedule stops on answer.
    remind_after = models.DurationField(_("remind after"), null=True, blank=True)
    reminder_due_at = models.DateTimeField(_("reminder due"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "subject_key", "sequence"],
                name="core_outbox_one_message_per_step",
                violation_error_message=_("This e-mail is already in the outbox."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due"),
            models.Index(fields=["purpose", "subject_key"], name="core_outbox_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.subject_key}#{self.sequence} → {self.recipient}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        """Coordinators and municipal admins see what was sent in their municipality, and only
        look (the outbox is written by the system). National e-mails belong to no municipality
        and are seen by the national analyst."""
        if action != "view":
            return None
        managers = in_municipalities(user, MANAGER_ROLES)
        national = Q(municipality__isnull=True) if getattr(user, "is_analyst", False) else None
        if managers is None:
            return national
        return managers if national is None else managers | national

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return (
            action == "view" and OutboxMessage.objects.visible_to(user).filter(pk=self.pk).exists()
        )


class SignedLink(AboutSubject, models.Model):
    """A single-use link that works without signing in, until it expires. The token is never
    stored: it is derived from the secret key when an e-mail needs it, and the row holds only
    its SHA-256 for the look-up. At most one live link per purpose and subject — issuing a new
    one cancels the old."""

    purpose = models.CharField(_("purpose"), max_length=60)
    subject_key = models.CharField(_("about"), max_length=80)
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # The hash of the token a link carried before the outbox existed (set only by the data
    # migrations), so e-mails already sent keep working.
    legacy_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LinkStatus.choices, default=LinkStatus.LIVE
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("signed link")
        verbose_name_plural = _("signed links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "subject_key"],
                condition=Q(status="live"),
                name="core_one_live_link_per_subject",
                violation_error_message=_("There is already a live link for this."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.subject_key} ({self.status})"


class JobOutcome(models.TextChoices):
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class ScheduledJob(models.Model):
    """The state of one periodic job of :mod:`kobling.core.scheduler` (the jobs themselves are
    registered in code): who holds it now (``locked_until``, a lease taken by a conditional
    UPDATE so that two workers never run it at once), when it may run next, and how its last
    run went. A row whose job is no longer registered is simply never claimed."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_outcome = models.CharField(
        _("last outcome"), max_length=10, choices=JobOutcome.choices, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessReview(models.Model):
    """The privacy officer's monthly review of a municipality's access log (Normen's
    "regelmessig gjennomgang av logger"): which month, who reviewed it and when, which flags they
    looked at and what they found. Written by :func:`kobling.core.access_review.
    access_review_record`; read by the municipality's admins."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reviewed"))
    reviewed_by = models.ForeignKey(
        "tenancy.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_on = models.DateField(_("reviewed on"), default=timezone.localdate)
    findings = models.TextField(_("findings"))
    # Codes of kobling.core.access_flags.FLAGS.
    flags_checked = models.JSONField(_("flags looked at"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("access-log review")
        verbose_name_plural = _("access-log reviews")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month"],
                name="access_review_one_per_month",
                violation_error_message=_("This month has already been reviewed."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="access_review_month_is_first_day",
                violation_error_message=_("The month is given by its first day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.month:%Y-%m}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        # The municipality's admins read and write them; nobody else sees them.
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))


class AccessReviewRules(models.Model):
    """A municipality's own thresholds for the access-log review's flags, set by its privacy
    officer (the municipal admin). Without a row the instance's settings apply
    (``KOBLING_REVIEW_*``; :func:`kobling.core.access_review.rules_for`)."""

    municipality = models.OneToOneField(
        "tenancy.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("municipality"),
    )
    burst_persons = models.PositiveIntegerField(
        _("many persons: how many"),
        validators=[MinValueValidator(2), MaxValueValidator(10_000)],
        help_text=_("Different persons one user touches within the window below."),
    )
    burst_minutes = models.PositiveIntegerField(
        _("many persons: within minutes"),
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    night_start = models.TimeField(_("night starts"))
    night_end = models.TimeField(_("night ends"))
    grace_days = models.PositiveIntegerField(
        _("days after the course ended"),
        validators=[MaxValueValidator(3650)],
        help_text=_("Reads of a person this long after their last course ended are flagged."),
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        "tenancy.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("access-review thresholds")
        verbose_name_plural = _("access-review thresholds")

    def __str__(self) -> str:
        return str(_("Access-review thresholds"))

    def clean(self) -> None:
        if self.night_start is not None and self.night_start == self.night_end:
            raise ValidationError(
                {"night_end": _("The night must end at another time than it starts.")}
            )

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))
