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
from django.db.models import QuerySet
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
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Delivery
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


@dataclass
class _Subject:
    """What a review is of: a pairing (the treningskontakt's reviews, as before) or a course
    that no pairing delivers (a group course's start and end reviews). Locked on creation."""

    pairing: Pairing | None
    course: Episode | None

    @classmethod
    def lock(cls, *, pairing: Pairing | None, course: Episode | None) -> _Subject:
        if (pairing is None) == (course is None):
            raise ValueError("A review is of a pairing or of a course, not both.")
        if pairing is not None:
            return cls(_lock_pairing(pairing), None)
        assert course is not None
        locked = Episode.objects.select_for_update(of=("self",)).get(pk=course.pk)
        if locked.delivery == Delivery.ONE_TO_ONE:
            raise ValidationError(
                {"course": _("A one-to-one course is reviewed through its pairing.")}
            )
        return cls(None, locked)

    @property
    def _row(self) -> Pairing | Episode:
        row = self.pairing or self.course
        assert row is not None
        return row

    @property
    def course_id(self) -> int:
        return self.pairing.episode_id if self.pairing is not None else self._row.pk

    @property
    def municipality_id(self) -> int:
        return self._row.municipality_id

    @property
    def programme_id(self) -> int:
        return self._row.programme_id

    @property
    def started_on(self) -> dt.date | None:
        if self.pairing is not None:
            started = self.pairing.status != PairingStatus.CONFIRMED
            return self.pairing.started_on if started else None
        return self._row.started_on

    @property
    def ended_on(self) -> dt.date | None:
        return self._row.ended_on

    def goals(self) -> QuerySet[Goal]:
        if self.pairing is not None:
            return Goal.objects.filter(pairing=self.pairing)
        return Goal.objects.filter(episode_id=self.course_id, pairing__isnull=True)

    def reviews(self) -> QuerySet[Review]:
        if self.pairing is not None:
            return Review.objects.filter(pairing=self.pairing)
        return Review.objects.filter(episode_id=self.course_id, pairing__isnull=True)

    def owns(self, review: Review) -> bool:
        if self.pairing is not None:
            return review.pairing_id == self.pairing.pk
        return review.episode_id == self.course_id and review.pairing_id is None

    def says(self, what: str) -> str:
        """The refusal in the words of what is reviewed."""
        return (_PAIRING_SAYS if self.pairing is not None else _COURSE_SAYS)[what]()

    def audit(self) -> dict[str, int]:
        if self.pairing is not None:
            return {"pairing": self.pairing.pk}
        return {"course": self.course_id}


_PAIRING_SAYS = {
    "not_started": lambda: _("The pairing has not started yet; reviews begin at the start."),
    "before_start": lambda: _("The review cannot be before the pairing started."),
    "after_end": lambda: _("After the pairing ended, only the end review can be recorded."),
    "no_such": lambda: _("No such review for this pairing."),
    "twin_start": lambda: _("The pairing already has a start review; correct that one instead."),
    "twin_end": lambda: _("The pairing already has an end review; correct that one instead."),
    "per_goal": lambda: _("%(name)s is given per goal: choose one of this pairing's goals."),
}
_COURSE_SAYS = {
    "not_started": lambda: _("The course has not started yet; reviews begin at the start."),
    "before_start": lambda: _("The review cannot be before the course started."),
    "after_end": lambda: _("After the course ended, only the end review can be recorded."),
    "no_such": lambda: _("No such review for this course."),
    "twin_start": lambda: _("The course already has a start review; correct that one instead."),
    "twin_end": lambda: _("The course already has an end review; correct that one instead."),
    "per_goal": lambda: _("%(name)s is given per goal: choose one of this course's goals."),
}


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
    subject: _Subject, scores: list[ScoreInput]
) -> tuple[list[str], list[tuple[Instrument, Decimal, Goal | None]]]:
    enabled = {i.code: i for i in enabled_instruments(subject.programme_id)}
    goals = {g.pk: g for g in subject.goals()}
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
                problems.append(subject.says("per_goal") % {"name": instrument.name})
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
    pairing: Pairing | None = None,
    course: Episode | None = None,
    by: User | None,
    kind: str,
    date: dt.date | None,
    scores: list[ScoreInput],
    note: str = "",
    supersedes: Review | None = None,
    correction_reason: str = "",
) -> Review:
    """Record a review with its scores, or — with ``supersedes`` — a correction that replaces an
    earlier review (reviews are never edited). A review is of a ``pairing`` or, where no pairing
    delivers the course (a group course), of the ``course``. Refused, with nothing saved, when the
    pairing (course) has
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
        subject = _Subject.lock(pairing=pairing, course=course)
        started_on = subject.started_on
        if started_on is None:
            field = "pairing" if subject.pairing is not None else "course"
            raise ValidationError({field: subject.says("not_started")})
        if date < started_on:
            problems["date"] = subject.says("before_start")
        ended_on = subject.ended_on
        if ended_on is not None and date > ended_on and kind != ReviewKind.END:
            problems["kind"] = subject.says("after_end")
        old = None
        if supersedes is not None:
            old = Review.objects.select_for_update().filter(pk=supersedes.pk).first()
            if old is None or not subject.owns(old):
                raise ValidationError({"supersedes": subject.says("no_such")})
            if old.is_void or Review.objects.filter(supersedes=old).exists():
                raise ConflictError(
                    _("This review has already been corrected. Reload to see the latest one.")
                )
        if kind in (ReviewKind.START, ReviewKind.END):
            twin = subject.reviews().current().filter(kind=kind)
            if old is not None:
                twin = twin.exclude(pk=old.pk)
            if twin.exists():
                problems["kind"] = subject.says(
                    "twin_start" if kind == ReviewKind.START else "twin_end"
                )
        if not scores:
            problems["scores"] = [_("Give at least one score.")]
        else:
            score_problems, checked = _score_problems(subject, scores)
            if score_problems:
                problems["scores"] = score_problems
        if problems:
            raise ValidationError(problems)
        review = Review.objects.create(
            municipality_id=subject.municipality_id,
            episode_id=subject.course_id,
            pairing=subject.pairing,
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
                    municipality_id=subject.municipality_id,
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
                **subject.audit(),
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
        subject = _Subject.lock(
            pairing=review.pairing, course=review.episode if review.pairing is None else None
        )
        old = Review.objects.select_for_update().get(pk=review.pk)
        if old.is_void or Review.objects.filter(supersedes=old).exists():
            raise ConflictError(
                _("This review has already been corrected. Reload to see the latest one.")
            )
        void = Review.objects.create(
            municipality_id=subject.municipality_id,
            episode_id=subject.course_id,
            pairing=subject.pairing,
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
            changes={**subject.audit(), "withdraws": old.pk, "reason": reason[:200]},
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
