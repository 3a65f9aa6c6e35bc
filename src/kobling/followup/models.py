"""Pairings (koblingspar): a participant and a helper, from confirmation to the end, and the
sessions (økter) they hold."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.core.confirmation_links import ConfirmationLinkBase
from kobling.followup.choices import (
    OPEN_PAIRING_STATUSES,
    SESSION_MAX_MINUTES,
    CancelledBy,
    ConfirmedVia,
    EndReason,
    HandoverDestination,
    Intensity,
    PairingStatus,
    SessionStatus,
)
from kobling.lib.row_guards import RowGuard
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, ScopedQuerySet, any_of, in_municipalities


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
    # The participant's course this pair serves; a re-match adds a pairing to the same course.
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=pgettext_lazy("forløp", "course"),
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
    # Set when the pair pauses, cleared when it resumes: sessions after it cannot be logged.
    paused_on = models.DateField(_("paused since"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=30, choices=EndReason.choices, blank=True
    )
    end_note = models.TextField(_("note"), blank=True)
    handover_destination = models.CharField(
        _("handed over to"), max_length=30, choices=HandoverDestination.choices, blank=True
    )
    # The partner organisation that took the participant over, when there is one (the free
    # ``handover_destination`` above stays the answer to "where"; this says "who").
    handover_partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers",
        verbose_name=_("partner that took over"),
    )
    handover_note = models.TextField(
        _("hand-over note"),
        blank=True,
        help_text=_("Where and how the participant goes on being active (place, times, contact)."),
    )
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
            models.Index(fields=["municipality", "status"], name="pairing_municipality_status"),
            # The list's order: a page is read in index order and joined (not all sorted).
            models.Index(
                fields=["municipality", "-confirmed_at", "-id"], name="pairing_list_confirmed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} + {self.helper}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        # Every pair serves a course: the referral's, opened here if the grant did not (older
        # data, fixtures). The course then follows the pair (kobling.referrals.episodes).
        if self.episode_id is None and self.referral_id is not None:
            from kobling.referrals.episodes import episode_for_referral

            self.episode = episode_for_referral(self.referral)
        super().save(*args, **kwargs)

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


def _sharing_consent_in_force(referral: str = "referral") -> Exists:
    """The participant's consent to share progress with the referrer is in force today, for the
    referral named by ``referral`` in the outer query (a pairing's ``referral``, a referral's
    ``pk``) — the rule of ``followup.access.sharing_consent_state`` as a query."""
    from kobling.referrals.models import sharing_consent_in_force

    return sharing_consent_in_force(referral)


class OnTheCourse(models.Model):
    """A row that belongs to the participant's course (forløp) — a session, goal, review,
    follow-up, notice or expense. ``episode`` is the course; where a helper pairing delivers it,
    ``pairing`` names the pair too and the course is taken from it when not given, so the
    treningskontakt code paths need not name the course."""

    class Meta:
        abstract = True

    def _take_course_from_pairing(self) -> None:
        """Name the pairing's course, or refuse a new row whose pairing serves another course
        (a stored row was checked when it was added)."""
        if not self._state.adding or getattr(self, "pairing_id", None) is None:
            return
        # The pairing the caller passed in knows its course; only a bare id costs a query.
        cached = self._state.fields_cache.get("pairing")
        course_id = (
            cached.episode_id
            if cached is not None and cached.pk == self.pairing_id
            else Pairing.objects.values_list("episode_id", flat=True).get(pk=self.pairing_id)
        )
        if self.episode_id is None:
            self.episode_id = course_id
        elif self.episode_id != course_id:
            raise ValidationError({"episode": _("The pairing belongs to another course.")})

    def clean_fields(self, exclude=None) -> None:  # noqa: ANN001
        self._take_course_from_pairing()
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self._take_course_from_pairing()
        super().save(*args, **kwargs)


def course_field(related_name: str, *, null: bool = False) -> models.ForeignKey:
    """The course a row belongs to (see :class:`OnTheCourse`)."""
    return models.ForeignKey(
        "referrals.Episode",
        null=null,
        blank=null,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=pgettext_lazy("forløp", "course"),
    )


class SessionQuerySet(ScopedQuerySet):
    def current(self) -> SessionQuerySet:
        """Entries that stand: not superseded by a correction, and not a voiding correction."""
        return self.filter(superseded_by__isnull=True, is_void=False)

    def held(self) -> SessionQuerySet:
        return self.current().filter(status=SessionStatus.HELD)


class Session(OnTheCourse):
    """One planned meeting of a pair and what became of it (held, cancelled, no-show).

    Entries are never edited: a correction is a new entry that ``supersedes`` the old one (a
    correction with ``is_void`` withdraws an entry logged by mistake). ``current()`` gives the
    entries that stand. Only the participant's confirmation is added to an existing entry.
    ``municipality`` and ``helper`` repeat the pairing's, for scoping, the contact's overlap
    check and pay."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("municipality"),
    )
    episode = course_field("sessions")
    pairing = models.ForeignKey(
        Pairing, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("pairing")
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("contact"),
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    activity = models.ForeignKey(
        "helpers.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("activity"),
    )
    intensity = models.CharField(
        _("intensity"), max_length=10, choices=Intensity.choices, blank=True
    )
    borg = models.PositiveSmallIntegerField(
        _("Borg (6–20)"),
        null=True,
        blank=True,
        help_text=_("Rating of perceived exertion, 6 (no exertion) to 20 (maximal)."),
    )
    status = models.CharField(_("status"), max_length=12, choices=SessionStatus.choices)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=12, choices=CancelledBy.choices, blank=True
    )
    with_notice = models.BooleanField(_("cancelled with notice"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    is_void = models.BooleanField(
        _("withdrawn"),
        default=False,
        help_text=_("A correction that withdraws an entry logged by mistake."),
    )
    correction_reason = models.CharField(_("reason for correction"), max_length=300, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logged by"),
    )
    logged_at = models.DateTimeField(_("logged"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed by the participant"), null=True, blank=True)
    confirmed_via = models.CharField(
        _("confirmed how"), max_length=12, choices=ConfirmedVia.choices, blank=True
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-date", "-start_time", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=SESSION_MAX_MINUTES),
                name="session_minutes_1_to_600",
                violation_error_message=_("Minutes must be between 1 and 600."),
            ),
            models.CheckConstraint(
                condition=Q(borg__isnull=True) | Q(borg__gte=6, borg__lte=20),
                name="session_borg_6_to_20",
                violation_error_message=_("Borg must be between 6 and 20."),
            ),
        ]
        indexes = [
            models.Index(fields=["pairing", "date"], name="session_pairing_date"),
            models.Index(fields=["helper", "date"], name="session_helper_date"),
            models.Index(fields=["municipality", "date"], name="session_municipality_date"),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} {self.date} ({self.get_status_display()})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        """Who sees a pairing sees its sessions; managers and the pair's own contact log them."""
        if action == "view":
            pairings = Pairing.visibility_q(user, "view")
            return None if pairings is None else Q(pairing__in=Pairing.objects.filter(pairings))
        managers = in_municipalities(user, MANAGER_ROLES)
        contact_in = user.municipality_ids(Role.TRAINING_CONTACT)
        own = Q(helper__user=user, municipality__in=sorted(contact_in)) if contact_in else None
        return any_of(managers, own)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id):
            return True
        if action == "view":
            return Session.objects.visible_to(user, "view").filter(pk=self.pk).exists()
        return user.has_role(Role.TRAINING_CONTACT, self.municipality_id) and (
            self.helper.user_id == user.pk
        )


# The database's side of "entries are never edited": no UPDATE or DELETE of a session, except
# the participant's confirmation written once onto an entry (sessions.session_confirm).
SESSION_GUARD = RowGuard(
    name="followup_session_append_only",
    table=Session._meta.db_table,
    message="sessions are append-only: a correction is a new entry",
    may_change=(
        ("confirmed_at", "OLD.confirmed_at IS NULL"),
        ("confirmed_via", "OLD.confirmed_at IS NULL"),
    ),
)


class SessionConfirmationLink(ConfirmationLinkBase):
    """A request, e-mailed to the participant (or a minor's guardian), to confirm the listed
    sessions without signing in. Its e-mail and its signed single-use link live in the outbox
    (subject ``session-confirmation:<id>``); this row keeps the sessions, the expiry and when it
    was used (the shared part: :class:`kobling.core.confirmation_links.ConfirmationLinkBase`)."""

    pairing = models.ForeignKey(
        Pairing,
        on_delete=models.CASCADE,
        related_name="confirmation_links",
        verbose_name=_("pairing"),
    )
    sessions = models.ManyToManyField(Session, related_name="+", verbose_name=_("sessions"))

    objects = ScopedManager()

    class Meta(ConfirmationLinkBase.Meta):
        verbose_name = _("session confirmation link")
        verbose_name_plural = _("session confirmation links")

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.created_at:%Y-%m-%d}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        managers = in_municipalities(user, MANAGER_ROLES)
        contact_in = user.municipality_ids(Role.TRAINING_CONTACT)
        own = (
            Q(pairing__helper__user=user, municipality__in=sorted(contact_in))
            if contact_in
            else None
        )
        return any_of(managers, own)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return SessionConfirmationLink.objects.visible_to(user, action).filter(pk=self.pk).exists()


class ReferrerNotice(OnTheCourse):
    """An e-mail telling the referrer that there is news about a pairing they referred — at the
    start, every four weeks while it runs, and at the end — with a link to sign in and read the
    report. Only sent while the participant's consent to share with the referrer is in force;
    the body carries no health details. One row per (pairing, kind, sequence): the tick creates
    it, the outbox sends it once (subject ``referrer-notice:<id>``)."""

    class Kind(models.TextChoices):
        START = "start", _("Start")
        PERIODIC = "periodic", _("Every four weeks")
        END = "end", _("End")

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    episode = course_field("referrer_notices")
    pairing = models.ForeignKey(
        Pairing,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="referrer_notices",
        verbose_name=_("pairing"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(_("number"), default=0)
    recipient = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("notice to the referrer")
        verbose_name_plural = _("notices to the referrer")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "kind", "sequence"], name="referrer_notice_once"
            ),
            # A course that no pairing delivers (a group, a provider) is told about once too.
            models.UniqueConstraint(
                fields=["episode", "kind", "sequence"],
                condition=Q(pairing__isnull=True),
                name="referrer_notice_once_per_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.kind} {self.sequence}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        return in_municipalities(user, MANAGER_ROLES) if action == "view" else None

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return action == "view" and user.is_manager_of(self.municipality_id)
