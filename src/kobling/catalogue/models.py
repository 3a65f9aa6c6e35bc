"""The catalogue's one model: a published offer. Derived offers (the municipality's programmes
and group offers, providers' offers) are entries made from their source and edited before they
are published — a snapshot, never a live join — so the public pages show only what the
municipality chose to show, and never a person (docs/catalogue.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.catalogue.choices import ORGANISATION_KINDS, JoinBy, OfferKind
from kobling.partners.choices import PreventionLevel
from kobling.tenancy.choices import MANAGER_ROLES
from kobling.tenancy.scoping import ScopedManager, in_municipalities


class Offer(models.Model):
    """One entry of the public catalogue. ``programme``, ``group_offer`` and ``provider`` say
    where a derived entry came from (and ``programme`` which programme a referral to it goes
    to); ``partner`` is the organisation that owns a peer group or course. The contact fields
    are a *public* contact (an office, a shared address); no leader or participant is named."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="catalogue_offers",
        verbose_name=_("municipality"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    programme = models.ForeignKey(
        "tenancy.Programme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_offers",
        verbose_name=_("programme"),
        help_text=_("A referral from the catalogue to this offer goes to this programme."),
    )
    group_offer = models.ForeignKey(
        "groups.GroupOffer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_offers",
        verbose_name=_("group offer"),
    )
    provider = models.ForeignKey(
        "providers.ActivityProvider",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_offers",
        verbose_name=pgettext_lazy("activity provider", "provider"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="catalogue_offers",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("title"), max_length=160)
    summary = models.TextField(_("what it is"), max_length=2000)
    target_groups = models.ManyToManyField(
        "helpers.TargetGroup",
        blank=True,
        related_name="+",
        verbose_name=_("target groups"),
        help_text=_("Empty means everyone."),
    )
    prevention_level = models.CharField(
        _("prevention level"), max_length=20, choices=PreventionLevel.choices
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    times = models.CharField(_("times"), max_length=300, blank=True)
    is_free = models.BooleanField(_("free of charge"), default=True)
    cost = models.CharField(
        _("cost"), max_length=200, blank=True, help_text=_("What it costs, when not free.")
    )
    join_by = models.CharField(_("how to join"), max_length=10, choices=JoinBy.choices)
    join_details = models.CharField(_("how to join, in words"), max_length=300, blank=True)
    contact_phone = models.CharField(_("public phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("public e-mail"), blank=True)
    website = models.URLField(_("web page"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("catalogue offer")
        verbose_name_plural = _("catalogue offers")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_free=True) | ~Q(cost=""),
                name="catalogue_offer_cost_when_not_free",
                violation_error_message=_("Say what it costs, or mark it free of charge."),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in ORGANISATION_KINDS])
                | Q(partner__isnull=False),
                name="catalogue_offer_organisation_named",
                violation_error_message=_("A peer group or course belongs to an organisation."),
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "municipality"], name="catalogue_published")
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        """The municipality's managers see and change all its entries (published or not); the
        public reads published entries through the public pages, organisations their own
        through their signed-in pages — neither is a user of this gate."""
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class CourseHandover(models.Model):
    """A participant's hand-over at the end of a course pointing to a catalogue offer. It lives
    here, not on the course (``referrals.Episode``), because the course's app sits below the
    catalogue and must not know it; the course's timeline shows it through
    ``referrals.timeline.register_timeline_source``."""

    episode = models.OneToOneField(
        "referrals.Episode",
        on_delete=models.CASCADE,
        related_name="catalogue_handover",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("offer")
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("hand-over to a catalogue offer")
        verbose_name_plural = _("hand-overs to catalogue offers")

    def __str__(self) -> str:
        return f"{self.episode_id} → {self.offer}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)
