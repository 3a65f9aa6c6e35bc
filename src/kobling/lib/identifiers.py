"""Direct identifiers in free text (pure): a national identity number's shape, a Norwegian
phone number, an e-mail address. Used to mask log lines and to refuse such details in comments
that others read; names cannot be found this way, so the forms ask for none."""

from __future__ import annotations

import re

# 11 digits, optionally "DDMMYY NNNNN": any such run, valid or not (a typo is still personal).
NATIONAL_ID = re.compile(r"(?<!\d)\d{6}[ ]?\d{5}(?!\d)")
# 8 digits, alone or grouped "12 34 56 78" / "123 45 678", optionally after +47 or 0047.
PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)47[ ]?)?(?:\d{8}|\d{2}(?:[ .]\d{2}){3}|\d{3}[ .]\d{2}[ .]\d{3})(?!\d)"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

KINDS = (("national_id", NATIONAL_ID), ("phone", PHONE), ("email", EMAIL))


def direct_identifiers(text: str) -> list[str]:
    """The kinds of direct identifier in ``text``, in the order of ``KINDS``, each once."""
    return [kind for kind, pattern in KINDS if pattern.search(text or "")]
