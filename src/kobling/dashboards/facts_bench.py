"""``kobling bench facts``: :func:`kobling.dashboards.facts.compute` alone, on a deterministic
synthetic municipality of plain rows (no database), against one pass over the same rows
(:mod:`kobling.lib.calcbench`). Generating the rows is not timed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from kobling.dashboards import facts as f
from kobling.lib.calcbench import CalcBench, measure, one_pass

_SOURCES = ("gp", "nav", "frisklivssentral", "municipal_staff", "self", "specialist")
_GENDERS = ("female", "male", "female", "male", "other")
_END_REASONS = ("goal_reached", "participant_stopped", "moved", "no_chemistry", "health")
_INSTRUMENTS = ("activity_minutes", "self_rated_health", "mastery")
_HELPER_STATUSES = ("qualified", "active", "active", "paused", "left", "applicant")


def generate(participants: int, seed: int = 0) -> f.FactsInput:
    """Two programmes over two years: a referral per participant, most granted and paired, a
    few re-matched; reviews, follow-ups, contacts and partners in proportion."""
    rnd = random.Random(seed)
    start = dt.date(2024, 1, 1)
    programmes = (1, 2)
    referrals, pairings, scores = [], [], []
    pairing_id = review_id = 0
    for i in range(1, participants + 1):
        p = programmes[i % 2]
        received = start + dt.timedelta(days=rnd.randrange(700))
        granted = received + dt.timedelta(days=rnd.randrange(30)) if rnd.random() < 0.85 else None
        referrals.append(
            f.ReferralRow(
                id=i,
                programme_id=p,
                source=rnd.choice(_SOURCES),
                received_on=received,
                granted_on=granted,
                gender=rnd.choice(_GENDERS),
                birth_date=dt.date(1940 + rnd.randrange(65), 1 + rnd.randrange(12), 1),
                organisation=rnd.choice(("", "Legesenteret", "NAV Sentrum", "legesenteret ")),
                target_groups=tuple(rnd.sample(("elderly", "youth", "mental", "migrant"), 2)),
                first_decision_on=granted,
            )
        )
        if granted is None:
            continue
        for _ in range(2 if rnd.random() < 0.1 else 1):  # a few re-matched
            pairing_id += 1
            confirmed = granted + dt.timedelta(days=rnd.randrange(60))
            started = confirmed + dt.timedelta(days=7) if rnd.random() < 0.9 else None
            ended = started + dt.timedelta(days=rnd.randrange(60, 200)) if started else None
            pairings.append(
                f.PairingRow(
                    id=pairing_id,
                    course_id=i,
                    programme_id=p,
                    referral_id=i,
                    confirmed_on=confirmed,
                    started_on=started,
                    ended_on=ended,
                    status="ended" if ended else "active",
                    end_reason=rnd.choice(_END_REASONS) if ended else "",
                    first_held_on=started,
                    weekly_minutes_needed=150 if started else None,
                    handover_destination=rnd.choice(("", "partner", "self")) if ended else "",
                    handover_partner_id=rnd.randrange(1, 20)
                    if ended and rnd.random() < 0.3
                    else None,
                    handover_partner_kind="club",
                )
            )
            if not started:
                continue
            for kind, offset in (("start", 0), ("periodic", 60), ("end", 120)):
                review_id += 1
                for code in _INSTRUMENTS:
                    scores.append(
                        f.Score(
                            pairing_id=pairing_id,
                            instrument=code,
                            review_kind=kind,
                            review_on=started + dt.timedelta(days=offset),
                            review_id=review_id,
                            value=Decimal(rnd.randrange(0, 300)),
                        )
                    )
    months = [dt.date(2024 + m // 12, 1 + m % 12, 1) for m in range(24)]
    session_months = [
        f.SessionMonth(p, m, *(rnd.randrange(100, 1000) for _ in range(7)))
        for p in programmes
        for m in months
    ]
    session_years = [
        f.SessionYear(p, dt.date(y, 1, 1), participants // 3, participants // 10)
        for p in programmes
        for y in (2024, 2025)
    ]
    follow_ups = [
        f.FollowUpMonth(p, m, n, 20, 15, 10) for p in programmes for m in months for n in (3, 6, 12)
    ]
    helpers = [
        f.HelperRow(i, programmes[i % 2], rnd.choice(_HELPER_STATUSES), rnd.random() < 0.7)
        for i in range(1, participants // 3 + 2)
    ]
    partners = [f.PartnerRow(i, "club", (programmes[i % 2],) if i % 3 else ()) for i in range(20)]
    costs = [
        f.CostYear(p, dt.date(y, 1, 1), *(Decimal("12345.67") for _ in range(4)))
        for p in programmes
        for y in (2024, 2025)
    ]
    return f.FactsInput(
        today=dt.date(2025, 12, 31),
        referrals=referrals,
        pairings=pairings,
        session_months=session_months,
        session_years=session_years,
        scores=scores,
        follow_ups=follow_ups,
        helpers=helpers,
        programme_ids=programmes,
        partners=partners,
        costs=costs,
    )


def tables(data: f.FactsInput) -> list[list]:
    return [
        list(data.referrals),
        list(data.pairings),
        list(data.session_months),
        list(data.session_years),
        list(data.scores),
        list(data.follow_ups),
        list(data.helpers),
        list(data.partners),
        list(data.costs),
    ]


def run(participants: int, seed: int = 0, repeat: int = 3) -> CalcBench:
    data = generate(participants, seed)
    rows = tables(data)
    calc_s, base_s, result = measure(lambda: f.compute(data), lambda: one_pass(rows), repeat)
    return CalcBench(
        calculator="facts",
        participants=participants,
        rows=sum(len(t) for t in rows),
        seed=seed,
        repeat=max(1, repeat),
        calc_s=calc_s,
        baseline_s=base_s,
        detail={"figures": len(result.values)},
    )
