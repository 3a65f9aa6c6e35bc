"""The supervision pool's share-out, pure (no Django): plain numbers in, plain numbers out.

At the programme's set date each helper's unused hours of the year (allowance − used, when
positive) return to the pool, and the pool is shared out *by use* (DOMAIN §2, HEFA: "unused
hours pooled per municipality by use"): each helper who used supervision this year gets a
share proportional to the hours they used. Shares are whole hundredths of an hour; what the
rounding leaves goes one hundredth at a time to the largest remainders (ties: the lower id), so
the shares always add up to the pool exactly. When nobody used any supervision there is no
use to share by: nothing is returned and nothing shared."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class HelperYear:
    helper_id: int
    allowance: Decimal  # the programme's allowance plus earlier pool lines of the year
    used: Decimal


@dataclass(frozen=True)
class ShareOut:
    returned: dict[int, Decimal]  # helper → hours returned (positive here)
    shared: dict[int, Decimal]  # helper → hours received

    @property
    def pool(self) -> Decimal:
        return sum(self.returned.values(), Decimal(0))


def _cents(value: Decimal) -> int:
    return int((value / HUNDREDTH).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_out(rows: list[HelperYear]) -> ShareOut:
    """The returns and shares for one programme's year (see the module's docstring)."""
    users = {r.helper_id: _cents(r.used) for r in rows if r.used > 0}
    if not users:
        return ShareOut({}, {})
    returned = {r.helper_id: _cents(r.allowance - r.used) for r in rows if r.allowance - r.used > 0}
    pool = sum(returned.values())
    total_use = sum(users.values())
    shares: dict[int, int] = {}
    remainders: list[tuple[int, int, int]] = []
    for helper_id, use in users.items():
        whole, rest = divmod(pool * use, total_use)
        shares[helper_id] = whole
        remainders.append((-rest, helper_id, use))
    left = pool - sum(shares.values())
    for _rest, helper_id, _use in sorted(remainders)[:left]:
        shares[helper_id] += 1
    return ShareOut(
        returned={h: Decimal(c) * HUNDREDTH for h, c in sorted(returned.items()) if c},
        shared={h: Decimal(c) * HUNDREDTH for h, c in sorted(shares.items()) if c},
    )
