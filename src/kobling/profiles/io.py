"""Reading STATUS.csv and PROFILES.csv, and writing comparisons as JSON, CSV and a text table.

The file formats (also in docs/profiles.md):

- ``STATUS.csv``: header ``unit_code,has_scheme``; ``has_scheme`` is ``true`` or ``false``
  (letter case and surrounding spaces ignored, so Excel's ``TRUE``/``FALSE`` pass; anything
  else — ``yes``, ``1``, ``ja``, empty — is an error).
- ``PROFILES.csv``: header ``unit_code,indicator,category``; ``category`` is ``better``,
  ``same`` or ``worse`` (letter case and surrounding spaces ignored; nothing else).

Both: comma-separated, UTF-8 with or without a byte-order mark, LF or CRLF line ends, header
names in any letter case; extra columns are ignored; empty lines are skipped. Unit codes are
text (``0301`` keeps its leading zero). Validation is complete before anything is computed:
every problem in both files is collected (file, line, value) and reported together.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kobling.profiles.stats import CATEGORIES, GROUPS, Comparison, compare

STATUS_COLUMNS = ("unit_code", "has_scheme")
PROFILE_COLUMNS = ("unit_code", "indicator", "category")
TRUE_FALSE = {"true": True, "false": False}
MAX_CODE_LENGTH = 12
MAX_INDICATOR_LENGTH = 200
FORMATS = ("json", "csv", "table")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where (file, line; None for the file as a whole),
    which column and value, and what."""

    file: str
    line: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f" {self.column}={self.value!r}" if self.column else ""
        return f"{where}:{what} {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


class DataError(Exception):
    """The input files have problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ProfileRow:
    line: int
    unit_code: str
    indicator: str
    category: str


@dataclass(frozen=True)
class IndicatorResult:
    indicator: str
    comparison: Comparison


def _rows(
    data: bytes | str, name: str, columns: tuple[str, ...], problems: list[Problem]
) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, {column: trimmed value}) for each non-empty data row; header and encoding
    problems are added to ``problems`` (and then no rows are yielded)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(name, None, "", "", _("The file is not UTF-8 text (%s).") % exc.reason)
            )
            return
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(name, 1, "", "", _("Unreadable CSV: %s") % exc))
        return
    if not header:
        problems.append(
            Problem(
                name, 1, "", "", _("The file is empty; expected the header %s.") % ",".join(columns)
            )
        )
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in columns if c not in names]
    for column in missing:
        problems.append(
            Problem(
                name,
                1,
                column,
                ",".join(header),
                _("Missing column %(column)s (the header must have %(columns)s, comma-separated).")
                % {"column": column, "columns": ",".join(columns)},
            )
        )
    duplicated = sorted({c for c in columns if names.count(c) > 1})
    for column in duplicated:
        problems.append(Problem(name, 1, column, ",".join(header), _("The column appears twice.")))
    if missing or duplicated:
        return
    index = {c: names.index(c) for c in columns}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) < len(header):
                problems.append(
                    Problem(
                        name,
                        line,
                        "",
                        ",".join(cells),
                        _("The row has %(got)s cells; the header has %(want)s.")
                        % {"got": len(cells), "want": len(header)},
                    )
                )
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                problems.append(
                    Problem(
                        name,
                        line,
                        "",
                        ",".join(cells),
                        _("The row has %(got)s cells; the header has %(want)s.")
                        % {"got": len(cells), "want": len(header)},
                    )
                )
                continue
            yield line, {c: cells[i].strip() for c, i in index.items()}
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, "", "", _("Unreadable CSV: %s") % exc))


def _check_code(name: str, line: int, code: str, problems: list[Problem]) -> bool:
    if not code:
        problems.append(Problem(name, line, "unit_code", code, _("The unit code is empty.")))
        return False
    if len(code) > MAX_CODE_LENGTH or any(ch.isspace() for ch in code):
        problems.append(
            Problem(
                name,
                line,
                "unit_code",
                code,
                _("A unit code is at most %s characters without spaces.") % MAX_CODE_LENGTH,
            )
        )
        return False
    return True


def parse_status(
    data: bytes | str, *, name: str = "STATUS.csv"
) -> tuple[dict[str, bool], list[Problem]]:
    """unit code → has a scheme, and every problem found."""
    status, _seen, problems = _parse_status(data, name)
    return status, problems


def _parse_status(data: bytes | str, name: str) -> tuple[dict[str, bool], set[str], list[Problem]]:
    problems: list[Problem] = []
    status: dict[str, bool] = {}
    first_line: dict[str, int] = {}
    for line, row in _rows(data, name, STATUS_COLUMNS, problems):
        code, raw = row["unit_code"], row["has_scheme"]
        ok = _check_code(name, line, code, problems)
        value = TRUE_FALSE.get(raw.lower())
        if value is None:
            problems.append(
                Problem(name, line, "has_scheme", raw, _("has_scheme must be true or false."))
            )
            ok = False
        if code in first_line:
            problems.append(
                Problem(
                    name,
                    line,
                    "unit_code",
                    code,
                    _("Duplicate unit: already on line %s.") % first_line[code],
                )
            )
            continue
        if code:
            first_line[code] = line
        if ok and value is not None:
            status[code] = value
    return status, set(first_line), problems


def parse_profiles(
    data: bytes | str, *, name: str = "PROFILES.csv"
) -> tuple[list[ProfileRow], list[Problem]]:
    """The rows, and every problem found (unknown category, duplicate unit and indicator…)."""
    rows, _refs, problems = _parse_profiles(data, name)
    return rows, problems


def _parse_profiles(
    data: bytes | str, name: str
) -> tuple[list[ProfileRow], list[tuple[int, str]], list[Problem]]:
    problems: list[Problem] = []
    refs: list[tuple[int, str]] = []  # (line, unit code) of every row, valid or not
    rows: list[ProfileRow] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, row in _rows(data, name, PROFILE_COLUMNS, problems):
        code, indicator, raw = row["unit_code"], row["indicator"], row["category"]
        ok = _check_code(name, line, code, problems)
        if ok:
            refs.append((line, code))
        if not indicator:
            problems.append(
                Problem(name, line, "indicator", indicator, _("The indicator is empty."))
            )
            ok = False
        elif len(indicator) > MAX_INDICATOR_LENGTH:
            problems.append(
                Problem(
                    name,
                    line,
                    "indicator",
                    indicator,
                    _("An indicator is at most %s characters.") % MAX_INDICATOR_LENGTH,
                )
            )
            ok = False
        category = raw.lower()
        if category not in CATEGORIES:
            problems.append(
                Problem(
                    name, line, "category", raw, _("The category must be better, same or worse.")
                )
            )
            ok = False
        key = (code, indicator)
        if code and indicator and key in first_line:
            problems.append(
                Problem(
                    name,
                    line,
                    "unit_code,indicator",
                    f"{code},{indicator}",
                    _("Duplicate unit and indicator: already on line %s.") % first_line[key],
                )
            )
            continue
        if code and indicator:
            first_line[key] = line
        if ok:
            rows.append(ProfileRow(line, code, indicator, category))
    return rows, refs, problems


def unknown_units(
    refs: Iterable[tuple[int, str]], known: Iterable[str], *, name: str = "PROFILES.csv"
) -> list[Problem]:
    """A problem for every (line, unit code) whose unit is not among ``known``."""
    known = set(known)
    return [
        Problem(name, line, "unit_code", code, _("Unknown unit: it is not in the status file."))
        for line, code in refs
        if code not in known
    ]


def load(
    status_data: bytes | str,
    profiles_data: bytes | str,
    *,
    status_name: str = "STATUS.csv",
    profiles_name: str = "PROFILES.csv",
) -> tuple[dict[str, bool], list[ProfileRow]]:
    """Both files, fully validated; raises :class:`DataError` with every problem in both."""
    status, seen, problems = _parse_status(status_data, status_name)
    rows, refs, profile_problems = _parse_profiles(profiles_data, profiles_name)
    problems += profile_problems
    # A unit whose status row is broken (say has_scheme=yes) is reported there, not again as
    # unknown in every profile row.
    problems += unknown_units(refs, seen, name=profiles_name)
    if problems:
        # In file order: the status file first, then by line.
        raise DataError(sorted(problems, key=lambda p: (p.file != status_name, p.line or 0)))
    return status, rows


def tabulate(
    status: Mapping[str, bool | None], rows: Iterable[tuple[str, str, str]]
) -> dict[str, dict[str, dict[str, int]]]:
    """indicator → group → category → count, from (unit_code, indicator, category) triples.
    Units whose status is unknown (missing or None) are left out."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for unit_code, indicator, category in rows:
        has = status.get(unit_code)
        if has is None:
            continue
        groups = table.setdefault(indicator, {g: dict.fromkeys(CATEGORIES, 0) for g in GROUPS})
        groups["with" if has else "without"][category] += 1
    return table


def compare_all(
    status: Mapping[str, bool | None], rows: Iterable[tuple[str, str, str]]
) -> list[IndicatorResult]:
    """One comparison per indicator, sorted by indicator name."""
    table = tabulate(status, rows)
    return [
        IndicatorResult(indicator, compare(table[indicator]["with"], table[indicator]["without"]))
        for indicator in sorted(table)
    ]


# --- output -----------------------------------------------------------------------------------


def as_json_object(result: IndicatorResult) -> dict[str, object]:
    """The issue's object — indicator, with, without, chi2, df, p — and nothing else."""
    c = result.comparison
    return {
        "indicator": result.indicator,
        "with": dict(c.counts["with"]),
        "without": dict(c.counts["without"]),
        "chi2": c.chi2,
        "df": c.df,
        "p": c.p,
    }


def as_detailed_json_object(result: IndicatorResult) -> dict[str, object]:
    """For the API: the issue's keys plus stars, row percentages, expected counts, dropped
    categories, warnings and the reason when there is no test."""
    c = result.comparison
    return {
        **as_json_object(result),
        "stars": c.stars,
        "percent": c.percent,
        "expected": c.expected,
        "dropped": list(c.dropped),
        "warnings": [str(w) for w in c.warnings],
        "reason": c.reason,
    }


def to_json(results: Iterable[IndicatorResult]) -> str:
    return json.dumps([as_json_object(r) for r in results], ensure_ascii=False, indent=2)


CSV_COLUMNS = (
    "indicator",
    "group",
    "better",
    "same",
    "worse",
    "total",
    "better_pct",
    "same_pct",
    "worse_pct",
    "chi2",
    "df",
    "p",
    "stars",
)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def to_csv(results: Iterable[IndicatorResult]) -> str:
    """Two rows per indicator (with / without), counts and row percentages; the test on both."""
    from kobling.lib.spreadsheet import neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        c = r.comparison
        for group in GROUPS:
            writer.writerow(
                [
                    neutralise(r.indicator),
                    group,
                    *(c.counts[group][k] for k in CATEGORIES),
                    c.row_total(group),
                    *(_pct(c.percent[group][k]) for k in CATEGORIES),
                    _num(c.chi2, 3),
                    "" if c.df is None else c.df,
                    "" if c.p is None else f"{c.p:.6g}",
                    c.stars,
                ]
            )
    return out.getvalue()


def to_table(results: Iterable[IndicatorResult]) -> str:
    """An aligned plain-text table: count (row %) per category, then chi2, df, p and stars."""
    header = ["indicator", "group", "better", "same", "worse", "n", "chi2", "df", "p", ""]
    lines: list[list[str]] = [header]
    for r in results:
        c = r.comparison
        for i, group in enumerate(GROUPS):
            cells = [
                r.indicator if i == 0 else "",
                group,
                *(
                    f"{c.counts[group][k]} ({_pct(c.percent[group][k]) or '-'}%)"
                    for k in CATEGORIES
                ),
                str(c.row_total(group)),
            ]
            if i == 0:
                cells += [
                    _num(c.chi2, 3) or "-",
                    "-" if c.df is None else str(c.df),
                    _p(c.p) or "-",
                    c.stars,
                ]
            else:
                cells += ["", "", "", ""]
            lines.append(cells)
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    right = {2, 3, 4, 5, 6, 7, 8}
    rendered = []
    for row in lines:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        rendered.append("  ".join(cells).rstrip())
    rendered.insert(1, "  ".join("-" * w for w in widths).rstrip())
    legend = "* p < 0.05, ** p < 0.01, *** p < 0.001; percentages are row percentages."
    return "\n".join([*rendered, "", legend]) + "\n"
