"""Yearly implementation-quality self-assessments of a programme, on the checklist in
:mod:`kobling.quality.checklist`.

A programme has one *chain* of assessments per year: the original (``supersedes`` empty; at most
one per programme and year) and its corrections, each superseding the one before (at most one
correction per assessment). The *standing* assessment of the year is the latest submitted one in
the chain, or the original while it is still a draft. A submitted assessment is never changed:
a correction is a new assessment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.core.frozen import FrozenOnceFinal
from kobling.quality.checklist import CHECKLIST, CHECKLISTS, MAX_SCORE
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


def submitted_message() -> str:
    return str(
        _(
            "A submitted self-assessment cannot be changed. Make a correction instead; it "
            "replaces this one when it is submitted."
        )
    )


class SelfAssessment(FrozenOnceFinal, models.Model):
    """One yearly self-assessment of a programme's implementation quality (see the module
    docstring for drafts, submission and corrections)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="self_assessments",
        verbose_name=_("programme"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    checklist_version = models.CharField(
        _("checklist version"), max_length=20, default=CHECKLIST.version
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
        db_index=True,
    )
    note = models.TextField(_("note"), blank=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["programme_id", "-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"],
                condition=Q(supersedes__isnull=True),
                name="quality_one_assessment_per_programme_year",
                violation_error_message=_(
                    "This programme already has a self-assessment for that year. Open it, or "
                    "correct it if it has been submitted."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="quality_submitted_has_time",
                violation_error_message=_("A submitted self-assessment needs a time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} {self.year}"

    @property
    def is_submitted(self) -> bool:
        return self.status == AssessmentStatus.SUBMITTED

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT

    @property
    def checklist(self) -> Any:
        return CHECKLISTS[self.checklist_version]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.programme_id
            and self.municipality_id
            and self.programme.municipality_id != self.municipality_id
        ):
            errors["programme"] = _("The programme belongs to another municipality.")
        if self.year and self.year > timezone.localdate().year:
            errors["year"] = _("The year cannot be in the future.")
        if self.year and self.year < 2000:
            errors["year"] = _("Give a year from 2000 on.")
        if self.checklist_version not in CHECKLISTS:
            errors["checklist_version"] = _("Unknown checklist version.")
        if self.supersedes_id:
            old = self.supersedes
            if old.programme_id != self.programme_id or old.year != self.year:
                errors["supersedes"] = _(
                    "A correction is for the same programme and year as what it corrects."
                )
        if errors:
            raise ValidationError(errors)

    FINAL = AssessmentStatus.SUBMITTED  # submitted rows are frozen (FrozenOnceFinal)

    def locked_message(self) -> str:
        return submitted_message()

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        # Managers of the municipality only, for reading and writing alike.
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)


class AssessmentAnswer(models.Model):
    """The score (0–3) and comment for one checklist item of an assessment. The item is named by
    its code; the checklist version is the assessment's. An item without a row is unanswered."""

    assessment = models.ForeignKey(
        SelfAssessment,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("self-assessment"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    item_code = models.CharField(_("item"), max_length=60)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("self-assessment answer")
        verbose_name_plural = _("self-assessment answers")
        ordering = ["assessment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "item_code"],
                name="quality_one_answer_per_item",
                violation_error_message=_("The item is already answered."),
            ),
            models.CheckConstraint(
                condition=Q(score__lte=MAX_SCORE),
                name="quality_score_in_range",
                violation_error_message=_("The score is from 0 to 3."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.item_code}={self.score}"

    def _assessment_submitted(self) -> bool:
        return (
            SelfAssessment.objects.filter(
                pk=self.assessment_id, status=AssessmentStatus.SUBMITTED
            ).exists()
            if self.assessment_id
            else False
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._assessment_submitted():
            raise ValidationError(submitted_message())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._assessment_submitted():
            raise ValidationError(submitted_message())
        return super().delete(*args, **kwargs)

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user: Any, action: str) -> bool:
        return user.is_manager_of(self.municipality_id)


# The database's side of the freeze: a submitted assessment and its answers refuse UPDATE and
# DELETE by any path (installed by migration; kobling.lib.row_guards).
ROW_GUARDS = (
    SelfAssessment.row_guard(),
    SelfAssessment.part_row_guard(AssessmentAnswer, "assessment_id"),
)
