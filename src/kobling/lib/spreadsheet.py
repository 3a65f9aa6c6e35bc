"""Making text safe to open in a spreadsheet (CSV/XLSX exports)."""

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML (and so XLSX) cannot hold.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """A spreadsheet must never run a cell as a formula: prefix such cells with an apostrophe."""
    text = ILLEGAL_XML.sub("", text)
    return f"'{text}" if text.startswith(FORMULA_START) else text
