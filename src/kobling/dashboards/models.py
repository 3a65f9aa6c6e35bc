"""Aggregates the evaluation dashboards read from. The dashboards never query the base tables:
the worker's tick (and ``kobling dashboards refresh``) recomputes these rows per municipality in a
few set-based aggregations, and the pages, CSV exports, the yearly PDF and the API all read them.

A fact is one number: ``metric`` for ``programme`` in a ``period`` of a ``grain`` (a month, a
calendar year, or a snapshot "now"), optionally broken down by a ``dimension`` (gender, age band,
referral source, target group, instrument, …) with its ``key``. Counts here are *not* suppressed;
everything that shows them goes through :mod:`kobling.dashboards.suppression`."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities


class Grain(models.TextChoices):
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    NOW = "now", _("Now")


class DashboardFact(models.Model):
    """One aggregate number for the dashboards (see the module docstring)."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("programme"),
    )
    grain = models.CharField(_("grain"), max_length=5, choices=Grain.choices)
    period = models.DateField(_("period"))
    metric = models.CharField(_("metric"), max_length=40)
    dimension = models.CharField(_("dimension"), max_length=20, blank=True)
    key = models.CharField(_("key"), max_length=60, blank=True)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("dashboard figure")
        verbose_name_plural = _("dashboard figures")
        ordering = ["programme_id", "grain", "period", "metric", "dimension", "key"]
        indexes = [
            models.Index(fields=["programme", "grain", "period"], name="dashfact_programme_period"),
            models.Index(fields=["municipality"], name="dashfact_municipality"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.period} {self.metric} {self.dimension}={self.key}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES) if action == "view" else None

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" and user.is_manager_of(self.municipality_id)


class DashboardRefresh(models.Model):
    """When a municipality's facts were last recomputed, and the *mark* of the base data they were
    computed from (counts and latest change times): a tick whose mark is unchanged, on the same
    day, does nothing."""

    municipality = models.OneToOneField(
        "tenancy.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("municipality"),
    )
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)
    mark = models.JSONField(_("source mark"), default=dict)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    facts = models.PositiveIntegerField(_("figures"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.refreshed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        return in_municipalities(user, MANAGER_ROLES) if action == "view" else None

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" and user.is_manager_of(self.municipality_id)
