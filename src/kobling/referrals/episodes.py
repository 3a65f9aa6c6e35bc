"""The participant's course (forløp): opened by a grant, moved along by whatever delivers it,
renewed, opened and closed with conversations, ended with a reason and a hand-over.

The referrals app owns the course because the decision opens it in the same transaction. The
delivery apps (followup's pairings today; groups and providers later) ask it through these
services — they say what happened (the pair started, paused, ended); the course keeps one
status that lists, reports, alerts and dashboards read whatever the delivery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.lib.errors import ConflictError
from kobling.referrals.choices import (
    EPISODE_END_REASONS,
    ConversationKind,
    EpisodeStatus,
    HandoverDestination,
    ReferralStatus,
)
from kobling.referrals.models import Conversation, Decision, Episode, EpisodeRenewal, Referral
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Delivery

if TYPE_CHECKING:
    from kobling.tenancy.models import User


def _opened_on(referral: Referral) -> dt.date:
    when = referral.granted_at or referral.received_at or timezone.now()
    return timezone.localtime(when).date()


def _new_episode(referral: Referral, decision: Decision | None) -> Episode:
    programme = referral.programme
    return Episode(
        municipality_id=referral.municipality_id,
        programme_id=referral.programme_id,
        participant_id=referral.participant_id,
        referral=referral,
        decision=decision,
        delivery=programme.delivery,
        status=EpisodeStatus.WAITING,
        opened_on=decision.decided_on if decision else _opened_on(referral),
        planned_weeks=programme.period_weeks,
    )


def episode_for_referral(referral: Referral) -> Episode:
    """The referral's course, opened now if it has none (a pairing made without a grant on
    record — older data and fixtures — still belongs to a course)."""
    existing = Episode.objects.filter(referral_id=referral.pk).first()
    if existing is not None:
        return existing
    decision = (
        Decision.objects.filter(referral_id=referral.pk, outcome="granted")
        .order_by("-decided_on", "-id")
        .first()
    )
    episode = _new_episode(referral, decision)
    episode.save()
    return episode


def episode_open(*, referral: Referral, decision: Decision, by: User | None) -> Episode:
    """A grant opens the course (waiting to start). A new grant of a course that is still open
    keeps it (its place and history); a course that ended is not reopened by a decision."""
    existing = Episode.objects.select_for_update().filter(referral_id=referral.pk).first()
    if existing is not None:
        if existing.status != EpisodeStatus.ENDED:
            if existing.decision_id != decision.pk:
                existing.decision = decision
                existing.version += 1
                existing.save(update_fields=["decision", "version", "updated_at"])
            return existing
        if existing.started_on is None and existing.end_reason == "revoked":
            # Granted again after a decision replaced the grant: the same course waits again.
            reopened = episode_set_state(
                referral=referral, state=CourseState(status=EpisodeStatus.WAITING), by=by
            )
            reopened.decision = decision
            reopened.save(update_fields=["decision", "updated_at"])
            return reopened
        raise ConflictError(_("This course has ended; a new referral opens a new course."))
    episode = _new_episode(referral, decision)
    episode.full_clean()
    episode.save()
    audit_log(
        user=by,
        action=AuditAction.CREATE,
        obj=episode,
        changes={"referral": referral.pk, "decision": decision.pk, "delivery": episode.delivery},
    )
    return episode


def _locked(referral_id: int) -> Episode | None:
    return Episode.objects.select_for_update().filter(referral_id=referral_id).first()


@dataclass(frozen=True)
class CourseState:
    """Where a course stands, as its delivery reports it."""

    status: str
    started_on: dt.date | None = None
    paused_on: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""
    end_note: str = ""
    handover_destination: str = ""
    handover_note: str = ""


_STATE_FIELDS = tuple(CourseState.__dataclass_fields__)


def episode_set_state(*, referral: Referral, state: CourseState, by: User | None) -> Episode:
    """What the delivery reports (the pairs today; groups and providers later): the course's
    status, start, pause, end, reason and hand-over. Saved and audited only when it changes."""
    if state.status not in EpisodeStatus.values:
        raise ValidationError({"status": _("Unknown course status.")})
    # Its own (nested) transaction: the row lock needs one, whoever calls.
    with transaction.atomic():
        episode = _locked(referral.pk) or episode_for_referral(referral)
        changes = {
            name: [getattr(episode, name), getattr(state, name)]
            for name in _STATE_FIELDS
            if getattr(episode, name) != getattr(state, name)
        }
        if changes:
            for name, (_before, after) in changes.items():
                setattr(episode, name, after)
            episode.version += 1
            episode.save()
            audit_log(user=by, action=AuditAction.UPDATE, obj=episode, changes=changes)
    return episode


def episode_close_with_referral(*, referral: Referral, by: User | None) -> None:
    """A course that has not started ends with its referral (withdrawn, or a new decision that
    replaced the grant): the reason says which."""
    episode = _locked(referral.pk)
    if episode is None or episode.status == EpisodeStatus.ENDED:
        return
    closed = timezone.localtime(referral.closed_at or referral.updated_at or timezone.now()).date()
    ended_on = max(closed, episode.started_on) if episode.started_on else closed
    reason = {"withdrawn": "withdrawn"}.get(referral.status, "revoked")
    episode_set_state(
        referral=referral,
        state=CourseState(
            status=EpisodeStatus.ENDED,
            started_on=episode.started_on,
            ended_on=ended_on,
            end_reason=reason,
        ),
        by=by,
    )


# --- a course that no pair delivers: started by its delivery, ended by the coordinator ----------

# What a delivery does when a course it serves ends (a group: the course leaves its groups, so
# meetings after the end are not offered to it). Registered by the delivery apps in ``ready``.
EndListener = Callable[["Episode", "User | None"], None]
END_LISTENERS: list[EndListener] = []


def register_end_listener(listener: EndListener) -> None:
    if listener not in END_LISTENERS:
        END_LISTENERS.append(listener)


# Whether ended courses are completed under their programme's rule (None: no rule), for many
# courses at once in a fixed number of queries. The rule reads the delivery's attendance, so the
# delivery app registers it (groups today); without one, no course is completed or not.
CompletionSource = Callable[[list[int], dt.date], "dict[int, bool | None]"]
COMPLETION_SOURCES: list[CompletionSource] = []


def register_completion_source(source: CompletionSource) -> None:
    if source not in COMPLETION_SOURCES:
        COMPLETION_SOURCES.append(source)


def completed_by_course(ids: list[int], *, today: dt.date) -> dict[int, bool | None]:
    """Each course's completion under its programme's rule: ``True``/``False`` for a course
    whose programme has a rule, ``None`` otherwise (and for a course no source knows)."""
    result: dict[int, bool | None] = dict.fromkeys(ids)
    for source in COMPLETION_SOURCES:
        for pk, done in source(ids, today).items():
            if done is not None:
                result[pk] = done
    return result


def _set_referral_status(referral_id: int, status: str, by: User | None) -> None:
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    before = referral.status
    if before == status:
        return
    referral.status = status
    fields = ["status", "version", "updated_at"]
    if status == ReferralStatus.CLOSED:
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.version += 1
    referral.save(update_fields=fields)
    audit_log(
        user=by, action=AuditAction.UPDATE, obj=referral, changes={"status": [before, status]}
    )


def episode_start(*, episode: Episode, by: User | None, started_on: dt.date) -> Episode:
    """A delivery other than a pair (a group place, a provider's acceptance) starts the course:
    a waiting course becomes active from ``started_on`` and its referral leaves the waiting list
    (granted, course under way). A course that has started keeps its first start; an ended one
    is not restarted. Idempotent."""
    with transaction.atomic():
        locked = Episode.objects.select_for_update().get(pk=episode.pk)
        if locked.status != EpisodeStatus.WAITING:
            return locked
        changes = {"status": [locked.status, EpisodeStatus.ACTIVE]}
        if locked.started_on is None:
            changes["started_on"] = [None, started_on]
            locked.started_on = started_on
        locked.status = EpisodeStatus.ACTIVE
        locked.version += 1
        locked.save(update_fields=["status", "started_on", "version", "updated_at"])
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
        referral_status = (
            Referral.objects.filter(pk=locked.referral_id).values_list("status", flat=True).get()
        )
        if referral_status == ReferralStatus.WAITING:
            _set_referral_status(locked.referral_id, ReferralStatus.STARTED, by)
    return locked


def may_end_directly(episode: Episode) -> bool:
    """Whether the coordinator ends this course here: not a one-to-one course (it ends through
    its pair), not ended, and no pair of it still open (that pair ends first)."""
    return (
        episode.delivery != Delivery.ONE_TO_ONE
        and episode.status != EpisodeStatus.ENDED
        # The pairs live in followup, above this app: read them through the relation.
        and not episode.pairings.exclude(status="ended").exists()
    )


def episode_end(
    *,
    episode: Episode,
    by: User,
    ended_on: dt.date,
    end_reason: str,
    end_note: str = "",
    handover_destination: str = "",
    handover_note: str = "",
    expected_version: int | None = None,
) -> Episode:
    """End a course that no pair delivers (a group course, a provider's): the date, the reason
    and where the person goes on to. Its referral closes; every delivery registered with
    :func:`register_end_listener` lets the course go (a group: it leaves its groups that day).
    A one-to-one course ends through its pairing; a course with a pair still open is refused
    until that pair ends."""
    today = timezone.localdate()
    errors: dict[str, Any] = {}
    if end_reason not in {value for value, _label in EPISODE_END_REASONS}:
        errors["end_reason"] = _("Choose why the course ends.")
    if handover_destination and handover_destination not in HandoverDestination.values:
        errors["handover_destination"] = _("Choose where the person goes on to.")
    if ended_on > today:
        errors["ended_on"] = _("A course cannot be ended in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_for_change(episode, by, expected_version)
        if locked.delivery == Delivery.ONE_TO_ONE:
            raise ValidationError(
                _("A one-to-one course ends when its pair ends; end the pair instead.")
            )
        if locked.status == EpisodeStatus.ENDED:
            raise ValidationError(_("The course has ended."))
        if not may_end_directly(locked):
            raise ValidationError(
                _("The course still has an open pair; end the pair first, then the course.")
            )
        if locked.started_on is not None and ended_on < locked.started_on:
            raise ValidationError({"ended_on": _("A course cannot end before it started.")})
        state = CourseState(
            status=EpisodeStatus.ENDED,
            started_on=locked.started_on,
            ended_on=ended_on,
            end_reason=end_reason,
            end_note=(end_note or "").strip(),
            handover_destination=handover_destination,
            handover_note=(handover_note or "").strip(),
        )
        referral = Referral.objects.get(pk=locked.referral_id)
        ended = episode_set_state(referral=referral, state=state, by=by)
        if referral.status in (ReferralStatus.WAITING, ReferralStatus.STARTED):
            _set_referral_status(referral.pk, ReferralStatus.CLOSED, by)
        for listener in END_LISTENERS:
            listener(ended, by)
    return ended


def _lock_for_change(episode: Episode, by: User, expected_version: int | None) -> Episode:
    if not by.is_manager_of(episode.municipality_id):
        raise ValidationError(_("Only coordinators can change a course."))
    locked = Episode.objects.select_for_update().select_related("programme").get(pk=episode.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "This course was changed by someone else while you were looking at it. Reload "
                "to see the latest version; nothing was saved."
            )
        )
    return locked


def episode_plan(
    *, episode: Episode, by: User, planned_start: dt.date | None, expected_version: int | None
) -> Episode:
    """Set the planned start of a course that has not started."""
    with transaction.atomic():
        locked = _lock_for_change(episode, by, expected_version)
        if locked.status == EpisodeStatus.ENDED:
            raise ValidationError(_("The course has ended."))
        before = locked.planned_start
        locked.planned_start = planned_start
        locked.version += 1
        locked.save(update_fields=["planned_start", "version", "updated_at"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"planned_start": [before, planned_start]},
        )
    return locked


def episode_renew(
    *,
    episode: Episode,
    by: User,
    reason: str,
    renewed_on: dt.date | None = None,
    expected_version: int | None = None,
) -> EpisodeRenewal:
    """Renew the course's period by the programme's renewal length, as often as the programme
    allows. Refused for an open-ended or ended course, or when no renewal is left."""
    reason = (reason or "").strip()
    today = timezone.localdate()
    renewed_on = renewed_on or today
    errors: dict[str, Any] = {}
    if not reason:
        errors["reason"] = _("Say why the course is renewed.")
    if renewed_on > today:
        errors["renewed_on"] = _("A renewal cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_for_change(episode, by, expected_version)
        programme = locked.programme
        if locked.status == EpisodeStatus.ENDED:
            raise ValidationError(_("An ended course cannot be renewed."))
        if locked.planned_weeks is None:
            raise ValidationError(_("The course is open-ended; there is nothing to renew."))
        if locked.renewals_used >= programme.renewals_max:
            raise ValidationError(
                _("The programme allows %(count)s renewal(s), and they are used.")
                % {"count": programme.renewals_max}
            )
        renewal = EpisodeRenewal.objects.create(
            episode=locked,
            municipality_id=locked.municipality_id,
            renewed_on=renewed_on,
            weeks=programme.renewal_weeks or 0,
            reason=reason,
            renewed_by=by,
        )
        locked.renewals_used += 1
        locked.version += 1
        locked.save(update_fields=["renewals_used", "version", "updated_at"])
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=renewal,
            municipality_id=locked.municipality_id,
            changes={"episode": locked.pk, "weeks": renewal.weeks},
        )
    return renewal


def conversation_record(
    *,
    episode: Episode,
    by: User,
    kind: str,
    held_on: dt.date,
    goals_agreed: str = "",
    note: str = "",
    areas: list[str] | None = None,
    own_goals: str = "",
    plan: str = "",
) -> Conversation:
    """Record the course's start or end conversation (one of each); only where the programme
    uses them. An end conversation needs a start conversation before it.

    Kept to the motivational interview's structured fields: the ``areas`` the person wants to
    work on (ConversationArea codes; a start conversation names at least one), their goals in
    their own words (``own_goals``) and the ``plan`` agreed."""
    today = timezone.localdate()
    areas = list(areas or [])
    errors: dict[str, Any] = {}
    if kind not in ConversationKind.values:
        errors["kind"] = _("Unknown kind of conversation.")
    for name, text in (("own_goals", own_goals), ("plan", plan)):
        if len(text or "") > 2000:
            errors[name] = _("Keep it short (at most 2000 characters).")
    if held_on > today:
        errors["held_on"] = _("A conversation cannot be dated in the future.")
    if len(note or "") > 500:
        errors["note"] = _("Keep the note short (at most 500 characters).")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_for_change(episode, by, None)
        if not locked.programme.uses_conversations:
            raise ValidationError(_("This programme does not use start and end conversations."))
        if held_on < locked.opened_on:
            raise ValidationError(
                {"held_on": _("A conversation cannot be dated before the course was opened.")}
            )
        existing = {c.kind: c for c in Conversation.objects.filter(episode=locked)}
        if kind in existing:
            raise ConflictError(_("This course already has that conversation."))
        if kind == ConversationKind.END:
            start = existing.get(ConversationKind.START)
            if start is None:
                raise ValidationError(_("Record the start conversation first."))
            if held_on < start.held_on:
                raise ValidationError(
                    {"held_on": _("The end conversation cannot come before the start.")}
                )
        elif not areas:
            raise ValidationError(
                {"areas": _("Choose at least one area the person wants to work on.")}
            )
        conversation = Conversation(
            episode=locked,
            municipality_id=locked.municipality_id,
            kind=kind,
            held_on=held_on,
            held_by=by,
            goals_agreed=(goals_agreed or "").strip(),
            note=(note or "").strip(),
            areas=areas,
            own_goals=(own_goals or "").strip(),
            plan=(plan or "").strip(),
        )
        conversation.full_clean()
        conversation.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=conversation,
            municipality_id=locked.municipality_id,
            changes={"episode": locked.pk, "kind": kind, "areas": areas},
        )
    return conversation
