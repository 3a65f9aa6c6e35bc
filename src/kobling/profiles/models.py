"""Public-health-profile categories per unit and indicator, and the has-a-scheme status sets
the comparison groups units by. National aggregates about units, not persons: only the national
analyst sees them. Units are referred to by their code as text (``0301``); nothing here depends
on the unit register, so profiles can be imported before the register knows a unit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.profiles.choices import Category
from kobling.tenancy.scoping import AnalystOnly, ScopedManager


class ProfileIndicator(AnalystOnly, models.Model):
    """One indicator of one edition (period) of the public-health profiles, e.g. "physically
    inactive youth" in the 2016 profiles."""

    code = models.CharField(_("code"), max_length=200)
    name = models.CharField(_("name"), max_length=200)
    period = models.CharField(
        _("period"), max_length=20, help_text=_("The profile edition, e.g. 2016 or 2014–2016.")
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("profile indicator")
        verbose_name_plural = _("profile indicators")
        ordering = ["period", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "period"],
                name="profiles_indicator_unique_code_period",
                violation_error_message=_("This indicator already exists for that period."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.period})"

    @property
    def display_name(self) -> str:
        from kobling.profiles.choices import indicator_name

        return indicator_name(self.code, self.name)


class ProfileCategory(AnalystOnly, models.Model):
    """A unit's category on an indicator: better, not different or worse than the national
    average. A later import of the same period replaces the category (and its source)."""

    indicator = models.ForeignKey(
        ProfileIndicator,
        on_delete=models.CASCADE,
        related_name="categories",
        verbose_name=_("indicator"),
    )
    unit_code = models.CharField(_("unit code"), max_length=12)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    source = models.CharField(_("source"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("profile category")
        verbose_name_plural = _("profile categories")
        ordering = ["indicator", "unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit_code"],
                name="profiles_category_unique_unit",
                violation_error_message=_("This unit already has a category for the indicator."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="profiles_category_known",
                violation_error_message=_("The category must be better, same or worse."),
            ),
        ]
        indexes = [models.Index(fields=["unit_code"], name="profiles_category_unit")]

    def __str__(self) -> str:
        return f"{self.unit_code} {self.indicator.code}: {self.category}"


class StatusSet(AnalystOnly, models.Model):
    """An uploaded STATUS.csv: which units had a scheme, as the analyst knew it then. Kept so a
    comparison can be repeated with the same grouping."""

    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("status set")
        verbose_name_plural = _("status sets")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_demo(self) -> bool:
        from kobling.profiles.choices import DEMO_SOURCE

        return self.source == DEMO_SOURCE

    def as_map(self) -> dict[str, bool]:
        return dict(self.units.values_list("unit_code", "has_scheme"))


class UnitStatus(AnalystOnly, models.Model):
    """One row of a status set: whether the unit had a scheme."""

    status_set = models.ForeignKey(
        StatusSet, on_delete=models.CASCADE, related_name="units", verbose_name=_("status set")
    )
    unit_code = models.CharField(_("unit code"), max_length=12)
    has_scheme = models.BooleanField(_("has a scheme"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("unit status")
        verbose_name_plural = _("unit statuses")
        ordering = ["status_set", "unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["status_set", "unit_code"],
                name="profiles_status_unique_unit",
                violation_error_message=_("This unit is already in the status set."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_code}: {self.has_scheme}"
