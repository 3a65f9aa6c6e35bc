"""Group offers (DOMAIN §2: the frisklivssentral's groups, Aktiv på dagtid's drop-in training):
an offer with its leaders, place, term and weekly times; the meetings generated from them; the
courses (forløp) enrolled, with a waiting list; and who came to each meeting.

Attendance is kept as sessions are: an entry is never changed — a correction is a new entry
that supersedes it — so what the referrer report and the dashboards count can be traced. Every
row carries its municipality; only its managers and the offer's own leaders see it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kobling.core.confirmation_links import ConfirmationLinkBase
from kobling.followup.choices import Intensity
from kobling.groups.choices import (
    ACTIVE_ENROLMENT,
    AttendanceAnswer,
    EnrolmentStatus,
    GroupTopic,
    MeetingStatus,
)
from kobling.helpers.choices import Weekday
from kobling.lib.row_guards import RowGuard
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.scoping import ScopedManager, ScopedQuerySet, any_of, in_municipalities


def _helper(user) -> bool:  # noqa: ANN001
    """Leaders sign in with the helpers' role."""
    return bool(user.municipality_ids(Role.TRAINING_CONTACT))


def _managers_or_leaders(user, *leading: str) -> Q | None:  # noqa: ANN001
    """The municipality's managers, and the helpers who lead (at each of ``leading``, a path to
    a helper)."""
    managers = in_municipalities(user, MANAGER_ROLES)
    if not _helper(user):
        return managers
    return any_of(managers, *(Q(**{f"{path}__user": user}) for path in leading))


class GroupOffer(models.Model):
    """A group offer of a programme: title and topic, leaders, place, a term with weekly times,
    capacity (with its own waiting list) and whether people may drop in."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="group_offers",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="group_offers",
        verbose_name=_("programme"),
    )
    title = models.CharField(_("title"), max_length=160)
    topic = models.CharField(_("topic"), max_length=20, choices=GroupTopic.choices)
    leaders = models.ManyToManyField(
        "helpers.Helper", related_name="group_offers", verbose_name=_("leaders")
    )
    # The premises: a partner's (a gym, a pool, a hall) or the municipality's own, in words.
    venue = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_offers",
        verbose_name=_("partner's premises"),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    capacity = models.PositiveSmallIntegerField(
        _("places"),
        validators=[MinValueValidator(1, message=_("A group needs at least one place."))],
    )
    minimum_size = models.PositiveSmallIntegerField(
        _("minimum size"),
        default=0,
        help_text=_("Fewer enrolled than this shows an alert. 0: no minimum."),
    )
    is_drop_in = models.BooleanField(
        _("open for drop-in"),
        default=False,
        help_text=_("People with a course in the programme may come without enrolling."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("group offer")
        verbose_name_plural = _("group offers")
        ordering = ["-term_start", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=F("term_start")),
                name="group_offer_term_ends_after_start",
                violation_error_message=_("The term cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="group_offer_has_places",
                violation_error_message=_("A group needs at least one place."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.term_start and self.term_end and self.term_end < self.term_start:
            raise ValidationError({"term_end": _("The term cannot end before it starts.")})

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        if action != "view":
            return in_municipalities(user, MANAGER_ROLES)
        return _managers_or_leaders(user, "leaders")

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class OfferTime(models.Model):
    """A recurring weekly time of an offer (e.g. Tuesdays 10:00, 60 minutes)."""

    offer = models.ForeignKey(
        GroupOffer, on_delete=models.CASCADE, related_name="times", verbose_name=_("group offer")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("weekly time")
        verbose_name_plural = _("weekly times")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "weekday", "start_time"],
                name="offer_time_once",
                violation_error_message=_("The offer already meets at this time."),
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=600),
                name="offer_time_minutes",
                violation_error_message=_("A meeting lasts from 1 to 600 minutes."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}"


class Meeting(models.Model):
    """One meeting of a group, generated from the offer's weekly times. It can be moved or
    cancelled; when held, it has its minutes, intensity and a short account, and who came."""

    offer = models.ForeignKey(
        GroupOffer, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("group offer")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    status = models.CharField(
        _("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    # A substitute leads this one meeting in place of the offer's leaders.
    substitute = models.ForeignKey(
        "helpers.Helper",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings_substituted",
        verbose_name=_("substitute"),
    )
    # The weekly time it was made for; a moved meeting keeps it, so it is not made again.
    slot_date = models.DateField(_("planned date"))
    slot_time = models.TimeField(_("planned start"))
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    intensity = models.CharField(
        _("intensity"), max_length=10, choices=Intensity.choices, blank=True
    )
    account = models.TextField(
        pgettext_lazy("meeting", "minutes"),
        blank=True,
        help_text=_("What the group did. No health details about anyone."),
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    held_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "slot_date", "slot_time"],
                name="meeting_once_per_slot",
                violation_error_message=_("The group already has this meeting."),
            ),
        ]
        indexes = [models.Index(fields=["municipality", "date"], name="meeting_municipality_date")]

    def __str__(self) -> str:
        return f"{self.offer} {self.date:%d.%m.%Y} {self.start_time:%H:%M}"

    @property
    def is_moved(self) -> bool:
        return (self.date, self.start_time) != (self.slot_date, self.slot_time)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        # Leading includes substituting: a substitute records the meeting they led.
        return _managers_or_leaders(user, "offer__leaders", "substitute")


class EnrolmentQuerySet(ScopedQuerySet):
    def active(self) -> EnrolmentQuerySet:
        return self.filter(status__in=ACTIVE_ENROLMENT)


class GroupEnrolment(models.Model):
    """A course (forløp) in a group offer: enrolled, on the offer's waiting list, or left. Leaving
    and joining again keep the history (a new row each time)."""

    offer = models.ForeignKey(
        GroupOffer,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("group offer"),
    )
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="group_enrolments",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=EnrolmentStatus.choices)
    enrolled_on = models.DateField(_("enrolled"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)
    left_on = models.DateField(_("left"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment in a group")
        verbose_name_plural = _("enrolments in groups")
        ordering = ["offer", "status", "waiting_since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "episode"],
                condition=Q(status__in=ACTIVE_ENROLMENT),
                name="group_enrolment_once",
                violation_error_message=_("The course is already in this group."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode} · {self.offer}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        if action != "view":
            return in_municipalities(user, MANAGER_ROLES)
        return _managers_or_leaders(user, "offer__leaders")

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id)


class AttendanceQuerySet(ScopedQuerySet):
    def current(self) -> AttendanceQuerySet:
        """The entries that stand: not superseded by a correction."""
        return self.filter(superseded_by__isnull=True)


class Attendance(models.Model):
    """Whether a course's participant came to a meeting. Never changed: a correction is a new
    entry that supersedes this one (with its reason)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("meeting")
    )
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="group_attendance",
        verbose_name=pgettext_lazy("forløp", "course"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    attended = models.BooleanField(_("came"))
    # Came without being enrolled (an open, drop-in offer).
    is_drop_in = models.BooleanField(_("drop-in"), default=False)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.CharField(_("reason for correction"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # The participant's own answer through a confirmation link (programmes that ask for it):
    # written once onto the entry — the row guard lets these two columns change only while
    # ``answered_at`` is empty. "Disputed" does not change ``attended``: the leader looks.
    confirmation = models.CharField(
        _("participant's answer"),
        max_length=10,
        choices=AttendanceAnswer.choices,
        blank=True,
        default="",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "pk"]
        indexes = [models.Index(fields=["episode", "meeting"], name="attendance_episode_meeting")]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.episode_id}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        if action != "view":
            return in_municipalities(user, MANAGER_ROLES)
        return _managers_or_leaders(user, "meeting__offer__leaders", "meeting__substitute")


# The database's side of "entries are never edited": no UPDATE or DELETE of an attendance entry
# (a correction is a new entry that supersedes it), except the participant's answer written once
# onto an entry (groups.confirmations), as a session's confirmation is.
ATTENDANCE_GUARD = RowGuard(
    name="groups_attendance_append_only",
    table=Attendance._meta.db_table,
    message="attendance is append-only: a correction is a new entry",
    may_change=(
        ("confirmation", "OLD.answered_at IS NULL"),
        ("answered_at", "OLD.answered_at IS NULL"),
    ),
)


class AttendanceConfirmationLink(ConfirmationLinkBase):
    """A request, e-mailed to the participant (or a minor's guardian) when the meeting was
    marked held, to confirm that they came — or say they did not. One per attendance entry
    recorded as present; the shared part (recipient, expiry, used) is
    :class:`kobling.core.confirmation_links.ConfirmationLinkBase`, the e-mail and the signed
    single-use link live in the outbox (subject ``attendance-confirmation:<id>``)."""

    attendance = models.ForeignKey(
        Attendance,
        on_delete=models.PROTECT,
        related_name="confirmation_links",
        verbose_name=_("attendance"),
    )
    # The course, for the send limit (per course and per address).
    episode = models.ForeignKey(
        "referrals.Episode",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("forløp", "course"),
    )

    objects = ScopedManager()

    class Meta(ConfirmationLinkBase.Meta):
        verbose_name = _("attendance confirmation link")
        verbose_name_plural = _("attendance confirmation links")

    def __str__(self) -> str:
        return f"{self.attendance_id} {self.created_at:%Y-%m-%d}"
