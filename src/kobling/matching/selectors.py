"""Reads for matching: who may be matched (waiting participants, eligible contacts), the
translation of models into the engine's plain data, and the coordinator's view of a run —
every factor said in words rather than numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from kobling.courses.models import Qualification
from kobling.helpers.choices import (
    PLACE_TAKING_PAIRING_STATUSES,
    Gender,
    HelperStatus,
    Language,
    Weekday,
)
from kobling.helpers.models import Activity, AvailabilityWindow, Helper, TargetGroup
from kobling.matching.choices import PairRuleKind, ProposalStatus
from kobling.matching.engine import reasons
from kobling.matching.engine.types import (
    FACTORS,
    Constraints,
    ContactSpec,
    ParticipantSpec,
    TimeWindow,
)
from kobling.matching.models import MatchingRun, PairRule, Proposal
from kobling.referrals.choices import ReferralStatus
from kobling.referrals.models import PreferredTime, Referral
from kobling.tenancy.models import Programme

# --- who may be matched -----------------------------------------------------------------------


def open_pairings_count() -> Count:
    """Annotation: the helper's open pairings (each takes one place)."""
    return Count(
        "pairings",
        filter=Q(pairings__status__in=PLACE_TAKING_PAIRING_STATUSES),
        distinct=True,
    )


def eligible_contacts(*, programme: Programme, today: dt.date | None = None) -> QuerySet[Helper]:
    """Contacts a run may propose: the programme's helpers who are active, have confirmed their
    availability, hold a valid qualification where the programme requires one, and have a place
    left (capacity minus open pairings). Annotated with ``places_left``; a fixed number of
    queries whatever the size (the qualification is an EXISTS, not a query per helper)."""
    today = today or timezone.localdate()
    queryset = Helper.objects.filter(
        programme=programme, status=HelperStatus.ACTIVE, is_unconfirmed=False
    )
    if programme.requires_qualification:
        valid = Qualification.objects.filter(
            helper=OuterRef("pk"), programme=programme, qualified_on__lte=today
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        queryset = queryset.filter(Exists(valid))
    return (
        queryset.annotate(open_pairings=open_pairings_count())
        .annotate(places_left=F("capacity") - F("open_pairings"))
        .filter(places_left__gt=0)
        .prefetch_related(
            "activities",
            "target_groups",
            Prefetch(
                "availability",
                queryset=AvailabilityWindow.objects.order_by("weekday", "start_time"),
            ),
        )
        .order_by("id")
    )


def referral_matching_queryset(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Everything the translation to engine data reads, in a fixed number of queries."""
    return queryset.select_related("participant", "programme", "avoid_helper").prefetch_related(
        "preferred_activities",
        "target_groups",
        Prefetch(
            "preferred_times", queryset=PreferredTime.objects.order_by("weekday", "start_time")
        ),
    )


def waiting_referrals(
    *, programme: Programme, ids: Iterable[int] | None = None
) -> QuerySet[Referral]:
    """The programme's participants waiting for a contact (all of them, or the chosen ``ids``)."""
    queryset = Referral.objects.filter(programme=programme, status=ReferralStatus.WAITING)
    if ids is not None:
        queryset = queryset.filter(pk__in=sorted(set(ids)))
    return referral_matching_queryset(queryset).order_by("priority", "granted_at", "id")


# --- translation into the engine's plain data ------------------------------------------------


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _windows(rows: Iterable[Any]) -> tuple[TimeWindow, ...]:
    return tuple(
        TimeWindow(weekday=int(w.weekday), start=_minutes(w.start_time), end=_minutes(w.end_time))
        for w in rows
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _gender(value: str) -> str:
    # "Prefer not to say" is no gender for matching: it neither meets nor breaks a wish.
    return "" if value in ("", Gender.UNSPECIFIED) else value


def participant_spec(referral: Referral) -> ParticipantSpec:
    """One waiting referral as the engine sees it. The engine's participant id is the referral
    id: a person is matched per referral (programme)."""
    participant = referral.participant
    return ParticipantSpec(
        id=referral.pk,
        activities=frozenset(a.code for a in referral.preferred_activities.all()),
        target_groups=frozenset(t.code for t in referral.target_groups.all()),
        windows=_windows(referral.preferred_times.all()),
        lat=_float(participant.latitude),
        lon=_float(participant.longitude),
        postcode=participant.postcode or "",
        max_travel_km=_float(referral.max_travel_km),
        preferred_gender=_gender(referral.preferred_gender),
        gender_must=bool(referral.gender_is_must and _gender(referral.preferred_gender)),
        contact_age_min=referral.contact_age_min,
        contact_age_max=referral.contact_age_max,
        age_must=bool(
            referral.age_is_must
            and (referral.contact_age_min is not None or referral.contact_age_max is not None)
        ),
        languages=frozenset(referral.languages or []),
        language_must=bool(referral.language_is_must and referral.languages),
        avoid_contacts=frozenset({referral.avoid_helper_id})
        if referral.avoid_helper_id
        else frozenset(),
    )


def contact_spec(helper: Helper, *, today: dt.date) -> ContactSpec:
    """One eligible contact as the engine sees it; ``capacity`` is the places left now."""
    places_left = getattr(helper, "places_left", None)
    if places_left is None:
        places_left = helper.capacity - getattr(helper, "open_pairings", 0)
    return ContactSpec(
        id=helper.pk,
        capacity=max(0, places_left),
        activities=frozenset(a.code for a in helper.activities.all()),
        target_groups=frozenset(t.code for t in helper.target_groups.all()),
        windows=_windows(helper.availability.all()),
        lat=_float(helper.latitude),
        lon=_float(helper.longitude),
        postcode=helper.postcode or "",
        gender=_gender(helper.gender),
        age=(today.year - helper.birth_year) if helper.birth_year else None,
        languages=frozenset(helper.languages or []),
    )


def constraints_for(*, referral_ids: Iterable[int], helper_ids: Iterable[int]) -> Constraints:
    """The coordinator's locks and forbids that concern these participants and contacts."""
    helpers = set(helper_ids)
    rules = PairRule.objects.filter(
        referral__in=sorted(set(referral_ids)), helper__in=sorted(helpers)
    )
    locked, forbidden = set(), set()
    for referral_id, helper_id, kind in rules.values_list("referral_id", "helper_id", "kind"):
        (locked if kind == PairRuleKind.LOCK else forbidden).add((referral_id, helper_id))
    return Constraints(locked=frozenset(locked), forbidden=frozenset(forbidden))


# --- lists and the run page ------------------------------------------------------------------


def run_list_queryset(queryset: QuerySet[MatchingRun]) -> QuerySet[MatchingRun]:
    return (
        queryset.select_related("municipality", "programme", "created_by")
        .annotate(
            participant_count=Count("referrals", distinct=True),
            proposal_count=Count("proposals", distinct=True),
            confirmed_count=Count(
                "proposals",
                filter=Q(proposals__status=ProposalStatus.CONFIRMED),
                distinct=True,
            ),
        )
        .order_by(*MatchingRun._meta.ordering)
    )


def proposal_list_queryset(queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return queryset.select_related(
        "run", "municipality", "referral__participant", "referral__programme", "helper"
    )


def pair_rule_list_queryset(queryset: QuerySet[PairRule]) -> QuerySet[PairRule]:
    return queryset.select_related("referral__participant", "helper", "created_by").order_by(
        "-created_at", "-id"
    )


# --- explanations ----------------------------------------------------------------------------


@dataclass
class Names:
    """Codes → names in the current language, fetched once per page or response."""

    activities: dict[str, str] = field(default_factory=dict)
    target_groups: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Names:
        return cls(
            activities={a.code: str(a) for a in Activity.objects.all()},
            target_groups={t.code: str(t) for t in TargetGroup.objects.all()},
        )

    def activity_list(self, codes: Iterable[str]) -> list[str]:
        """Names in the managed list's order (walking before swimming), not the codes' order."""
        order = {code: i for i, code in enumerate(self.activities)}
        return [self.activity(c) for c in sorted(codes, key=lambda c: (order.get(c, 999), c))]

    def target_group_list(self, codes: Iterable[str]) -> list[str]:
        order = {code: i for i, code in enumerate(self.target_groups)}
        return [self.target_group(c) for c in sorted(codes, key=lambda c: (order.get(c, 999), c))]

    def activity(self, code: str) -> str:
        return self.activities.get(code, code).lower() if code else ""

    def target_group(self, code: str) -> str:
        return self.target_groups.get(code, code).lower() if code else ""

    @staticmethod
    def language(code: str) -> str:
        name = str(dict(Language.choices).get(code, code))
        # Norwegian writes language names in lower case ("begge snakker arabisk").
        return name.lower() if (get_language() or "").startswith(("nb", "nn", "no")) else name


FACTOR_LABELS: dict[str, Callable[[], str]] = {
    "activity": lambda: _("Activities"),
    "distance": lambda: _("Distance"),
    "availability": lambda: _("Times"),
    "target_group": lambda: _("Target-group competence"),
    "preferences": lambda: _("The participant's wishes"),
    "language": lambda: _("Language"),
}


def factor_label(name: str) -> str:
    label = FACTOR_LABELS.get(name)
    return label() if label else name.replace("_", " ").capitalize()


def join_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" — in the current language."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _clock(minutes: Any) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours:02d}" if not rest else f"{hours:02d}:{rest:02d}"


def time_span(window: Any) -> str:
    """{"weekday": 1, "start": 1020, "end": 1140} → "Tuesday 17–19"."""
    weekday, start, end = window.get("weekday"), window.get("start"), window.get("end")
    try:
        day = str(Weekday(int(weekday)).label)
    except (TypeError, ValueError):
        day = ""
    if start is None or end is None:
        return day
    return f"{day} {_clock(start)}–{_clock(end)}".strip()


def window_overlaps(a: Iterable[TimeWindow], b: Iterable[TimeWindow]) -> list[dict[str, int]]:
    """The weekly windows two people share, as {"weekday", "start", "end"} (minutes), in order."""
    found = []
    others = list(b)
    for x in a:
        for y in others:
            if x.weekday == y.weekday:
                start, end = max(x.start, y.start), min(x.end, y.end)
                if end > start:
                    found.append({"weekday": x.weekday, "start": start, "end": end})
    return sorted(found, key=lambda w: (w["weekday"], w["start"]))


def _list(details: dict[str, Any], key: str) -> list[Any]:
    value = details.get(key)
    return list(value) if isinstance(value, list | tuple) else []


def _number(details: dict[str, Any], key: str) -> float | None:
    value = details.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def number(value: float, places: int = 1) -> str:
    """A number as the coordinator's language writes it (3.2 / 3,2)."""
    return formats.number_format(round(float(value), places), decimal_pos=places, use_l10n=True)


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return str(int(hours)) if hours == int(hours) else number(hours)


def _wish(name: Any) -> str:
    """One of the participant's wishes about the contact."""
    return {
        "gender": _("the contact's gender"),
        "age": _("the contact's age"),
        "language": _("the language"),
    }.get(str(name), str(name).replace("_", " "))


def _missing(details: dict[str, Any]) -> str:
    return {"participant": _("the participant"), "contact": _("the contact")}.get(
        str(details.get("missing")), _("one of them")
    )


# Reason code (kobling.matching.engine.reasons) → sentence, without the contribution.
Explainer = Callable[[dict[str, Any], Names], str]


def _shared_activities(d: dict[str, Any], n: Names) -> str:
    shared = n.activity_list(_list(d, "shared"))
    if not shared:
        return _("Activities in common")
    return _("Both like %(activities)s") % {"activities": join_words(shared)}


def _by_distance(d: dict[str, Any], n: Names) -> str:
    km = _number(d, "km")
    if km is None:
        return _("Distance between their homes")
    if km < 1:
        return _("Less than 1 km apart")
    return _("%(km)s km apart") % {"km": number(km)}


def _by_postcode(d: dict[str, Any], n: Names) -> str:
    return {
        "same_postcode": _("Same postcode"),
        "same_area": _("Same postcode area"),
        "same_region": _("Same region, different postcode areas"),
        "different": _("Different regions"),
    }.get(str(d.get("match")), _("Compared by postcode"))


def _location_unknown(d: dict[str, Any], n: Names) -> str:
    return _("Distance unknown: no address for %(whom)s") % {"whom": _missing(d)}


def _overlapping_time(d: dict[str, Any], n: Names) -> str:
    windows = [w for w in _list(d, "overlaps") if isinstance(w, dict)]
    if windows:
        text = _("Overlap %(times)s") % {"times": join_words([time_span(w) for w in windows[:3]])}
        if len(windows) > 3:
            text += " " + _("(and %(n)s more)") % {"n": len(windows) - 3}
        return text
    minutes, of = _number(d, "minutes"), _number(d, "of_minutes")
    if minutes and of:
        return _("%(hours)s of %(of)s hours a week in common") % {
            "hours": _hours(minutes),
            "of": _hours(of),
        }
    return _("Their times overlap")


def _no_overlapping_time(d: dict[str, Any], n: Names) -> str:
    return _("Their times do not overlap")


def _no_availability(d: dict[str, Any], n: Names) -> str:
    return _("No times given by %(whom)s") % {"whom": _missing(d)}


def _competence(d: dict[str, Any], n: Names) -> str:
    groups = n.target_group_list(_list(d, "shared"))
    if not groups:
        return _("Has the target-group competence asked for")
    return _("Experienced with %(groups)s") % {"groups": join_words(groups)}


def _wishes(d: dict[str, Any], n: Names) -> str:
    met = [_wish(w) for w in _list(d, "met")]
    unmet = [_wish(w) for w in _list(d, "unmet")]
    if met and unmet:
        return _("Meets the wish about %(met)s, not about %(unmet)s") % {
            "met": join_words(met),
            "unmet": join_words(unmet),
        }
    if met:
        return _("Meets the wish about %(met)s") % {"met": join_words(met)}
    if unmet:
        return _("Does not meet the wish about %(unmet)s") % {"unmet": join_words(unmet)}
    return _("The participant's wishes about the contact")


def _shared_language(d: dict[str, Any], n: Names) -> str:
    languages = [n.language(c) for c in _list(d, "shared")]
    if not languages:
        return _("They share a language asked for")
    return _("Both speak %(languages)s") % {"languages": join_words(languages)}


def _no_shared_language(d: dict[str, Any], n: Names) -> str:
    asked = [n.language(c) for c in _list(d, "asked")]
    if not asked:
        return _("Does not speak the language asked for")
    return _("Does not speak %(languages)s") % {"languages": join_words(asked)}


def _constant(text: Callable[[], str]) -> Explainer:
    return lambda d, n: text()


EXPLAINERS: dict[str, Explainer] = {
    reasons.SHARED_ACTIVITIES: _shared_activities,
    reasons.NO_SHARED_ACTIVITIES: _constant(lambda: _("No activities in common")),
    reasons.NO_ACTIVITY_PREFERENCE: _constant(lambda: _("The participant named no activities")),
    reasons.BY_DISTANCE: _by_distance,
    reasons.BY_POSTCODE: _by_postcode,
    reasons.LOCATION_UNKNOWN: _location_unknown,
    reasons.OVERLAPPING_TIME: _overlapping_time,
    reasons.NO_OVERLAPPING_TIME: _no_overlapping_time,
    reasons.NO_AVAILABILITY_GIVEN: _no_availability,
    reasons.TARGET_GROUP_COMPETENCE: _competence,
    reasons.NO_TARGET_GROUP_COMPETENCE: _constant(
        lambda: _("No competence with the participant's target groups")
    ),
    reasons.NO_TARGET_GROUP: _constant(lambda: _("No target group given")),
    reasons.ALL_WISHES_MET: _wishes,
    reasons.SOME_WISHES_MET: _wishes,
    reasons.NO_WISHES_MET: _wishes,
    reasons.NO_WISHES: _constant(lambda: _("No wishes about the contact")),
    reasons.SHARED_LANGUAGE: _shared_language,
    reasons.NO_SHARED_LANGUAGE: _no_shared_language,
    reasons.NO_LANGUAGE_PREFERENCE: _constant(lambda: _("No language asked for")),
}


def signed(value: float) -> str:
    rounded = round(float(value), 1)
    return ("+" if rounded >= 0 else "−") + number(abs(rounded))


def explain_factor(factor: dict[str, Any], names: Names) -> str:
    """One factor's contribution as a sentence: "Both like walking and swimming (+2.0)". An
    unknown reason code still gives a plain sentence naming the factor and how well it fits."""
    contribution = float(factor.get("contribution") or 0)
    details = factor.get("details")
    explainer = EXPLAINERS.get(str(factor.get("reason") or ""))
    text = ""
    if explainer is not None:
        try:
            text = explainer(details if isinstance(details, dict) else {}, names)
        except (TypeError, ValueError, KeyError, AttributeError):
            text = ""
    if not text:
        text = _("%(factor)s: %(percent)s %% fit") % {
            "factor": factor_label(str(factor.get("factor") or "")),
            "percent": round(float(factor.get("value") or 0) * 100),
        }
    return f"{text} ({signed(contribution)})"


@dataclass(frozen=True)
class FactorLine:
    factor: str
    label: str
    value: float
    weight: float
    contribution: float
    percent: int
    text: str


def factor_lines(factors: list[dict[str, Any]], names: Names) -> list[FactorLine]:
    """The factors of a proposal in the engine's order, each with its sentence."""
    order = {name: i for i, name in enumerate(FACTORS)}
    rows = sorted(factors or [], key=lambda f: order.get(str(f.get("factor")), len(order)))
    return [
        FactorLine(
            factor=str(f.get("factor") or ""),
            label=factor_label(str(f.get("factor") or "")),
            value=float(f.get("value") or 0),
            weight=float(f.get("weight") or 0),
            contribution=float(f.get("contribution") or 0),
            percent=max(0, min(100, round(float(f.get("value") or 0) * 100))),
            text=explain_factor(f, names),
        )
        for f in rows
    ]


CONSTRAINT_LABELS: dict[str, Callable[[], str]] = {
    reasons.GENDER_MUST_NOT_MET: lambda: _("the gender that is a must"),
    reasons.AGE_MUST_NOT_MET: lambda: _("the age range that is a must"),
    reasons.LANGUAGE_MUST_NOT_MET: lambda: _("the language that is a must"),
    reasons.BEYOND_MAX_TRAVEL: lambda: _("the longest acceptable distance"),
    reasons.AVOID_CONTACT: lambda: _("the previous contact, who is avoided"),
    reasons.FORBIDDEN_PAIR: lambda: _("a pair the coordinator forbade"),
    reasons.NO_PLACES: lambda: _("no places left"),
    reasons.CONTACT_NOT_IN_RUN: lambda: _("the contact is not available for matching now"),
}


def constraint_label(code: str) -> str:
    label = CONSTRAINT_LABELS.get(code)
    return label() if label else code.replace("_", " ")


def explain_unmatched(reason: str, details: dict[str, Any] | None = None) -> str:
    """Why a participant was left without a proposal, in words."""
    d = details if isinstance(details, dict) else {}
    if reason == reasons.NO_ACCEPTABLE_CONTACT:
        excluded = d.get("excluded_by") if isinstance(d.get("excluded_by"), dict) else {}
        text = _("No contact meets the participant's musts and the coordinator's rules.")
        if excluded:
            parts = [
                ngettext("%(what)s (%(n)s contact)", "%(what)s (%(n)s contacts)", int(count))
                % {"what": constraint_label(str(code)), "n": int(count)}
                for code, count in sorted(excluded.items(), key=lambda kv: (-int(kv[1]), kv[0]))
                if isinstance(count, int) and count
            ]
            if parts:
                text += " " + _("Ruled out by: %(parts)s.") % {"parts": join_words(parts)}
        return text
    if reason == reasons.BELOW_MINIMUM_SCORE:
        best, least = _number(d, "best_score"), _number(d, "min_score")
        if best is not None and least is not None:
            return _(
                "The best possible pair scores %(best)s, below the lowest acceptable %(min)s."
            ) % {"best": number(best), "min": number(least)}
        return _("The best possible pair scores below the lowest acceptable score.")
    if reason == reasons.NO_CAPACITY:
        acceptable = _number(d, "acceptable_contacts")
        if acceptable:
            return ngettext(
                "The one suitable contact has no place left in this run.",
                "All %(n)s suitable contacts have no place left in this run.",
                int(acceptable),
            ) % {"n": int(acceptable)}
        return _("Every suitable contact is already full.")
    if reason == reasons.LOCKED_PAIR_NOT_POSSIBLE:
        why = [constraint_label(str(c)) for c in _list(d, "why")]
        text = _("The locked pair is not possible.")
        if why:
            text += " " + _("Because of %(why)s.") % {"why": join_words(why)}
        return text
    if reason == "no_contacts":
        return _("No contact is available for matching in this programme right now.")
    return _("Not matched (%(reason)s).") % {"reason": reason.replace("_", " ")}


def max_score(weights: dict[str, Any]) -> float:
    """The highest score a pair can reach with these weights (every factor fully met)."""
    return sum(float(weights.get(name) or 0) for name in FACTORS)


@dataclass
class ProposalRow:
    proposal: Proposal
    lines: list[FactorLine]
    percent: int


@dataclass
class UnmatchedRow:
    referral: Referral | None
    referral_id: int
    reason: str
    text: str


def run_view(run: MatchingRun, names: Names | None = None) -> dict[str, Any]:
    """What the run page and the API show: proposals with every factor explained, and the
    participants left unmatched with the reason. A fixed number of queries."""
    names = names or Names.load()
    top = max_score(run.weights) or 1.0
    proposals = list(proposal_list_queryset(run.proposals.all()).order_by("-score", "id"))
    rows = [
        ProposalRow(
            proposal=p,
            lines=factor_lines(p.factors, names),
            percent=max(0, min(100, round(p.score / top * 100))),
        )
        for p in proposals
    ]
    ids = [u.get("referral") for u in run.unmatched or [] if isinstance(u, dict)]
    referrals = Referral.objects.select_related("participant").in_bulk(
        [i for i in ids if isinstance(i, int)]
    )
    unmatched = [
        UnmatchedRow(
            referral=referrals.get(u.get("referral")),
            referral_id=u.get("referral") or 0,
            reason=str(u.get("reason") or ""),
            text=explain_unmatched(str(u.get("reason") or ""), u.get("details") or {}),
        )
        for u in run.unmatched or []
        if isinstance(u, dict)
    ]
    return {"rows": rows, "unmatched": unmatched, "max_score": top}
