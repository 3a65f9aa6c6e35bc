"""Import and export of the helper register (CSV and XLSX). The file format is described for
coordinators in ``docs/import-format.md``; keep the two in step.

Export writes the (already filtered and scoped) queryset in a fixed number of queries. Import is
all or nothing: every row is parsed and validated first and every problem reported with the row
number the user sees in the file; only a clean file is saved, in one transaction, through
:func:`kobling.helpers.services.helper_create`.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kobling.helpers import services
from kobling.helpers.choices import Gender, HelperStatus, Language
from kobling.helpers.models import Activity, Helper, HelperStatusChange, TargetGroup
from kobling.lib.spreadsheet import FORMULA_START, ILLEGAL_XML, neutralise
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

EXPORT_FORMATS = ("csv", "xlsx")

# CSV is written the way Norwegian Excel reads it: UTF-8 with a byte-order mark, ";" between
# cells (the comma is the decimal separator there) and decimals with a comma.
CSV_DELIMITER = ";"
# Between the codes of a list cell (activities, target groups, languages).
LIST_SEPARATOR = "|"
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
IMPORT_SOURCE = "import"

EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_year",
    "gender",
    "languages",
    "postcode",
    "home_area",
    "latitude",
    "longitude",
    "activities",
    "target_groups",
    "capacity",
    "hourly_rate",
    "covers_equipment",
    "contract_start",
    "contract_end",
    "status",
    "status_since",
    "paused_until",
    "police_certificate_expires",
    "is_unconfirmed",
    "programme",
    "municipality",
)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    ok: bool
    created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.created,
            "dry_run": self.dry_run,
            "errors": [e.__dict__ for e in self.errors],
        }


# --- export ---------------------------------------------------------------------------------


_FORMULA_START = FORMULA_START
_ILLEGAL_XML = ILLEGAL_XML


_neutralise = neutralise


def _export_row(helper: Helper) -> list[Any]:
    # Only prefetched relations are touched (helper_list_queryset), so rows cost no queries.
    return [
        helper.pk,
        helper.first_name,
        helper.last_name,
        helper.email,
        helper.phone,
        helper.birth_year,
        helper.gender,
        LIST_SEPARATOR.join(helper.languages or []),
        helper.postcode,
        helper.home_area,
        helper.latitude,
        helper.longitude,
        LIST_SEPARATOR.join(a.code for a in helper.activities.all()),
        LIST_SEPARATOR.join(t.code for t in helper.target_groups.all()),
        helper.capacity,
        helper.hourly_rate,
        helper.covers_equipment,
        helper.contract_start,
        helper.contract_end,
        helper.status,
        timezone.localtime(helper.status_since).replace(tzinfo=None, microsecond=0),
        helper.paused_until,
        helper.police_certificate_expires,
        helper.is_unconfirmed,
        helper.programme.name,
        helper.municipality.name,
    ]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _neutralise(value)
    return str(value)


def _xlsx_cell(value: Any) -> Any:
    return _neutralise(value) if isinstance(value, str) else value


def helpers_export(queryset, fmt: str) -> tuple[bytes, str, str]:  # noqa: ANN001
    """The helpers of ``queryset`` as CSV or XLSX: ``(content, content type, file name)``.

    ``queryset`` should come from ``helper_list_queryset`` so that the export takes the same
    fixed number of queries whatever the number of rows. The national identity number is never
    exported."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    rows = (_export_row(helper) for helper in queryset)
    filename = f"kontakter-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows([_csv_cell(v) for v in row] for row in rows)
        content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("kontakter")
        sheet.append(list(EXPORT_COLUMNS))
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
    return content, CONTENT_TYPES[fmt], filename


# --- reading a file -------------------------------------------------------------------------


class FileProblem(Exception):
    """The file as a whole cannot be read (format, size, encoding)."""


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match headers and labels."""
    text = str(text).strip().lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return content.decode("utf-16")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Norwegian Excel saves "CSV (semikolonseparert)" in Windows-1252.
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _read_csv(content: bytes) -> Iterator[list[Any]]:
    text = _decode(content)
    if "\x00" in text:
        raise FileProblem(_("The file does not look like a CSV file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(("\t", ",", ";"), key=first_line.count) if first_line else ","
    if not first_line.count(delimiter):
        delimiter = ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileProblem(_("The CSV file could not be read: %(error)s") % {"error": exc}) from None


def _read_xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise FileProblem(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    try:
        for row in rows:
            yield list(row)
    except Exception:  # noqa: BLE001
        raise FileProblem(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    finally:
        workbook.close()


def _read_rows(filename: str, content: bytes) -> Iterator[list[Any]]:
    name = (filename or "").lower()
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    if content.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise FileProblem(
            _("The old Excel format (.xls) is not supported. Save the file as .xlsx or CSV.")
        )
    if name.endswith(".xlsx"):
        raise FileProblem(_("The file could not be read as an Excel workbook (.xlsx)."))
    return _read_csv(content)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# --- columns and values ---------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as trimmed text. Undoes the apostrophe our export puts before formula-like text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def _parse_text(value: Any) -> str:
    return _text(value)


def _parse_email(value: Any) -> str:
    return _text(value).lower()


def _digits_padded(width: int, *, shortest: int) -> Callable[[Any], str]:
    """Excel drops leading zeros (postcode 0150 becomes 150, a fødselsnummer born on the 1st to
    9th loses its first digit): pad all-digit values of ``shortest`` digits or more back."""

    def parse(value: Any) -> str:
        text = re.sub(r"\s", "", _text(value))
        if text.isdigit() and shortest <= len(text) < width:
            text = text.zfill(width)
        return text

    return parse


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."))
    if isinstance(value, int):
        return value
    text = re.sub(r"\s", "", _text(value))
    if not re.fullmatch(r"[-+]?\d+", text):
        raise ValidationError(_("Enter a whole number."))
    return int(text)


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = re.sub(r"[\s\u00a0]", "", _text(value))
    if "," in text and "." in text:
        # The last of the two is the decimal sign: 1.250,50 and 1,250.50 are both 1250.50.
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number, for example 150 or 150,50.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number, for example 150 or 150,50."))
    return number


def _parse_coordinate(value: Any) -> Decimal:
    # Five decimals is about a metre; geocoders give more than the register keeps.
    try:
        return _parse_decimal(value).quantize(Decimal("0.00001"))
    except InvalidOperation:
        raise ValidationError(_("Enter a coordinate in decimal degrees, e.g. 62,7375.")) from None


_TRUE = {"ja", "j", "yes", "y", "true", "sann", "1", "x"}
_FALSE = {"nei", "n", "no", "false", "usann", "0"}


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = _fold(_text(value))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValidationError(_("Write ja or nei (or true/false, 1/0)."))


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", text):
        text = text[:10]  # a date-time from another system: the date is what counts
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(
        _("Write the date as YYYY-MM-DD or DD.MM.YYYY, for example 2024-03-31 or 31.03.2024.")
    )


def _choice_lookup(choices: type, extra: dict[str, str]) -> dict[str, str]:
    """Folded code and label (in both UI languages) → code."""
    lookup: dict[str, str] = {}
    for code in choices.values:
        lookup[_fold(code)] = code
    for language in ("en", "nb"):
        with translation.override(language):
            for code, label in choices.choices:
                lookup.setdefault(_fold(str(label)), code)
    lookup.update({_fold(k): v for k, v in extra.items()})
    return lookup


_GENDER_ALIASES = {
    "kvinne": Gender.FEMALE,
    "k": Gender.FEMALE,
    "f": Gender.FEMALE,
    "mann": Gender.MALE,
    "m": Gender.MALE,
    "annet": Gender.OTHER,
    "ukjent": Gender.UNSPECIFIED,
    "uoppgitt": Gender.UNSPECIFIED,
    "ikke oppgitt": Gender.UNSPECIFIED,
    "vil ikke oppgi": Gender.UNSPECIFIED,
    "ønsker ikke å oppgi": Gender.UNSPECIFIED,
}
_STATUS_ALIASES = {
    "søker": HelperStatus.APPLICANT,
    "vurdering": HelperStatus.SCREENING,
    "under vurdering": HelperStatus.SCREENING,
    "i opplæring": HelperStatus.IN_TRAINING,
    "opplæring": HelperStatus.IN_TRAINING,
    "kvalifisert": HelperStatus.QUALIFIED,
    "aktiv": HelperStatus.ACTIVE,
    "pause": HelperStatus.PAUSED,
    "pauset": HelperStatus.PAUSED,
    "i pause": HelperStatus.PAUSED,
    "sluttet": HelperStatus.LEFT,
    "avsluttet": HelperStatus.LEFT,
}
_LANGUAGE_ALIASES = {
    "norsk": "nb",
    "bokmål": "nb",
    "nynorsk": "nn",
    "samisk": "se",
    "nordsamisk": "se",
    "engelsk": "en",
    "svensk": "sv",
    "dansk": "da",
    "tysk": "de",
    "fransk": "fr",
    "spansk": "es",
    "polsk": "pl",
    "litauisk": "lt",
    "ukrainsk": "uk",
    "russisk": "ru",
    "arabisk": "ar",
    "somali": "so",
    "somalisk": "so",
    "tigrinja": "ti",
    "persisk": "fa",
    "farsi": "fa",
    "dari": "prs",
    "urdu": "ur",
    "tyrkisk": "tr",
    "kurdisk": "ku",
    "thai": "th",
    "vietnamesisk": "vi",
    "tagalog": "tl",
}
# Statuses an existing contact may be imported with, and the lifecycle steps that lead there
# from "applicant": every step's rules are checked with services.status_change_problems.
_STATUS_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    HelperStatus.APPLICANT: (),
    HelperStatus.SCREENING: ((HelperStatus.APPLICANT, HelperStatus.SCREENING),),
    HelperStatus.IN_TRAINING: (
        (HelperStatus.APPLICANT, HelperStatus.SCREENING),
        (HelperStatus.SCREENING, HelperStatus.IN_TRAINING),
    ),
    HelperStatus.QUALIFIED: (
        (HelperStatus.APPLICANT, HelperStatus.SCREENING),
        (HelperStatus.SCREENING, HelperStatus.QUALIFIED),
    ),
    HelperStatus.ACTIVE: (
        (HelperStatus.APPLICANT, HelperStatus.SCREENING),
        (HelperStatus.SCREENING, HelperStatus.QUALIFIED),
        (HelperStatus.QUALIFIED, HelperStatus.ACTIVE),
    ),
    HelperStatus.PAUSED: (
        (HelperStatus.APPLICANT, HelperStatus.SCREENING),
        (HelperStatus.SCREENING, HelperStatus.QUALIFIED),
        (HelperStatus.QUALIFIED, HelperStatus.ACTIVE),
        (HelperStatus.ACTIVE, HelperStatus.PAUSED),
    ),
}
_NEEDS_QUALIFICATION = {HelperStatus.QUALIFIED, HelperStatus.ACTIVE, HelperStatus.PAUSED}


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any], Any] | None
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Where the value goes: a Helper field in EDITABLE_FIELDS ("data"), a relation, a lifecycle
    # value, or nowhere (export-only columns, accepted so an export can be re-imported).
    target: str = "data"


COLUMNS: tuple[Column, ...] = (
    Column("id", None, ("nr",), target="ignored"),
    Column("first_name", _parse_text, ("fornavn",), required=True),
    Column("last_name", _parse_text, ("etternavn",), required=True),
    Column("email", _parse_email, ("e-post", "epost", "e-mail", "e_post"), required=True),
    Column("phone", _parse_text, ("telefon", "mobil", "tlf", "telefonnummer")),
    Column(
        "national_id", _digits_padded(11, shortest=10), ("fødselsnummer", "fnr", "personnummer")
    ),
    Column("birth_year", _parse_int, ("fødselsår",)),
    Column("gender", None, ("kjønn",), target="gender"),
    Column("languages", None, ("språk",), target="languages"),
    Column("postcode", _digits_padded(4, shortest=1), ("postnummer", "postnr"), required=True),
    Column("home_area", _parse_text, ("område", "bydel", "bosted")),
    Column("latitude", _parse_coordinate, ("breddegrad",)),
    Column("longitude", _parse_coordinate, ("lengdegrad",)),
    Column("activities", None, ("aktiviteter",), target="activities"),
    Column("target_groups", None, ("målgrupper",), target="target_groups"),
    Column("capacity", _parse_int, ("kapasitet",)),
    Column("hourly_rate", _parse_decimal, ("timesats", "timelønn")),
    Column("covers_equipment", _parse_bool, ("utstyr dekkes", "dekker utstyr")),
    Column("contract_start", _parse_date, ("kontrakt fra", "kontraktstart")),
    Column("contract_end", _parse_date, ("kontrakt til", "kontraktslutt")),
    Column("interview_date", _parse_date, ("intervju", "intervjudato")),
    Column("police_certificate_date", _parse_date, ("politiattest", "politiattest dato")),
    Column("police_certificate_expires", _parse_date, ("politiattest utløper",)),
    Column("references_checked", _parse_bool, ("referanser sjekket",)),
    Column("screening_notes", _parse_text, ("notater", "merknader")),
    Column("status", None, (), target="status"),
    Column("status_since", None, ("status siden",), target="ignored"),
    Column("paused_until", _parse_date, ("pause til",), target="lifecycle"),
    Column("qualified_on", _parse_date, ("kvalifisert", "opplæring dato"), target="lifecycle"),
    Column("is_unconfirmed", None, ("ubekreftet",), target="ignored"),
    Column("programme", None, ("program",), target="ignored"),
    Column("municipality", None, ("kommune",), target="ignored"),
)
_COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
_HEADER_LOOKUP = {
    _fold(alias): column.name for column in COLUMNS for alias in (column.name, *column.aliases)
}


@dataclass
class _Row:
    number: int
    data: dict[str, Any] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)
    status: str = HelperStatus.APPLICANT
    paused_until: dt.date | None = None
    qualified_on: dt.date | None = None


class _Context:
    """What every row is checked against, fetched once per file."""

    def __init__(self, programme: Any, headers: dict[str, str]) -> None:
        self.programme = programme
        self.headers = headers  # column name → header as written in the file
        self.position = {name: i for i, name in enumerate(headers)}
        self.today = timezone.localdate()
        self.activities = self._reference(Activity)
        self.target_groups = self._reference(TargetGroup)
        self.genders = _choice_lookup(Gender, _GENDER_ALIASES)
        self.statuses = _choice_lookup(HelperStatus, _STATUS_ALIASES)
        self.languages = _choice_lookup(Language, _LANGUAGE_ALIASES)
        self.existing_emails = {
            e.lower()
            for e in Helper.objects.filter(programme=programme).values_list("email", flat=True)
        }
        self.seen_emails: dict[str, int] = {}

    @staticmethod
    def _reference(model: type) -> dict[str, Any]:
        lookup: dict[str, Any] = {}
        for item in model.objects.filter(is_active=True):
            for key in (item.code, item.name_nb, item.name_en):
                lookup.setdefault(_fold(key), item)
        return lookup

    def column(self, name: str) -> str:
        return self.headers.get(name, name if name != NON_FIELD_ERRORS else "")


def _split_list(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[|;,\n]", _text(value)) if part.strip()]


def _parse_references(value: Any, lookup: dict[str, Any], message: str) -> list[Any]:
    found: list[Any] = []
    unknown: list[str] = []
    for token in _split_list(value):
        item = lookup.get(_fold(token))
        if item is None:
            unknown.append(token)
        elif item not in found:
            found.append(item)
    if unknown:
        known = sorted({item.code for item in lookup.values()})
        raise ValidationError(message % {"codes": ", ".join(unknown), "known": ", ".join(known)})
    return found


def _parse_languages(value: Any, lookup: dict[str, str]) -> list[str]:
    codes: list[str] = []
    unknown: list[str] = []
    for token in _split_list(value):
        code = lookup.get(_fold(token))
        if code is None:
            unknown.append(token)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise ValidationError(
            _("Unknown language(s): %(codes)s. Use codes such as nb, en, ar, so, uk.")
            % {"codes": ", ".join(unknown)}
        )
    return codes


def _parse_cell(column: Column, value: Any, row: _Row, ctx: _Context) -> None:
    """Parse one non-empty cell into ``row``; raises ValidationError with the user's message."""
    if column.target == "data":
        row.data[column.name] = column.parse(value)  # type: ignore[misc]
    elif column.target == "gender":
        code = ctx.genders.get(_fold(_text(value)))
        if code is None:
            raise ValidationError(
                _("Unknown gender %(value)s. Use female, male, other or unspecified.")
                % {"value": _text(value)}
            )
        row.data["gender"] = code
    elif column.target == "languages":
        row.data["languages"] = _parse_languages(value, ctx.languages)
    elif column.target == "activities":
        row.activities = _parse_references(
            value, ctx.activities, _("Unknown activity code(s): %(codes)s. Known codes: %(known)s.")
        )
    elif column.target == "target_groups":
        row.target_groups = _parse_references(
            value,
            ctx.target_groups,
            _("Unknown target-group code(s): %(codes)s. Known codes: %(known)s."),
        )
    elif column.target == "status":
        code = ctx.statuses.get(_fold(_text(value)))
        if code is None:
            raise ValidationError(_("Unknown status %(value)s.") % {"value": _text(value)})
        if code not in _STATUS_PATHS:
            raise ValidationError(
                _("Contacts cannot be imported with the status %(status)s.")
                % {"status": HelperStatus(code).label}
            )
        row.status = code
    elif column.target == "lifecycle":
        setattr(row, column.name, column.parse(value))  # type: ignore[misc]


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def _status_problems(helper: Helper, row: _Row, ctx: _Context) -> dict[str, list[str]]:
    """Why ``row`` cannot bring the contact in with its status (column → messages)."""
    problems: dict[str, list[str]] = {}
    if row.qualified_on and row.qualified_on > ctx.today:
        problems["qualified_on"] = [_("The date of the prior training cannot be in the future.")]
    if row.status == HelperStatus.APPLICANT:
        return problems
    if (
        row.status in _NEEDS_QUALIFICATION
        and ctx.programme.requires_qualification
        and not row.qualified_on
    ):
        problems.setdefault("qualified_on", []).append(
            _(
                "The programme requires a qualification: to import a contact as %(status)s, give "
                "the date of their prior training in the column qualified_on."
            )
            % {"status": HelperStatus(row.status).label}
        )
    probe = copy.copy(helper)
    for from_status, to_status in _STATUS_PATHS[row.status]:
        probe.status = from_status
        found = services.status_change_problems(
            probe,
            to_status,
            paused_until=row.paused_until,
            left_reason="",
            today=ctx.today,
            # The qualification rule was checked above from qualified_on, with a message naming
            # the column; a helper that is not saved yet has nothing in the database to look up.
            has_qualification=True,
        )
        for key, message in found.items():
            column = _problem_column(key, helper)
            if str(message) not in problems.get(column, []):
                problems.setdefault(column, []).append(str(message))
    return problems


def _problem_column(key: str, helper: Helper) -> str:
    if key == "qualification":
        return "qualified_on"
    if key == "to_status":
        return "status"
    if key == "police_certificate_expires" and not helper.police_certificate_date:
        return "police_certificate_date"
    return key


def _check_row(row: _Row, cells: dict[str, Any], ctx: _Context) -> list[RowError]:
    errors: dict[str, list[str]] = {}
    for name, value in cells.items():
        column = _COLUMNS_BY_NAME[name]
        if column.target == "ignored" or _blank(value):
            continue
        try:
            _parse_cell(column, value, row, ctx)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)

    # The same Helper that services.helper_create builds, validated the same way; uniqueness of
    # the e-mail is checked below against the whole file and the programme in one go.
    helper = Helper(
        municipality=ctx.programme.municipality,
        programme=ctx.programme,
        source=IMPORT_SOURCE,
        **row.data,
    )
    try:
        helper.full_clean(exclude=list(errors), validate_constraints=False)
    except ValidationError as exc:
        for key, messages in _messages(exc).items():
            errors.setdefault(key, []).extend(messages)
    try:
        helper.validate_constraints(exclude={"email", *errors})
    except ValidationError as exc:
        for key, messages in _messages(exc).items():
            errors.setdefault(key, []).extend(messages)

    email = (row.data.get("email") or "").strip().lower()
    if email and "email" not in errors:
        if email in ctx.seen_emails:
            errors["email"] = [
                _("The e-mail %(email)s is also on row %(row)s.")
                % {"email": email, "row": ctx.seen_emails[email]}
            ]
        elif email in ctx.existing_emails:
            errors["email"] = [
                _("A helper with the e-mail %(email)s is already registered in this programme.")
                % {"email": email}
            ]
        ctx.seen_emails.setdefault(email, row.number)

    for key, messages in _status_problems(helper, row, ctx).items():
        if key not in errors:
            errors[key] = messages

    # In the order of the columns in the file, as the user reads the row.
    ordered = sorted(errors.items(), key=lambda item: ctx.position.get(item[0], len(ctx.position)))
    return [
        RowError(row=row.number, field=ctx.column(key), message=message)
        for key, messages in ordered
        for message in messages
    ]


def _map_header(header_row: list[Any]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    """Column index → column name, column name → header as written, and header problems."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header_row):
        header = _text(cell).lstrip("\ufeff").strip()
        if not header:
            continue
        name = _HEADER_LOOKUP.get(_fold(header))
        if name is None:
            errors.append(
                RowError(
                    row=1,
                    field=header,
                    message=_(
                        "Unknown column. See the import guide for the columns that can be used."
                    ),
                )
            )
        elif name in written:
            errors.append(
                RowError(
                    row=1,
                    field=header,
                    message=_("The column %(column)s appears twice.") % {"column": name},
                )
            )
        else:
            by_index[index] = name
            written[name] = header
    for column in COLUMNS:
        if column.required and column.name not in written:
            errors.append(
                RowError(
                    row=1,
                    field=column.name,
                    message=_("The required column %(column)s is missing.")
                    % {"column": column.name},
                )
            )
    return by_index, written, errors


def _file_error(message: str) -> ImportReport:
    return ImportReport(ok=False, errors=[RowError(row=0, field="file", message=message)])


@dataclass
class _Checked:
    rows: list[_Row]
    errors: list[RowError]
    headers: dict[str, str]


def _collect(rows: Iterable[list[Any]], programme: Any) -> _Checked | ImportReport:
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None or all(_blank(c) for c in header_row):
        if header_row is None:
            return _file_error(_("The file is empty."))
        return _file_error(_("The first row must hold the column names."))
    by_index, headers, errors = _map_header(header_row)
    if errors:
        return ImportReport(ok=False, errors=errors)

    ctx = _Context(programme, headers)
    parsed: list[_Row] = []
    for number, cells in enumerate(iterator, start=2):
        if all(_blank(c) for c in cells):
            continue
        if len(parsed) >= MAX_IMPORT_ROWS:
            return _file_error(
                _("The file has more than %(max)s rows. Split it into smaller files.")
                % {"max": MAX_IMPORT_ROWS}
            )
        row = _Row(number=number)
        values = {name: cells[i] if i < len(cells) else None for i, name in by_index.items()}
        stray = [i for i, c in enumerate(cells) if i not in by_index and not _blank(c)]
        if stray:
            errors.append(
                RowError(
                    row=number,
                    field=_("column %(n)s") % {"n": stray[0] + 1},
                    message=_("This cell has a value, but its column has no name in row 1."),
                )
            )
        errors.extend(_check_row(row, values, ctx))
        parsed.append(row)
    if not parsed:
        return _file_error(_("The file has a header row but no contacts."))
    return _Checked(rows=parsed, errors=errors, headers=headers)


# --- saving ---------------------------------------------------------------------------------


# Recording training a contact had before Kobling is the course register's business (courses
# sits above helpers): it registers the recorder — (helper, programme, qualified_on) — in its
# AppConfig.ready. An import that carries such dates without it is refused row by row.
_PRIOR_TRAINING: list[Callable[[Helper, Any, dt.date], None]] = []


def register_prior_training(recorder: Callable[[Helper, Any, dt.date], None]) -> None:
    _PRIOR_TRAINING[:] = [recorder]


def _record_prior_training(helper: Helper, programme: Any, qualified_on: dt.date) -> None:
    if not _PRIOR_TRAINING:
        raise ValidationError(
            {"qualified_on": _("Prior training cannot be recorded: the course register is off.")}
        )
    _PRIOR_TRAINING[0](helper, programme, qualified_on)


def _set_imported_status(helper: Helper, row: _Row, by: Any, today: dt.date) -> None:
    """Bring an existing contact in with its current status. Every lifecycle step on the way is
    checked with the real rules (the qualification now exists in the database); the history gets
    one step "applicant → status" with the reason "import"."""
    for from_status, to_status in _STATUS_PATHS[row.status]:
        helper.status = from_status
        problems = services.status_change_problems(
            helper, to_status, paused_until=row.paused_until, left_reason="", today=today
        )
        if problems:
            raise ValidationError({_problem_column(k, helper): v for k, v in problems.items()})
    now = timezone.now()
    helper.status = row.status
    helper.status_since = now
    helper.paused_until = row.paused_until if row.status == HelperStatus.PAUSED else None
    update_fields = ["status", "status_since", "paused_until", "updated_at"]
    if row.status in {HelperStatus.ACTIVE, HelperStatus.PAUSED}:
        helper.availability_confirmed_at = now
        helper.is_unconfirmed = False
        update_fields += ["availability_confirmed_at", "is_unconfirmed"]
    helper.save(update_fields=update_fields)
    HelperStatusChange.objects.create(
        helper=helper,
        municipality_id=helper.municipality_id,
        from_status=HelperStatus.APPLICANT,
        to_status=row.status,
        at=now,
        by=by if by is not None and by.is_authenticated else None,
        reason=IMPORT_SOURCE,
        paused_until=helper.paused_until,
    )


class _RowFailed(Exception):
    """Saving a row failed after all checks passed (e.g. someone registered the same e-mail
    meanwhile). Raised out of the transaction so that every row is rolled back."""

    def __init__(self, number: int, error: Exception) -> None:
        super().__init__(str(error))
        self.number = number
        self.error = error


def _save(rows: list[_Row], *, by: Any, programme: Any, filename: str) -> None:
    today = timezone.localdate()
    for row in rows:
        try:
            helper = services.helper_create(
                by=by,
                municipality=programme.municipality,
                programme=programme,
                data=row.data,
                activities=row.activities,
                target_groups=row.target_groups,
                source=IMPORT_SOURCE,
                audit=False,
            )
            if row.qualified_on:
                _record_prior_training(helper, programme, row.qualified_on)
            if row.status != HelperStatus.APPLICANT:
                _set_imported_status(helper, row, by, today)
        except (ValidationError, DatabaseError) as exc:
            raise _RowFailed(row.number, exc) from exc
        # One audit entry per created contact, carrying where it came from.
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=helper,
            changes={"source": IMPORT_SOURCE, "file": filename, "row": row.number},
        )
    audit_log(
        user=by,
        action=AuditAction.CREATE,
        municipality_id=programme.municipality_id,
        object_type="helpers.import",
        object_id=str(programme.pk),
        object_repr=filename,
        changes={"file": filename, "rows": len(rows), "programme": programme.pk},
    )


def _save_all(checked: _Checked, *, by: Any, programme: Any, filename: str) -> ImportReport:
    try:
        with transaction.atomic():
            _save(checked.rows, by=by, programme=programme, filename=filename)
    except _RowFailed as failed:
        if isinstance(failed.error, ValidationError):
            messages = _messages(failed.error)
        else:
            messages = {
                NON_FIELD_ERRORS: [
                    _("The row could not be saved (%(error)s).") % {"error": failed.error}
                ]
            }
        return ImportReport(
            ok=False,
            errors=[
                RowError(
                    row=failed.number,
                    field=checked.headers.get(key, "" if key == NON_FIELD_ERRORS else key),
                    message=f"{message} {_('Nothing was imported.')}",
                )
                for key, values in messages.items()
                for message in values
            ],
        )
    return ImportReport(ok=True, created=len(checked.rows))


def helpers_import(*, by, programme, filename: str, content: bytes, dry_run: bool) -> ImportReport:  # noqa: ANN001
    """Import contacts into ``programme`` from a CSV or XLSX file, all or nothing.

    Every row is checked first (the same model validation as ``helper_create``, the lifecycle
    rules of the status column, duplicate e-mails in the file and in the programme) and every
    problem is reported. Only when there are none, and ``dry_run`` is false, are all rows created
    in one transaction; if anything still fails there, everything is rolled back."""
    report = _import(
        by=by, programme=programme, filename=filename, content=content, dry_run=dry_run
    )
    report.dry_run = dry_run
    return report


def _import(
    *, by: Any, programme: Any, filename: str, content: bytes, dry_run: bool
) -> ImportReport:
    if by is not None and not by.is_manager_of(programme.municipality_id):
        return ImportReport(
            ok=False,
            errors=[
                RowError(
                    row=0, field="programme", message=_("You cannot import into this programme.")
                )
            ],
        )
    if len(content) > MAX_IMPORT_BYTES:
        return _file_error(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        return _file_error(_("The file is empty."))
    try:
        checked = _collect(_read_rows(filename, content), programme)
    except FileProblem as exc:
        return _file_error(str(exc))
    if isinstance(checked, ImportReport):
        return checked
    if checked.errors:
        return ImportReport(ok=False, errors=checked.errors)
    if dry_run:
        return ImportReport(ok=True, created=len(checked.rows))
    return _save_all(checked, by=by, programme=programme, filename=filename)
