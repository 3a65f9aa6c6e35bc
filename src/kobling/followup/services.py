"""Writes for pairings: confirming a proposal into a pairing (the contact's place is guarded in the
database), the introduction meeting, the states confirmed → active → paused → ended, and a
re-match after a broken pair that avoids the previous contact unless the coordinator says not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kobling.followup.choices import (
    OPEN_PAIRING_STATUSES,
    PAIRING_TRANSITIONS,
    EndReason,
    HandoverDestination,
    PairingStatus,
)
from kobling.followup.course import course_sync
from kobling.followup.models import Pairing, Session
from kobling.lib.errors import ConflictError
from kobling.matching.choices import PairRuleKind, ProposalStatus
from kobling.matching.models import PairRule, Proposal
from kobling.matching.services import lock_open_proposal
from kobling.referrals.choices import OPEN_STATUSES, ReferralStatus
from kobling.referrals.models import Referral
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import User

# Endings after which a re-match avoids the same contact, unless the coordinator says otherwise.
BROKEN_PAIR_REASONS = frozenset({EndReason.NO_CHEMISTRY, EndReason.CONTACT_LEFT})

_OPEN = [s.value for s in OPEN_PAIRING_STATUSES]


def _user(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def free_slot(*, helper_id: int, capacity: int) -> int | None:
    """The lowest place number below ``capacity`` that no open pairing of the helper holds."""
    taken = list(
        Pairing.objects.filter(helper_id=helper_id, status__in=_OPEN).values_list("slot", flat=True)
    )
    if len(taken) >= capacity:
        # Also when capacity was lowered below the places held: the open pairings count, not
        # only the place numbers.
        return None
    return next((slot for slot in range(capacity) if slot not in set(taken)), None)


def _intro_problems(at: dt.datetime | None, place: str) -> dict[str, str]:
    if place and at is None:
        return {"intro_meeting_at": _("Give the time of the introduction meeting too.")}
    return {}


def _notify(pairing: Pairing, *, contact_event: str | None, participant: bool) -> None:
    """Put the e-mails in the outbox, which sends them once the transaction has committed
    (never for a rolled-back change)."""
    from kobling.followup.pairing_mail import pairing_mail_queue

    pairing_mail_queue(pairing=pairing, contact_event=contact_event, participant=participant)


def _set_referral_status(
    referral: Referral,
    *,
    by: User | None,
    status: str,
    avoid_helper_id: int | None = None,
) -> None:
    """Move the (row-locked) referral along with its pairing, audited — and the course with it
    (:func:`kobling.followup.course.course_sync`)."""
    before = {"status": referral.status, "avoid_helper": referral.avoid_helper_id}
    referral.status = status
    fields = ["status", "version", "updated_at"]
    if status == ReferralStatus.WAITING:
        referral.avoid_helper_id = avoid_helper_id
        referral.closed_at = None
        fields += ["avoid_helper", "closed_at"]
    elif status == ReferralStatus.CLOSED:
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.version += 1
    referral.save(update_fields=fields)
    changes = {"status": [before["status"], status]}
    if before["avoid_helper"] != referral.avoid_helper_id:
        changes["avoid_helper"] = [before["avoid_helper"], referral.avoid_helper_id]
    audit_log(user=by, action=AuditAction.UPDATE, obj=referral, changes=changes)
    course_sync(referral, by=by)


def pairing_confirm(
    *,
    proposal: Proposal,
    by: User | None,
    intro_meeting_at: dt.datetime | None = None,
    intro_meeting_place: str = "",
    notify: bool = True,
) -> Pairing:
    """Turn a proposal into a pairing. Refused (409) when the run was superseded or closed, the
    proposal was already handled, the participant is no longer waiting, or the contact has no
    free place. The place is the lowest free slot below the contact's capacity; the database's
    unique constraints on (contact, place) and (referral) among open pairings make two
    coordinators confirming at once safe — the loser gets a clear 409. The contact (and, when a
    meeting is set, the participant) are e-mailed after commit unless ``notify`` is off (demo
    data). Audited."""
    intro_meeting_place = (intro_meeting_place or "").strip()
    problems = _intro_problems(intro_meeting_at, intro_meeting_place)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = lock_open_proposal(proposal)
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("participant")
            .get(pk=locked.referral_id)
        )
        helper = locked.helper
        if referral.status != ReferralStatus.WAITING:
            raise ConflictError(
                _("%(name)s is no longer waiting for a contact (%(status)s).")
                % {"name": referral.participant.full_name, "status": referral.get_status_display()}
            )
        if not helper.is_available_for_matching:
            raise ConflictError(
                _("%(name)s is no longer available for matching.") % {"name": helper.full_name}
            )
        forbidden = PairRule.objects.filter(
            referral=referral, helper=helper, kind=PairRuleKind.FORBID
        ).exists()
        if forbidden or referral.avoid_helper_id == helper.pk:
            raise ConflictError(
                _("This pair is ruled out (forbidden, or the previous contact to avoid).")
            )
        no_place = _("%(name)s has no free place left.") % {"name": helper.full_name}
        pairing = None
        # Each failed attempt means another confirmation took a place in between; look again.
        for _attempt in range(helper.capacity + 1):
            slot = free_slot(helper_id=helper.pk, capacity=helper.capacity)
            if slot is None:
                raise ConflictError(no_place)
            candidate = Pairing(
                municipality_id=locked.municipality_id,
                programme_id=referral.programme_id,
                referral=referral,
                participant_id=referral.participant_id,
                helper=helper,
                proposal=locked,
                slot=slot,
                status=PairingStatus.CONFIRMED,
                confirmed_at=timezone.now(),
                confirmed_by=_user(by),
                intro_meeting_at=intro_meeting_at,
                intro_meeting_place=intro_meeting_place[:160],
            )
            try:
                with transaction.atomic():
                    candidate.save()
            except IntegrityError:
                if Pairing.objects.filter(referral=referral, status__in=_OPEN).exists():
                    raise ConflictError(
                        _("%(name)s is already paired.") % {"name": referral.participant.full_name}
                    ) from None
                continue
            pairing = candidate
            break
        if pairing is None:
            raise ConflictError(no_place)
        locked.status = ProposalStatus.CONFIRMED
        locked.save(update_fields=["status"])
        _set_referral_status(referral, by=by, status=ReferralStatus.PAIRED)
        # A lock has done its work once the participant is paired; left in place it would force
        # the same pair again at a later re-match. (Forbids stay: "never this pair" still holds.)
        for rule in PairRule.objects.filter(referral=referral, kind=PairRuleKind.LOCK):
            audit_log(user=by, action=AuditAction.DELETE, obj=rule, changes={"reason": "paired"})
            rule.delete()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [ProposalStatus.PROPOSED, ProposalStatus.CONFIRMED]},
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=pairing,
            changes={
                "proposal": locked.pk,
                "referral": referral.pk,
                "helper": helper.pk,
                "slot": pairing.slot,
                "intro_meeting_at": intro_meeting_at,
                "intro_meeting_place": pairing.intro_meeting_place,
            },
        )
        if notify:
            _notify(pairing, contact_event="confirmed", participant=intro_meeting_at is not None)
    return pairing


def _lock(pairing: Pairing, expected_version: int | None) -> Pairing:
    locked = (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("participant", "helper", "referral")
        .get(pk=pairing.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "This pairing was changed by someone else while you were looking at it. Reload to see the latest version; nothing was saved."
            )
        )
    return locked


def _move(pairing: Pairing, to_status: str) -> str:
    """Check the state change; return the status moved from."""
    if to_status not in PAIRING_TRANSITIONS[pairing.status]:
        raise ValidationError(
            {
                "status": _("A pairing cannot go from %(from)s to %(to)s.")
                % {
                    "from": PairingStatus(pairing.status).label.lower(),
                    "to": PairingStatus(to_status).label.lower(),
                }
            }
        )
    before = pairing.status
    pairing.status = to_status
    pairing.version += 1
    return before


def pairing_schedule_intro(
    *,
    pairing: Pairing,
    by: User | None,
    at: dt.datetime,
    place: str,
    expected_version: int | None = None,
    notify: bool = True,
) -> Pairing:
    """Set (or move) the introduction meeting — coordinator, contact and participant — and tell
    the contact and the participant when and where. Only before the pair has ended or paused."""
    place = (place or "").strip()
    if at is None:
        raise ValidationError({"intro_meeting_at": _("Give the time of the meeting.")})
    if not place:
        raise ValidationError({"intro_meeting_place": _("Give the place of the meeting.")})
    with transaction.atomic():
        locked = _lock(pairing, expected_version)
        if locked.status not in (PairingStatus.CONFIRMED, PairingStatus.ACTIVE):
            raise ValidationError(
                {
                    "status": _("The introduction meeting cannot be set for a %(status)s pairing.")
                    % {"status": locked.get_status_display().lower()}
                }
            )
        before = [locked.intro_meeting_at, locked.intro_meeting_place]
        locked.intro_meeting_at = at
        locked.intro_meeting_place = place[:160]
        locked.version += 1
        locked.save(update_fields=["intro_meeting_at", "intro_meeting_place", "version"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "intro_meeting_at": [before[0], at],
                "intro_meeting_place": [before[1], locked.intro_meeting_place],
            },
        )
        if notify:
            _notify(locked, contact_event="intro", participant=True)
    return locked


def pairing_activate(
    *,
    pairing: Pairing,
    by: User | None,
    started_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Pairing:
    """The pair has started meeting: confirmed → active, with the start date (today unless
    given; not in the future)."""
    today = timezone.localdate()
    started_on = started_on or today
    if started_on > today:
        raise ValidationError({"started_on": _("The start date cannot be in the future.")})
    with transaction.atomic():
        locked = _lock(pairing, expected_version)
        if started_on < timezone.localtime(locked.confirmed_at).date():
            raise ValidationError(
                {"started_on": _("The pairing cannot start before it was confirmed.")}
            )
        if locked.status == PairingStatus.PAUSED:
            # Paused pairs resume (pairing_resume); their start date stays.
            raise ConflictError(_("A paused pairing resumes; it does not start again."))
        before = _move(locked, PairingStatus.ACTIVE)
        locked.started_on = started_on
        locked.save(update_fields=["status", "started_on", "version"])
        course_sync(locked.referral, by=by)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "started_on": started_on},
        )
    return locked


def _simple_move(
    pairing: Pairing, *, by: User | None, to_status: str, reason: str, expected_version: int | None
) -> Pairing:
    with transaction.atomic():
        locked = _lock(pairing, expected_version)
        if to_status == PairingStatus.ACTIVE and locked.status == PairingStatus.CONFIRMED:
            # Resuming is for paused pairs; a confirmed pair starts (with a start date).
            raise ValidationError(
                {
                    "status": _("A pairing cannot go from %(from)s to %(to)s.")
                    % {
                        "from": PairingStatus.CONFIRMED.label.lower(),
                        "to": PairingStatus.ACTIVE.label.lower(),
                    }
                }
            )
        before = _move(locked, to_status)
        # Sessions after the pause began cannot be logged until the pair resumes.
        paused_before = locked.paused_on
        locked.paused_on = timezone.localdate() if to_status == PairingStatus.PAUSED else None
        locked.save(update_fields=["status", "paused_on", "version"])
        course_sync(locked.referral, by=by)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "status": [before, to_status],
                "paused_on": [paused_before, locked.paused_on],
                "reason": reason[:200],
            },
        )
    return locked


def pairing_pause(
    *, pairing: Pairing, by: User | None, reason: str = "", expected_version: int | None = None
) -> Pairing:
    """Active → paused (illness, holidays); the contact's place stays taken."""
    return _simple_move(
        pairing,
        by=by,
        to_status=PairingStatus.PAUSED,
        reason=reason,
        expected_version=expected_version,
    )


def pairing_resume(
    *, pairing: Pairing, by: User | None, reason: str = "", expected_version: int | None = None
) -> Pairing:
    """Paused → active again."""
    return _simple_move(
        pairing,
        by=by,
        to_status=PairingStatus.ACTIVE,
        reason=reason,
        expected_version=expected_version,
    )


def _reopen_problems(referral: Referral) -> dict[str, str]:
    other_open = (
        Referral.objects.filter(
            participant_id=referral.participant_id,
            programme_id=referral.programme_id,
            status__in=[s.value for s in OPEN_STATUSES],
        )
        .exclude(pk=referral.pk)
        .exists()
    )
    if other_open:
        return {
            "referral": _("The participant already has another open referral to this programme.")
        }
    return {}


def pairing_end(
    *,
    pairing: Pairing,
    by: User | None,
    reason: str,
    handover_destination: str = "",
    handover_note: str = "",
    handover_partner: Any = None,
    note: str = "",
    ended_on: dt.date | None = None,
    participant_continues: bool = False,
    same_contact_ok: bool | None = None,
    expected_version: int | None = None,
) -> Pairing:
    """End the pair with a reason (and a note) and a hand-over: where the participant goes on
    to be active (``handover_destination``, required — "none" is an answer) and how
    (``handover_note``), and optionally the partner organisation that took the participant
    over (``handover_partner``: a Partner or its id; an active partner of the pairing's
    municipality). The contact's place is free again. If the participant continues, the
    referral goes back on the waiting list — and after a broken pair (no chemistry, the contact
    left) the re-match avoids this contact unless the coordinator says the same contact may be
    proposed again. Otherwise the referral is closed."""
    problems: dict[str, str] = {}
    if reason not in EndReason.values:
        problems["reason"] = _("Give a reason for ending.")
    if handover_destination not in HandoverDestination.values:
        problems["handover_destination"] = _(
            "Say where the participant goes on to be active (or none)."
        )
    partner = None
    if handover_partner not in (None, ""):
        from kobling.partners.models import Partner

        partner_pk = getattr(handover_partner, "pk", handover_partner)
        # Looked up within the pairing's municipality: another municipality's partner gets the
        # same answer as one that does not exist.
        partner = Partner.objects.filter(
            pk=partner_pk if str(partner_pk).isdigit() else None,
            municipality_id=pairing.municipality_id,
            is_active=True,
        ).first()
        if partner is None:
            problems["handover_partner"] = _(
                "Choose an active partner of the pairing's municipality."
            )
    if problems:
        raise ValidationError(problems)
    handover_note = (handover_note or "").strip()
    today = timezone.localdate()
    ended_on = ended_on or today
    if ended_on > today:
        raise ValidationError({"ended_on": _("The end date cannot be in the future.")})
    with transaction.atomic():
        locked = _lock(pairing, expected_version)
        if locked.started_on and ended_on < locked.started_on:
            raise ValidationError({"ended_on": _("The pairing cannot end before it started.")})
        if ended_on < timezone.localtime(locked.confirmed_at).date():
            raise ValidationError(
                {"ended_on": _("The pairing cannot end before it was confirmed.")}
            )
        later = (
            Session.objects.current()
            .filter(pairing=locked, date__gt=ended_on)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if later is not None:
            raise ValidationError(
                {
                    "ended_on": _(
                        "Sessions are logged after this date (the last on %(day)s); end the "
                        "pairing on or after it, or correct those sessions."
                    )
                    % {"day": date_format(later, "SHORT_DATE_FORMAT")}
                }
            )
        before = _move(locked, PairingStatus.ENDED)
        locked.ended_on = ended_on
        locked.end_reason = reason
        locked.end_note = note
        locked.handover_destination = handover_destination
        locked.handover_note = handover_note
        locked.handover_partner = partner
        locked.save(
            update_fields=[
                "status",
                "ended_on",
                "end_reason",
                "end_note",
                "handover_destination",
                "handover_note",
                "handover_partner",
                "version",
            ]
        )
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "status": [before, PairingStatus.ENDED],
                "end_reason": reason,
                "handover_destination": handover_destination,
                "handover_partner": partner.pk if partner else None,
                "ended_on": ended_on,
                "participant_continues": participant_continues,
            },
        )
        referral = Referral.objects.select_for_update().get(pk=locked.referral_id)
        if referral.status == ReferralStatus.PAIRED:
            if participant_continues:
                avoid = (
                    reason in BROKEN_PAIR_REASONS
                    if same_contact_ok is None
                    else not same_contact_ok
                )
                _set_referral_status(
                    referral,
                    by=by,
                    status=ReferralStatus.WAITING,
                    avoid_helper_id=locked.helper_id if avoid else None,
                )
            else:
                _set_referral_status(referral, by=by, status=ReferralStatus.CLOSED)
    return locked


def pairing_rematch(
    *, pairing: Pairing, by: User | None, same_contact_ok: bool = False
) -> Referral:
    """After an ended pair: put the participant back on the waiting list for a new contact. The
    re-match avoids this pairing's contact unless ``same_contact_ok``."""
    with transaction.atomic():
        locked = _lock(pairing, None)
        if locked.status != PairingStatus.ENDED:
            raise ValidationError({"status": _("End the pairing before finding a new contact.")})
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("participant")
            .get(pk=locked.referral_id)
        )
        if Pairing.objects.filter(referral=referral, status__in=_OPEN).exists():
            raise ValidationError({"referral": _("The participant already has a new contact.")})
        if referral.status not in (ReferralStatus.WAITING, ReferralStatus.CLOSED):
            raise ValidationError(
                {
                    "referral": _("The referral cannot go back on the waiting list (%(status)s).")
                    % {"status": referral.get_status_display()}
                }
            )
        if referral.status == ReferralStatus.CLOSED:
            problems = _reopen_problems(referral)
            if problems:
                raise ValidationError(problems)
        avoid = None if same_contact_ok else locked.helper_id
        if referral.status != ReferralStatus.WAITING or referral.avoid_helper_id != avoid:
            _set_referral_status(
                referral, by=by, status=ReferralStatus.WAITING, avoid_helper_id=avoid
            )
    return referral
