"""``kobling bench research``: :func:`kobling.research.rows.dataset_rows` alone — pseudonyms,
coarsening, days since referral, row order — and the smallest group, on deterministic synthetic
plain rows (no database), against one pass over the same rows (:mod:`kobling.lib.calcbench`).
Generating the rows is not timed; the key is fixed (a benchmark, not an export)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from kobling.lib.calcbench import CalcBench, measure, one_pass
from kobling.research import rows as r

_KEY = bytes(range(32))


def generate(participants: int, seed: int = 0) -> r.ResearchData:
    """A referral per participant in two programmes, most paired, ~20 sessions, three reviews
    of three instruments, two goals and three follow-ups per pairing."""
    rnd = random.Random(seed)
    referrals, pairings, sessions, scores, goals, follow_ups = [], [], [], [], [], []
    review_id = goal_id = 0
    for i in range(1, participants + 1):
        received = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(700))
        referrals.append(
            r.Referral(
                id=i,
                participant_id=i,
                birth_date=dt.date(1940 + rnd.randrange(65), 1 + rnd.randrange(12), 1),
                gender=rnd.choice(("female", "male", "other")),
                programme_id=1 + i % 2,
                source=rnd.choice(("gp", "nav", "self")),
                received_on=received,
                status="closed",
                target_groups=("elderly",) if i % 3 else (),
                decisions=((received + dt.timedelta(days=9), "granted"),),
            )
        )
        if rnd.random() > 0.85:
            continue
        started = received + dt.timedelta(days=30)
        pairings.append(
            r.Pairing(
                i,
                i,
                i,
                rnd.randrange(1, participants // 3 + 2),
                "ended",
                started,
                started,
                started + dt.timedelta(days=150),
                "goal_reached",
                "self",
            )
        )
        for n in range(20):
            sessions.append(
                r.Session(i, started + dt.timedelta(days=7 * n), "held", 60, "moderate")
            )
        for kind, offset in (("start", 0), ("periodic", 60), ("end", 150)):
            review_id += 1
            for code in ("activity_minutes", "self_rated_health", "mastery"):
                scores.append(
                    r.Score(
                        review_id,
                        i,
                        kind,
                        started + dt.timedelta(days=offset),
                        code,
                        "1",
                        "",
                        Decimal(rnd.randrange(300)),
                    )
                )
        for _ in range(2):
            goal_id += 1
            goals.append(r.Goal(goal_id, i, "reached"))
        for months in (3, 6, 12):
            follow_ups.append(
                r.FollowUp(i, months, months < 12, True if months < 12 else None, 150)
            )
    return r.ResearchData(
        programmes=[r.Programme(1, "training_contact"), r.Programme(2, "other")],
        referrals=referrals,
        pairings=pairings,
        sessions=sessions,
        scores=scores,
        goals=goals,
        follow_ups=follow_ups,
    )


def tables(data: r.ResearchData) -> list[list]:
    return [
        list(data.referrals),
        list(data.pairings),
        list(data.sessions),
        list(data.scores),
        list(data.goals),
        list(data.follow_ups),
    ]


def run(participants: int, seed: int = 0, repeat: int = 3) -> CalcBench:
    data = generate(participants, seed)
    rows = tables(data)
    pseudonym = r.Pseudonymiser(_KEY)

    def calc() -> tuple[dict, int | None]:
        files = r.dataset_rows(data, pseudonym, bands=True)
        return files, r.smallest_group(files)

    calc_s, base_s, (files, smallest) = measure(calc, lambda: one_pass(rows), repeat)
    return CalcBench(
        calculator="research",
        participants=participants,
        rows=sum(len(t) for t in rows),
        seed=seed,
        repeat=max(1, repeat),
        calc_s=calc_s,
        baseline_s=base_s,
        detail={"rows_out": sum(len(v) for v in files.values()), "smallest_group": smallest},
    )
