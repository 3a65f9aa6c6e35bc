"""The national overview: the unit register (versioned by validity dates), the scheme status
per unit and programme kind, and the mapping surveys (templates, campaigns, one recipient per
unit, phone calls). National data holds no persons' records — only units, their contact
person and what the units answered — and only the national analyst sees it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.national.choices import (
    AskWhen,
    Audience,
    CallOutcome,
    EndReason,
    HealthRegion,
    QuestionKind,
    QuestionRole,
    RecipientStatus,
    SchemeState,
    StatusSource,
    UnitKind,
)
from kobling.tenancy.choices import ProgrammeKind
from kobling.tenancy.scoping import AnalystOnly, ScopedManager


class Unit(AnalystOnly, models.Model):
    """One version of a unit (municipality, Oslo city district, county sports council or
    county): its code and name as valid from ``valid_from`` until ``valid_to`` (exclusive; open
    when empty). A reform that changes a code or a name ends one version and starts another."""

    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    code = models.CharField(_("code"), max_length=12)
    name = models.CharField(_("name"), max_length=120)
    county_code = models.CharField(_("county"), max_length=4, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    health_region = models.CharField(
        _("health region"),
        max_length=4,
        choices=HealthRegion.choices,
        blank=True,
        help_text=_("For health trusts, hospitals and rehabilitation institutions."),
    )
    email = models.EmailField(
        _("post address (e-mail)"),
        blank=True,
        help_text=_("The unit's official e-mail address; used when no contact person is named."),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code", "valid_from"],
                name="national_unit_unique_version",
                violation_error_message=_("This unit already has a version from that date."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="national_unit_valid_to_after_from",
                violation_error_message=_("A unit must end after it starts."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "valid_from"], name="national_unit_kind_from")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def valid_on_q(day: dt.date, prefix: str = "") -> Q:
    """Q for unit versions valid on ``day``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


class UnitContact(AnalystOnly, models.Model):
    """The named contact person for the mapping at one unit (the coordinator, the course
    leader …). Surveys go to them; without one, to the unit's post address. ``opted_out_at``:
    the unit asked not to get mapping surveys by e-mail again."""

    unit = models.OneToOneField(
        Unit, on_delete=models.CASCADE, related_name="contact", verbose_name=_("unit")
    )
    name = models.CharField(_("contact person"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("unit contact")
        verbose_name_plural = _("unit contacts")

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.unit})"


class SchemeStatus(AnalystOnly, models.Model):
    """What is known, as of a date, about whether a unit runs a programme kind. Rows are never
    edited: a newer observation is a new row, so the history of the mapping stays. (Units that
    use Kobling are not stored here; their status is read from their own data.)"""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="statuses", verbose_name=_("unit")
    )
    programme_kind = models.CharField(
        _("programme kind"),
        max_length=40,
        choices=ProgrammeKind.choices,
        default=ProgrammeKind.TRENINGSKONTAKT,
    )
    state = models.CharField(_("status"), max_length=10, choices=SchemeState.choices)
    started_year = models.PositiveSmallIntegerField(_("year started"), null=True, blank=True)
    ended_year = models.PositiveSmallIntegerField(_("year ended"), null=True, blank=True)
    ended_reason = models.CharField(
        _("why it ended"), max_length=20, choices=EndReason.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=10, choices=StatusSource.choices)
    as_of = models.DateField(_("as of"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recipient = models.ForeignKey(
        "SurveyRecipient",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statuses",
        verbose_name=_("survey answer"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("scheme status")
        verbose_name_plural = _("scheme statuses")
        ordering = ["unit", "programme_kind", "-as_of", "-pk"]
        indexes = [models.Index(fields=["programme_kind", "as_of"], name="national_status_kind")]

    def __str__(self) -> str:
        return f"{self.unit}: {self.get_state_display()} ({self.as_of})"

    def clean(self) -> None:
        problems: dict[str, str] = {}
        if self.state != SchemeState.ENDED and (self.ended_year or self.ended_reason):
            problems["ended_year"] = str(_("Only an ended scheme has an end year and reason."))
        if self.ended_year and self.started_year and self.ended_year < self.started_year:
            problems["ended_year"] = str(_("The scheme cannot end before it started."))
        this_year = timezone.localdate().year
        for field in ("started_year", "ended_year"):
            year = getattr(self, field)
            if year is not None and not 1990 <= year <= this_year:
                problems[field] = str(_("Give a year from 1990 to this year."))
        if problems:
            raise ValidationError(problems)


class SurveyTemplate(AnalystOnly, models.Model):
    """A question set (the short or the extended 2016 survey, or the analyst's own)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.MUNICIPALITY
    )
    introduction = models.TextField(_("introduction"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SurveyQuestion(AnalystOnly, models.Model):
    """One question of a template. ``choices`` is a list of ``[value, label]`` pairs for
    single-choice questions. ``ask_when`` ties the question to the gate's answer, which is how
    a unit whose scheme ended (or never ran) exits early."""

    template = models.ForeignKey(
        SurveyTemplate,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("template"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    text = models.CharField(_("question"), max_length=400)
    category = models.CharField(_("category"), max_length=60, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    role = models.CharField(
        _("role"), max_length=20, choices=QuestionRole.choices, blank=True, default=""
    )
    ask_when = models.CharField(
        _("asked"), max_length=10, choices=AskWhen.choices, default=AskWhen.RUNNING
    )
    counts_persons = models.BooleanField(
        _("counts persons"),
        default=False,
        help_text=_("A number of persons: shown as <5 when below five outside the answer."),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["template", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"],
                name="national_question_unique_code",
                violation_error_message=_("The template already has a question with that code."),
            )
        ]

    def __str__(self) -> str:
        return self.text

    def asked_for(self, gate: str) -> bool:
        """Whether the question is asked when the gate was answered ``gate``."""
        from kobling.national.choices import GATE_ENDED, GATE_RUNNING

        if self.ask_when == AskWhen.ALWAYS:
            return True
        if self.ask_when == AskWhen.RUNNING:
            return gate == GATE_RUNNING
        if self.ask_when == AskWhen.ENDED:
            return gate == GATE_ENDED
        return gate in (GATE_RUNNING, GATE_ENDED)

    def choice_label(self, value: Any) -> str:
        for pair in self.choices or []:
            if pair[0] == value:
                return str(pair[1])
        return "" if value is None else str(value)


class SurveyCampaign(AnalystOnly, models.Model):
    """One sending of a template to a set of units, with its reminder plan."""

    template = models.ForeignKey(
        SurveyTemplate,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("template"),
    )
    name = models.CharField(_("name"), max_length=120)
    programme_kind = models.CharField(
        _("programme kind"),
        max_length=40,
        choices=ProgrammeKind.choices,
        default=ProgrammeKind.TRENINGSKONTAKT,
    )
    reminder_count = models.PositiveSmallIntegerField(
        _("reminders"), default=2, validators=[MaxValueValidator(5)]
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days after the e-mail (and after each reminder) before the next reminder."),
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("link valid (days)"), default=90, validators=[MinValueValidator(7)]
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class SurveyRecipient(AnalystOnly, models.Model):
    """One unit in a campaign: where the survey went, what happened, and the answers (a dict of
    question code → value). Its e-mails and signed single-use link live in the outbox (subject
    ``survey:<id>``); this row keeps what happened."""

    campaign = models.ForeignKey(
        SurveyCampaign,
        on_delete=models.CASCADE,
        related_name="recipients",
        verbose_name=_("campaign"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="survey_recipients", verbose_name=_("unit")
    )
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RecipientStatus.choices,
        default=RecipientStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("survey recipient")
        verbose_name_plural = _("survey recipients")
        ordering = ["campaign", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"],
                name="national_recipient_once_per_campaign",
                violation_error_message=_("The unit is already in this campaign."),
            )
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="national_recipient_due")]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.unit}"


class PhoneCall(AnalystOnly, models.Model):
    """A call to a unit about the mapping: when, who called, how it went."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="calls", verbose_name=_("unit")
    )
    campaign = models.ForeignKey(
        SurveyCampaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("campaign"),
    )
    called_on = models.DateField(_("date"))
    caller = models.CharField(_("who called"), max_length=120)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")
        ordering = ["-called_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.called_on}: {self.get_outcome_display()}"
