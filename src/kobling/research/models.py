"""Research exports: the record that a pseudonymised dataset was delivered, to whom, why, under
which approval and with how many rows. The dataset itself is never stored, and neither is the key
that made its pseudonyms (see :mod:`kobling.research.dataset`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kobling.tenancy.choices import Role
from kobling.tenancy.scoping import ScopedManager, in_municipalities

# Below this many participants sharing (birth year or band, gender, programme) the export's record
# and README warn that someone may be singled out (the same 5 as the dashboards' small cells).
SMALL_GROUP = 5


class ResearchExport(models.Model):
    """One delivered research dataset (metadata only). Every download is a new export with new
    pseudonyms, so two exports cannot be linked to each other."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programmes = models.ManyToManyField(
        "tenancy.Programme", related_name="+", verbose_name=_("programmes")
    )
    period_start = models.DateField(_("referrals received from"))
    period_end = models.DateField(_("referrals received until"))
    project_title = models.CharField(_("project title"), max_length=200)
    approval_reference = models.CharField(
        _("approval reference"),
        max_length=100,
        help_text=_("The ethics approval or other legal basis, e.g. the REK number."),
    )
    recipient_name = models.CharField(_("researcher"), max_length=160)
    recipient_institution = models.CharField(_("institution"), max_length=200)
    purpose = models.TextField(_("purpose"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    birth_year_bands = models.BooleanField(
        _("birth years in 5-year bands and referral quarters"),
        default=True,
        help_text=_(
            "Birth years as 5-year bands (e.g. 1980-1984) and referral months as quarters "
            "(e.g. 2025-Q3), so that fewer participants can be singled out."
        ),
    )
    smallest_group = models.PositiveIntegerField(
        _("smallest group"),
        null=True,
        blank=True,
        help_text=_(
            "The number of participants in the smallest group sharing birth year (or band), "
            "gender and programme in the export."
        ),
    )
    counts = models.JSONField(_("rows per file"), default=dict, blank=True)
    sha256 = models.CharField(_("SHA-256 of the archive"), max_length=64, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("research export")
        verbose_name_plural = _("research exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="research_export_period_ends_after_start",
                violation_error_message=_("The period must end on or after its start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_title} ({self.approval_reference})"

    @property
    def small_group(self) -> bool:
        """Whether the smallest group sharing birth year (or band), gender and programme is
        smaller than :data:`SMALL_GROUP`, so a participant may be singled out."""
        return self.smallest_group is not None and self.smallest_group < SMALL_GROUP

    @property
    def participant_count(self) -> int:
        return int(self.counts.get("participants.csv", 0))

    # Only the municipality's administrators: the export releases data beyond the daily work of
    # coordinators, under an approval the municipality (as data controller) has accepted.
    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, (Role.MUNICIPAL_ADMIN,))

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.has_role(Role.MUNICIPAL_ADMIN, self.municipality_id)
