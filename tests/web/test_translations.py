import gettext
from pathlib import Path

import kobling

CATALOGUE = Path(kobling.__file__).parent / "locale" / "nb" / "LC_MESSAGES"


def _entries(text: str, *, with_context: bool = False) -> list:
    """(msgid, msgstr, fuzzy[, msgctxt]) for each entry of a .po file (enough of the format for
    this check)."""
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstr, current = [], [], None
        context = ""
        for line in lines:
            if line.startswith("msgctxt "):
                context = line[8:].strip('"')
            elif line.startswith("msgid "):
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
            entry = (
                "".join(s.strip('"') for s in msgid),
                "".join(s.strip('"') for s in msgstr),
                fuzzy,
            )
            entries.append((*entry, context) if with_context else entry)
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
    entries = _entries((CATALOGUE / "django.po").read_text(encoding="utf-8"), with_context=True)

    def compiled_text(msgid: str, context: str) -> str:
        text = _unescape(msgid)
        return compiled.pgettext(context, text) if context else compiled.gettext(text)

    stale = [
        msgid
        for msgid, msgstr, _fuzzy, context in entries
        if msgid and compiled_text(msgid, context) != _unescape(msgstr)
    ]
    assert stale == []


def test_an_activity_provider_is_a_tilbyder_and_a_course_provider_a_kursholder():
    """DOMAIN §8: a kursholder trains helpers; a gym or rehabilitation institution that takes
    placed participants is a tilbyder. The same English word, so each use names its kind."""
    from django.utils import translation

    from kobling.catalogue.models import Offer
    from kobling.courses.models import CourseRun
    from kobling.providers.forms import PlacementForm
    from kobling.providers.models import ProviderSite

    with translation.override("nb"):
        assert str(ProviderSite._meta.get_field("provider").verbose_name) == "tilbyder"
        assert str(Offer._meta.get_field("provider").verbose_name) == "tilbyder"
        assert str(PlacementForm.base_fields["provider"].label) == "Tilbyder"
        assert str(CourseRun._meta.get_field("provider").verbose_name) == "kursholder"
