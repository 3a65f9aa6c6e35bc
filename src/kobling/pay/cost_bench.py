"""``kobling bench costs``: the cost formulas of :mod:`kobling.pay.cost_calc` alone — pay per
pairing from the session chains, cost per pairing and per participant, and a year's totals — on
deterministic synthetic plain rows (no database), against one pass over the same rows
(:mod:`kobling.lib.calcbench`). Generating the rows is not timed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kobling.lib.calcbench import CalcBench, measure, one_pass
from kobling.pay import cost_calc as c


@dataclass(frozen=True)
class CostRows:
    entries: list[c.Entry]
    paid: list[c.PaidLine]
    pairings: list[c.PairingRef]
    participant_of: dict[int, int]
    rates: dict[int, Decimal]
    extra_minutes: dict[int, int]
    expenses: list[c.ExpenseSum]
    course_costs: dict[int, Decimal]
    pairings_had: dict[int, int]
    sheets: list[c.SheetRow]
    logged: list[tuple[int, dt.date]]
    helper_keys: dict[int, tuple[int, int]]


def generate(participants: int, seed: int = 0) -> CostRows:
    """A pairing per participant (a few re-matched), ~20 sessions each over a year, two thirds
    of them on approved sheets, some corrected or withdrawn after approval."""
    rnd = random.Random(seed)
    helpers = max(1, participants // 3)
    entries, paid, pairings, participant_of = [], [], [], {}
    expenses, sheets, logged = [], [], set()
    entry_id = pairing_id = 0
    for person in range(1, participants + 1):
        for _ in range(2 if rnd.random() < 0.1 else 1):
            pairing_id += 1
            helper = rnd.randrange(1, helpers + 1)
            programme = 1 + helper % 2
            pairings.append(c.PairingRef(pairing_id, helper))
            participant_of[pairing_id] = person
            for _ in range(20):
                entry_id += 1
                day = dt.date(2025, 1 + rnd.randrange(12), 1 + rnd.randrange(28))
                minutes = rnd.choice((45, 60, 90))
                held = rnd.random() < 0.85
                entries.append(
                    c.Entry(entry_id, None, pairing_id, helper, programme, minutes, held)
                )
                logged.add((helper, day.replace(day=1)))
                if held and rnd.random() < 0.66:
                    paid.append(c.PaidLine(entry_id, minutes, 15, Decimal("210.00")))
                    if rnd.random() < 0.05:  # corrected after approval
                        origin = entry_id
                        entry_id += 1
                        entries.append(
                            c.Entry(
                                entry_id,
                                origin,
                                pairing_id,
                                helper,
                                programme,
                                minutes + 15,
                                rnd.random() < 0.8,
                            )
                        )
            for status in ("approved", "open"):
                expenses.append(c.ExpenseSum(pairing_id, status, Decimal(rnd.randrange(0, 900))))
    for helper in range(1, helpers + 1):
        for month in range(1, 13):
            status = "approved" if month <= 8 else "open"
            sheets.append(
                c.SheetRow(
                    helper * 100 + month,
                    helper,
                    dt.date(2025, month, 1),
                    status,
                    Decimal("4200.00"),
                )
            )
    return CostRows(
        entries=entries,
        paid=paid,
        pairings=pairings,
        participant_of=participant_of,
        rates={h: Decimal("215.50") for h in range(1, helpers + 1)},
        extra_minutes={1: 15, 2: 30},
        expenses=expenses,
        course_costs={h: Decimal("6000.00") for h in range(1, helpers + 1, 2)},
        pairings_had=dict.fromkeys(range(1, helpers + 1), 3),
        sheets=sheets,
        logged=sorted(logged),
        helper_keys={h: (1, 1 + h % 2) for h in range(1, helpers + 1)},
    )


def compute(rows: CostRows) -> dict[str, Any]:
    """Everything the cost figures compute from these rows."""
    pay = c.chain_pay(rows.entries, rows.paid, rates=rows.rates, extra_minutes=rows.extra_minutes)
    per_pairing = c.pairing_costs(
        rows.pairings,
        pay=pay,
        expenses=rows.expenses,
        course_costs=rows.course_costs,
        pairings_had=rows.pairings_had,
    )
    per_participant = c.costs_by(
        per_pairing, rows.participant_of, set(rows.participant_of.values())
    )
    open_months = c.open_months(rows.sheets, rows.logged)
    totals = c.period_totals(
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        helper_keys=rows.helper_keys,
        sheets=rows.sheets,
        estimated=[(o.helper_id, Decimal("1000.00")) for o in open_months],
        expenses=[],
        courses=[c.Recorded(1, 1, Decimal("50000"))],
        coordination_per_year=[c.Recorded(1, 1, Decimal("400000")), c.Recorded(1, 2, Decimal("0"))],
    )
    return {"pairings": per_pairing, "participants": per_participant, "totals": totals}


def tables(rows: CostRows) -> list[list]:
    return [rows.entries, rows.paid, rows.pairings, rows.expenses, rows.sheets, rows.logged]


def run(participants: int, seed: int = 0, repeat: int = 3) -> CalcBench:
    rows = generate(participants, seed)
    data = tables(rows)
    calc_s, base_s, result = measure(lambda: compute(rows), lambda: one_pass(data), repeat)
    total = sum((cost.total for cost in result["participants"].values()), Decimal(0))
    return CalcBench(
        calculator="costs",
        participants=participants,
        rows=sum(len(t) for t in data),
        seed=seed,
        repeat=max(1, repeat),
        calc_s=calc_s,
        baseline_s=base_s,
        detail={"pairings": len(result["pairings"]), "total_nok": str(total)},
    )
