"""Models of the shared mechanisms (outbox, scheduler)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
