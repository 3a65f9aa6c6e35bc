"""Checking a two-factor (TOTP) code, with throttling that lets a typo be corrected at once.

django-otp's own throttle makes every attempt after a wrong code wait 1, 2, 4, … seconds, and
its failure count only resets on success — so one typo refused the correct code typed right
after it, and a few typos on earlier days made the wait outlast the code itself ("wrong or
expired" until the next 30-second step). Here the first ``FREE_TRIES`` wrong codes in a row cost
nothing; after that each further try waits twice as long as the last, so guessing stays
hopeless. A refused try while waiting is not counted and does not look at the code: the caller
tells the user how long to wait. The sign-in page and the API token endpoint both call this;
``OTP_TOTP_THROTTLE_FACTOR = 0`` turns django-otp's own schedule off (it still counts failures
and resets them on success, which this schedule reads)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

FREE_TRIES = 3
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    wait_seconds: int = 0  # > 0: not checked, try again after this many seconds


def seconds_to_wait(device: Any) -> int:
    """Seconds before the device may check another code (0: now)."""
    failures = device.throttling_failure_count
    if failures < FREE_TRIES or device.throttling_failure_timestamp is None:
        return 0
    required = min(FIRST_WAIT_SECONDS * 2 ** (failures - FREE_TRIES), MAX_WAIT_SECONDS)
    elapsed = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return max(0, math.ceil(required - elapsed))


def check_code(device: Any, code: str) -> CodeCheck:
    """Verify ``code`` on ``device`` (a used code never counts twice: django-otp keeps
    ``last_t``), unless the device must wait first."""
    wait = seconds_to_wait(device)
    if wait:
        return CodeCheck(ok=False, wait_seconds=wait)
    return CodeCheck(ok=bool(device.verify_token(code)))
