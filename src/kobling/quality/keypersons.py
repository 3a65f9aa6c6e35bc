"""Key-person risk, computed from the data: which of a programme's responsibilities rest on one
person only (a risk: the scheme dies when that person leaves, DOMAIN §3 item 8) or on nobody
(a gap). For any number of programmes in a fixed number of queries.

Responsibilities and who counts, in the last 12 months unless said otherwise:

- coordination: the users who made decisions on the programme's referrals, and the users holding
  a coordinator membership in the programme's municipality (now);
- course leadership: the distinct course leaders (by name) of the programme's course runs that
  started in the last 3 years, cancelled runs left out;
- matching: the users who started matching runs or confirmed pairings for the programme;
- pay approval: the users who approved timesheets or expenses of the programme's contacts.

Only staff are named (managers see them anyway); never a participant or a contact."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kobling.courses.choices import RunStatus
from kobling.courses.models import CourseRun
from kobling.followup.models import Pairing
from kobling.matching.models import MatchingRun
from kobling.pay.models import Expense, Timesheet
from kobling.referrals.models import Decision
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership, Programme

RESPONSIBILITIES: tuple[tuple[str, Promise], ...] = (
    ("coordination", _("Coordination")),
    ("course_leadership", _("Course leadership")),
    ("matching", _("Matching")),
    ("pay_approval", _("Pay approval")),
)
EXPLANATIONS: dict[str, Promise] = {
    "coordination": _(
        "Users who decided referrals in the last 12 months, and the municipality's coordinators."
    ),
    "course_leadership": _("Course leaders of the programme's courses in the last 3 years."),
    "matching": _("Users who started matching runs or confirmed pairings in the last 12 months."),
    "pay_approval": _(
        "Users who approved timesheets or expenses of the programme's contacts in the last 12 "
        "months."
    ),
}

OK, RISK, GAP = "ok", "risk", "gap"


@dataclass(frozen=True)
class Responsibility:
    code: str
    label: str
    explanation: str
    people: tuple[str, ...]

    @property
    def status(self) -> str:
        return GAP if not self.people else RISK if len(self.people) == 1 else OK

    @property
    def is_risk(self) -> bool:
        return self.status == RISK

    @property
    def is_gap(self) -> bool:
        return self.status == GAP

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "status": self.status,
            "people": list(self.people),
            "explanation": self.explanation,
        }


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def key_person_risk(
    programmes: Iterable[Programme], *, today: dt.date
) -> dict[int, list[Responsibility]]:
    """Programme id → its responsibilities (in :data:`RESPONSIBILITIES` order). Six queries,
    whatever the number of programmes."""
    programmes = list(programmes)
    ids = sorted(p.pk for p in programmes)
    municipality_of = {p.pk: p.municipality_id for p in programmes}
    year_ago = today - dt.timedelta(days=365)
    three_years_ago = (
        today.replace(year=today.year - 3)
        if not (today.month == 2 and today.day == 29)
        else today - dt.timedelta(days=3 * 365)
    )
    # programme id → responsibility → {person key: display name}
    found: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    user_fields = ("first_name", "last_name", "username")

    def add_users(code: str, rows: Iterable[tuple]) -> None:
        for programme_id, user_id, first, last, username in rows:
            if user_id is not None:
                found[programme_id][code][f"u{user_id}"] = _name(first, last, username)

    add_users(
        "coordination",
        Decision.objects.filter(referral__programme__in=ids, decided_on__gte=year_ago)
        .values_list(
            "referral__programme_id", "decided_by_id", *(f"decided_by__{f}" for f in user_fields)
        )
        .distinct()
        .order_by(),
    )
    by_municipality: dict[int, dict[str, str]] = defaultdict(dict)
    for municipality_id, user_id, first, last, username in (
        Membership.objects.filter(
            municipality__in=sorted(set(municipality_of.values())),
            role=Role.COORDINATOR,
            user__is_active=True,
        )
        .values_list("municipality_id", "user_id", *(f"user__{f}" for f in user_fields))
        .order_by()
    ):
        by_municipality[municipality_id][f"u{user_id}"] = _name(first, last, username)
    for pk, municipality_id in municipality_of.items():
        found[pk]["coordination"].update(by_municipality.get(municipality_id, {}))

    for programme_id, leader in (
        CourseRun.objects.filter(programme__in=ids, starts_on__gte=three_years_ago)
        .exclude(status=RunStatus.CANCELLED)
        .exclude(leader_name="")
        .values_list("programme_id", "leader_name")
        .order_by("-starts_on", "-pk")
    ):
        # The same leader written twice (case, spaces) is one person, named as on the latest run.
        name = " ".join(leader.split())
        found[programme_id]["course_leadership"].setdefault(f"n{name.casefold()}", name)

    add_users(
        "matching",
        MatchingRun.objects.filter(programme__in=ids, created_at__date__gte=year_ago)
        .values_list("programme_id", "created_by_id", *(f"created_by__{f}" for f in user_fields))
        .distinct()
        .order_by(),
    )
    add_users(
        "matching",
        Pairing.objects.filter(programme__in=ids, confirmed_at__date__gte=year_ago)
        .values_list(
            "programme_id", "confirmed_by_id", *(f"confirmed_by__{f}" for f in user_fields)
        )
        .distinct()
        .order_by(),
    )
    for model in (Timesheet, Expense):
        add_users(
            "pay_approval",
            model.objects.filter(
                helper__programme__in=ids,
                approved_at__date__gte=year_ago,
                approved_by__isnull=False,
            )
            .values_list(
                "helper__programme_id",
                "approved_by_id",
                *(f"approved_by__{f}" for f in user_fields),
            )
            .distinct()
            .order_by(),
        )

    return {
        pk: [
            Responsibility(
                code=code,
                label=str(label),
                explanation=str(EXPLANATIONS[code]),
                people=tuple(sorted(found[pk][code].values(), key=str.casefold)),
            )
            for code, label in RESPONSIBILITIES
        ]
        for pk in ids
    }


def risks_of(responsibilities: list[Responsibility]) -> list[Responsibility]:
    """Those resting on one person or on nobody."""
    return [r for r in responsibilities if r.status != OK]
