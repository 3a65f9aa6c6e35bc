import gettext
from pathlib import Path

import kobling

CATALOGUE = Path(kobling.__file__).parent / "locale" / "nb" / "LC_MESSAGES"


def _entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry of a .po file (enough of the format for this check)."""
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                current.append(line[6:])
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current = msgstr
                current.append(line.split(" ", 1)[1])
            elif line.startswith(("msgid_plural", "msgstr[")):
                current = None
            elif line.startswith('"') and current is not None:
                current.append(line)
        if msgid:
            entries.append(
                ("".join(s.strip('"') for s in msgid), "".join(s.strip('"') for s in msgstr), fuzzy)
            )
    return entries


def test_every_interface_string_has_a_norwegian_translation():
    entries = _entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    missing = [msgid for msgid, msgstr, fuzzy in entries if msgid and (not msgstr or fuzzy)]
    assert len(entries) > 500
    assert missing == []


def _unescape(value: str) -> str:
    return value.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_the_committed_compiled_catalogue_matches_the_source():
    """A stale django.mo (translations edited but not compiled) fails here."""
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    entries = _entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    stale = [
        msgid
        for msgid, msgstr, _fuzzy in entries
        if msgid and compiled.gettext(_unescape(msgid)) != _unescape(msgstr)
    ]
    assert stale == []
