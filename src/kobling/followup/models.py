"""Pairings (koblingspar): a participant and a helper, from confirmation to the end. Sessions,
goals, reviews and endings arrive with the follow-up work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.followup.choices import OPEN_PAIRING_STATUSES, EndReason, PairingStatus
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities


class Pairing(models.Model):
    """A confirmed pair. Each open pairing holds one numbered place (``slot``) of the helper's
    capacity; a unique constraint on (helper, slot) among open pairings means two coordinators
    confirming at once can never give a helper more participants than places — the database
    refuses the second."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("programme"),
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("referral"),
    )
    participant = models.ForeignKey(
        "referrals.Participant",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("participant"),
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("contact"),
    )
    proposal = models.OneToOneField(
        "matching.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pairing",
        verbose_name=_("from proposal"),
    )
    slot = models.PositiveSmallIntegerField(
        _("place"), help_text=_("Which of the contact's places this pair takes (0, 1, …).")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PairingStatus.choices,
        default=PairingStatus.CONFIRMED,
        db_index=True,
    )
    confirmed_at = models.DateTimeField(_("confirmed"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    intro_meeting_at = models.DateTimeField(_("introduction meeting"), null=True, blank=True)
    intro_meeting_place = models.CharField(_("meeting place"), max_length=160, blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=30, choices=EndReason.choices, blank=True
    )
    end_note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["helper", "slot"],
                condition=Q(status__in=[s.value for s in OPEN_PAIRING_STATUSES]),
                name="pairing_one_open_per_helper_slot",
                violation_error_message=_("The contact has no free place left."),
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=[s.value for s in OPEN_PAIRING_STATUSES]),
                name="pairing_one_open_per_referral",
                violation_error_message=_("This referral already has a pairing."),
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status"], name="pairing_municipality_status")
        ]

    def __str__(self) -> str:
        return f"{self.participant} + {self.helper}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        contact_in = user.municipality_ids(Role.TRAINING_CONTACT)
        referrer_in = user.municipality_ids(Role.REFERRER)
        own = Q(helper__user=user, municipality__in=sorted(contact_in)) if contact_in else None
        # A referrer follows the pairs of people they referred — where they still are a referrer,
        # and only while the participant's consent to share progress with them is in force.
        referred = (
            Q(referral__referrer=user, municipality__in=sorted(referrer_in))
            & Q(_sharing_consent_in_force())
            if referrer_in
            else None
        )
        return any_of(managers, own, referred)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        if action != "view":
            return False
        return Pairing.objects.visible_to(user, "view").filter(pk=self.pk).exists()


def _sharing_consent_in_force() -> Exists:
    from kobling.referrals.choices import ConsentScope
    from kobling.referrals.models import Consent

    today = timezone.localdate()
    return Exists(
        Consent.objects.filter(
            referral=OuterRef("referral"),
            scope=ConsentScope.SHARE_WITH_REFERRER,
            given_on__lte=today,
        ).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today))
    )
