"""National identity numbers (fødselsnummer and D-number): normalising, the birth date they
carry, and — for demo and test data only — making valid ones."""

from __future__ import annotations

import datetime as dt

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer


def normalise_national_id(value: str) -> str:
    """Digits only: people write "010203 12345" or "010203-12345"."""
    return fodselsnummer.compact(value or "")


def is_d_number(national_id: str) -> bool:
    """A D-number (given to people without a fødselsnummer) adds 40 to the day of birth, so its
    first digit is 4–7; a fødselsnummer's is 0–3. Call with a valid number."""
    return national_id[:1] in {"4", "5", "6", "7"}


def birth_date_of(national_id: str) -> dt.date | None:
    """The birth date in a (valid) fødselsnummer or D-number, or None when it carries none."""
    try:
        return fodselsnummer.get_birth_date(national_id)
    except (StdnumError, ValueError):
        return None


def synthetic_national_id(born: dt.date, *, d_number: bool = False, serial: int = 0) -> str:
    """A number that passes both mod-11 checks, for demo and test data. ``serial`` picks among the
    valid ones for the same date (0 = the first)."""
    day = born.day + (40 if d_number else 0)
    # Individual numbers 000–499 are 1900–1999; 500–999 are 2000–2039.
    low, high = (0, 500) if born.year < 2000 else (500, 1000)
    found = -1
    for individual in range(low, high):
        base = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
        first = fodselsnummer.calc_check_digit1(base)
        if first == "10":
            continue
        second = fodselsnummer.calc_check_digit2(base + first)
        if second == "10":
            continue
        found += 1
        if found == serial:
            return base + first + second
    raise ValueError("No valid number left for this date.")  # pragma: no cover
