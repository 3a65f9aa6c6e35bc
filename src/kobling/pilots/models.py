"""A pilot across several municipalities (DOMAIN §2 "Aktivitet på resept": "a pilot in five
municipalities should produce health-economic figures"). The pilot itself holds no person:
it names its municipalities, programmes, period and owners, and its health account is computed
from the courses it covers, in aggregates only (:mod:`kobling.pilots.selectors`).

Who sees a pilot: the national analyst (every pilot, as for the national register) and the
users the pilot names as its owners (e.g. the researcher who evaluates it) — that pilot only.
Nobody sees a person through it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.scoping import ScopedManager


class Pilot(models.Model):
    """A pilot: its municipalities, the programmes whose courses it counts, its period and its
    owners."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    municipalities = models.ManyToManyField(
        "tenancy.Municipality", related_name="pilots", verbose_name=_("municipalities")
    )
    programmes = models.ManyToManyField(
        "tenancy.Programme",
        related_name="pilots",
        blank=True,
        verbose_name=_("programmes"),
        help_text=_(
            "The programmes whose courses the pilot counts. Empty: every programme of the "
            "pilot's municipalities whose courses are delivered by providers."
        ),
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="owned_pilots",
        blank=True,
        verbose_name=_("owners"),
        help_text=_("Users who see the pilot's health account (aggregates only)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        ordering = ["-period_start", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="pilot_period_ends_after_start",
                violation_error_message=_("The period must end on or after its start."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user: Any, action: str) -> Q | None:
        if getattr(user, "is_analyst", False):
            return Q()
        # A user who owns no pilot can never see one (403 up front); an owner sees theirs.
        if action != "view" or not user.owned_pilots.exists():
            return None
        return Q(owners=user)

    def permits(self, user: Any, action: str) -> bool:
        if getattr(user, "is_analyst", False):
            return True
        return action == "view" and self.owners.filter(pk=user.pk).exists()
