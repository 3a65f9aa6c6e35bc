"""Writes for goals, reviews and the programme's choice of instruments. Every write is checked,
atomic and audited; who may call them is decided by the views and the API
(:func:`kobling.outcomes.models.may_record_outcomes`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.lib.errors import ConflictError
from kobling.outcomes.choices import GoalStatus, InstrumentKind, ReviewKind
from kobling.outcomes.models import (
    Goal,
    Instrument,
    ProgrammeInstruments,
    Review,
    ReviewScore,
)
from kobling.outcomes.selectors import enabled_instruments
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Programme, User

GOAL_MAX_LENGTH = 500
UNSET: Any = object()


def _user(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _lock_pairing(pairing: Pairing) -> Pairing:
    return (
        Pairing.objects.select_for_update(of=("self",))
        .select_related("participant", "programme")
        .get(pk=pairing.pk)
    )


# --- goals --------------------------------------------------------------------------------------


def _goal_text_problems(text: str) -> dict[str, str]:
    if not text:
        return {"text": _("Write the goal in the participant's own words.")}
    if len(text) > GOAL_MAX_LENGTH:
        return {"text": _("Keep the goal to at most %(n)s characters.") % {"n": GOAL_MAX_LENGTH}}
    return {}


def _target_date_problems(pairing: Pairing, target_date: dt.date | None) -> dict[str, str]:
    if target_date is not None and target_date < timezone.localtime(pairing.confirmed_at).date():
        return {"target_date": _("The target date cannot be before the pairing was confirmed.")}
    return {}


def goal_create(
    *, pairing: Pairing, by: User | None, text: str, target_date: dt.date | None = None
) -> Goal:
    """Write down a goal the participant chose, in their own words, on an open pairing (before
    or after the start, not after the end). Audited."""
    text = (text or "").strip()
    problems = _goal_text_problems(text)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = _lock_pairing(pairing)
        if locked.status == PairingStatus.ENDED:
            raise ValidationError({"pairing": _("The pairing has ended; no new goals.")})
        problems = _target_date_problems(locked, target_date)
        if problems:
            raise ValidationError(problems)
        goal = Goal.objects.create(
            municipality_id=locked.municipality_id,
            pairing=locked,
            text=text,
            target_date=target_date,
            created_by=_user(by),
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=goal,
            changes={"pairing": locked.pk, "target_date": target_date, "status": goal.status},
        )
    return goal


def goal_update(
    *,
    goal: Goal,
    by: User | None,
    text: str | None = None,
    target_date: dt.date | None = UNSET,
    status: str | None = None,
    expected_version: int | None = None,
) -> Goal:
    """Change a goal's words, target date or status (open, achieved, partly, not achieved,
    dropped). ``expected_version`` guards against a concurrent edit (409). Audited."""
    with transaction.atomic():
        locked = (
            Goal.objects.select_for_update(of=("self",)).select_related("pairing").get(pk=goal.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise ConflictError(
                _(
                    "This goal was changed by someone else while you were looking at it. Reload to see the latest version; nothing was saved."
                )
            )
        before = {"text": locked.text, "target_date": locked.target_date, "status": locked.status}
        problems: dict[str, str] = {}
        if text is not None:
            text = text.strip()
            problems |= _goal_text_problems(text)
            locked.text = text
        if target_date is not UNSET:
            problems |= _target_date_problems(locked.pairing, target_date)
            locked.target_date = target_date
        if status is not None:
            if status not in GoalStatus.values:
                problems["status"] = _("Choose one of the statuses.")
            locked.status = status
        if problems:
            raise ValidationError(problems)
        after = {"text": locked.text, "target_date": locked.target_date, "status": locked.status}
        changes = diff(before, after)
        if not changes:
            return locked
        if "text" in changes:
            # The participant's words are not repeated in the log.
            changes["text"] = ["…", "…"]
        locked.version += 1
        locked.save(update_fields=["text", "target_date", "status", "version", "updated_at"])
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


# --- reviews ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreInput:
    """One score to record: the instrument's code, the value, and the goal for goal
    attainment."""

    instrument: str
    value: Any
    goal: int | None = None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("−", "-"))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _range_text(instrument: Instrument) -> str:
    return _("%(name)s: give a value from %(min)s to %(max)s%(unit)s.") % {
        "name": instrument.name,
        "min": f"{instrument.min_value.normalize():f}",
        "max": f"{instrument.max_value.normalize():f}",
        "unit": f" ({instrument.unit})" if instrument.unit else "",
    }


def _score_problems(
    pairing: Pairing, scores: list[ScoreInput]
) -> tuple[list[str], list[tuple[Instrument, Decimal, Goal | None]]]:
    enabled = {i.code: i for i in enabled_instruments(pairing.programme_id)}
    goals = {g.pk: g for g in Goal.objects.filter(pairing=pairing)}
    problems: list[str] = []
    checked: list[tuple[Instrument, Decimal, Goal | None]] = []
    seen: set[tuple[str, int | None]] = set()
    for score in scores:
        instrument = enabled.get(score.instrument)
        if instrument is None:
            known = Instrument.objects.filter(code=score.instrument).first()
            problems.append(
                _("%(name)s is not used by this programme.")
                % {"name": known.name if known else score.instrument}
            )
            continue
        goal = None
        if instrument.kind == InstrumentKind.GOAL:
            goal = goals.get(score.goal) if score.goal is not None else None
            if goal is None:
                problems.append(
                    _("%(name)s is given per goal: choose one of this pairing's goals.")
                    % {"name": instrument.name}
                )
                continue
        elif score.goal is not None:
            problems.append(
                _("%(name)s is not given per goal; leave the goal out.") % {"name": instrument.name}
            )
            continue
        key = (instrument.code, goal.pk if goal else None)
        if key in seen:
            problems.append(_("%(name)s is given twice.") % {"name": instrument.name})
            continue
        seen.add(key)
        value = _number(score.value)
        if value is None or not instrument.min_value <= value <= instrument.max_value:
            problems.append(_range_text(instrument))
            continue
        if value != value.quantize(Decimal(1).scaleb(-instrument.decimals)):
            problems.append(
                _range_text(instrument)
                + " "
                + (
                    _("Whole numbers only.")
                    if instrument.decimals == 0
                    else _("At most %(n)s decimals.") % {"n": instrument.decimals}
                )
            )
            continue
        checked.append((instrument, value, goal))
    return problems, checked


def review_record(
    *,
    pairing: Pairing,
    by: User | None,
    kind: str,
    date: dt.date | None,
    scores: list[ScoreInput],
    note: str = "",
    supersedes: Review | None = None,
    correction_reason: str = "",
) -> Review:
    """Record a review with its scores, or — with ``supersedes`` — a correction that replaces an
    earlier review (reviews are never edited). Refused, with nothing saved, when the pairing has
    not started, the date is in the future or before the start, only the end review may follow
    the end, the pairing already has a start (end) review, a score is for an instrument the
    programme does not use, or a value is outside the instrument's range. Each score stores the
    instrument's code, version and unit. Audited."""
    today = timezone.localdate()
    note = (note or "").strip()
    problems: dict[str, Any] = {}
    if kind not in ReviewKind.values:
        problems["kind"] = _("Choose start, periodic or end.")
    if date is None:
        problems["date"] = _("Give the date of the review.")
    elif date > today:
        problems["date"] = _("The review date cannot be in the future.")
    if len(note) > 500:
        problems["note"] = _("Keep the note to at most 500 characters.")
    if supersedes is not None and not (correction_reason or "").strip():
        problems["correction_reason"] = _("Say why the review is corrected.")
    if problems:
        raise ValidationError(problems)
    assert date is not None
    with transaction.atomic():
        locked = _lock_pairing(pairing)
        if locked.started_on is None or locked.status == PairingStatus.CONFIRMED:
            raise ValidationError(
                {"pairing": _("The pairing has not started yet; reviews begin at the start.")}
            )
        if date < locked.started_on:
            problems["date"] = _("The review cannot be before the pairing started.")
        if locked.ended_on is not None and date > locked.ended_on and kind != ReviewKind.END:
            problems["kind"] = _("After the pairing ended, only the end review can be recorded.")
        old = None
        if supersedes is not None:
            old = Review.objects.select_for_update().filter(pk=supersedes.pk).first()
            if old is None or old.pairing_id != locked.pk:
                raise ValidationError({"supersedes": _("No such review for this pairing.")})
            if old.is_void or Review.objects.filter(supersedes=old).exists():
                raise ConflictError(
                    _("This review has already been corrected. Reload to see the latest one.")
                )
        if kind in (ReviewKind.START, ReviewKind.END):
            twin = Review.objects.current().filter(pairing=locked, kind=kind)
            if old is not None:
                twin = twin.exclude(pk=old.pk)
            if twin.exists():
                problems["kind"] = (
                    _("The pairing already has a start review; correct that one instead.")
                    if kind == ReviewKind.START
                    else _("The pairing already has an end review; correct that one instead.")
                )
        if not scores:
            problems["scores"] = [_("Give at least one score.")]
        else:
            score_problems, checked = _score_problems(locked, scores)
            if score_problems:
                problems["scores"] = score_problems
        if problems:
            raise ValidationError(problems)
        review = Review.objects.create(
            municipality_id=locked.municipality_id,
            pairing=locked,
            kind=kind,
            date=date,
            note=note,
            supersedes=old,
            correction_reason=(correction_reason or "").strip()[:300],
            recorded_by=_user(by),
        )
        ReviewScore.objects.bulk_create(
            [
                ReviewScore(
                    municipality_id=locked.municipality_id,
                    review=review,
                    instrument=instrument,
                    instrument_code=instrument.code,
                    instrument_version=instrument.version,
                    unit=instrument.unit,
                    value=value,
                    goal=goal,
                )
                for instrument, value, goal in checked
            ]
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=review,
            changes={
                "pairing": locked.pk,
                "kind": kind,
                "date": date,
                "supersedes": old.pk if old else None,
                "scores": [
                    f"{i.code}@{i.version}{f'/goal {g.pk}' if g else ''}={v}" for i, v, g in checked
                ],
            },
        )
    return review


def review_withdraw(*, review: Review, by: User | None, reason: str) -> Review:
    """Withdraw a review recorded by mistake: a correction with no scores that marks it void.
    The original stays in the history. Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": _("Say why the review is withdrawn.")})
    with transaction.atomic():
        locked = _lock_pairing(review.pairing)
        old = Review.objects.select_for_update().get(pk=review.pk)
        if old.is_void or Review.objects.filter(supersedes=old).exists():
            raise ConflictError(
                _("This review has already been corrected. Reload to see the latest one.")
            )
        void = Review.objects.create(
            municipality_id=locked.municipality_id,
            pairing=locked,
            kind=old.kind,
            date=old.date,
            supersedes=old,
            is_void=True,
            correction_reason=reason[:300],
            recorded_by=_user(by),
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=void,
            changes={"pairing": locked.pk, "withdraws": old.pk, "reason": reason[:200]},
        )
    return void


# --- programme settings -------------------------------------------------------------------------


def programme_instruments_set(
    *,
    programme: Programme,
    by: User | None,
    instruments: list[Instrument],
    expected_version: int | None = None,
) -> ProgrammeInstruments:
    """Choose which instruments the programme's reviews use. Reviews already recorded keep
    their scores; new reviews offer only the chosen instruments. At least one is required.
    Audited."""
    chosen = sorted({i.pk: i for i in instruments if i.is_active}.values(), key=lambda i: i.pk)
    if not chosen:
        raise ValidationError({"instruments": _("Choose at least one instrument.")})
    with transaction.atomic():
        settings_row, created = ProgrammeInstruments.objects.select_for_update().get_or_create(
            programme=programme, defaults={"municipality_id": programme.municipality_id}
        )
        if created:
            before = sorted(i.code for i in enabled_instruments_core())
        else:
            if expected_version is not None and settings_row.version != expected_version:
                raise ConflictError(
                    _(
                        "The instruments were changed by someone else while you were looking. Reload; nothing was saved."
                    )
                )
            before = sorted(settings_row.instruments.values_list("code", flat=True))
        settings_row.instruments.set(chosen)
        if not created:
            settings_row.version += 1
        settings_row.updated_by = _user(by)
        settings_row.save(update_fields=["version", "updated_by", "updated_at"])
        after = sorted(i.code for i in chosen)
        audit_log(
            user=by,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=settings_row,
            changes={"programme": programme.pk, "instruments": [before, after]},
        )
    return settings_row


def enabled_instruments_core() -> list[Instrument]:
    return list(Instrument.objects.filter(is_active=True, is_core=True))
