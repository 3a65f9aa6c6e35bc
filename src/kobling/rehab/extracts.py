"""The quality-register extracts (issue 13; docs/rehab.md "Quality-register extracts").

* **The unit's extract** (:func:`person_extract`): one row per rehabilitation course of the
  register (:mod:`kobling.rehab.registers`) that the user's units registered and whose
  participant's consent to report to a quality register (``ConsentScope.QUALITY_REGISTER``) is in
  force on the day, keyed by the national identity number — the only place it leaves Kobling.
  Managers of the unit only (coordinators, administrators); every download is audited with the
  ids of the courses in it (one entry per unit, the list-read form the access-log review reads).
  Courses without consent or without a national identity number (an alternative id) are left out
  and counted.
* **The aggregate extract** (:func:`aggregate_extract`): counts per unit, diagnosis group and
  quarter of the index event, no person rows, every count under the small-cell rule — for anyone
  monitoring: the national analyst (every unit) and a unit's staff (their own units' rows).

Both read the register's one source of course facts: the participant's course (``Episode``), the
completion rule and attendance of :mod:`kobling.groups.completion`, and outcomes' follow-ups."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kobling.groups.completion import completions
from kobling.lib.spreadsheet import neutralise
from kobling.lib.suppression import suppress_table
from kobling.outcomes.choices import FOLLOW_UP_MONTHS
from kobling.outcomes.models import FollowUp
from kobling.referrals.choices import ConsentScope
from kobling.referrals.models import consent_in_force_exists
from kobling.rehab import calc, selectors
from kobling.rehab.models import RehabCourse
from kobling.rehab.registers import QualityRegister
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction
from kobling.tenancy.models import Municipality, User

# The unit's extract: column → what it holds (the documentation in docs/rehab.md lists the same).
PERSON_COLUMNS: dict[str, str] = {
    "national_id": "Fødselsnummer or D-number (11 digits)",
    "unit": "The registering unit's code",
    "unit_name": "The registering unit's name",
    "register": "hjerteinfarkt | hjertesvikt | norkar",
    "diagnosis": "chd | copd | pad",
    "icd10": "ICD-10 code from the fixed list",
    "index_event": "Index event code",
    "index_date": "Date of the index event (YYYY-MM-DD)",
    "referral_date": "Referred to rehabilitation on (YYYY-MM-DD)",
    "offer": "The offer's name (empty: none recorded)",
    "setting": "hospital_outpatient | inpatient_institution | municipal | home_digital",
    "format": "group | individual",
    "started_on": "Course started (empty: not started)",
    "sessions_offered": "Group meetings offered to the participant so far",
    "sessions_attended": "Group meetings attended",
    "ended_on": "Course ended (empty: not ended)",
    "end_reason": "Why it ended (code)",
    "completed": "1 completed under the programme's rule, 0 not, empty: not ended or no rule",
    **{
        f"followup_{m}_{part}": text
        for m in FOLLOW_UP_MONTHS
        for part, text in (
            ("status", f"{m}-month follow-up after the end: status code (empty: none yet)"),
            ("still_active", f"{m}-month answer: still physically active 1/0 (empty: no answer)"),
            ("minutes_per_week", f"{m}-month answer: minutes of activity per week"),
        )
    },
}
AGGREGATE_COLUMNS = (
    "unit",
    "unit_name",
    "register",
    "diagnosis",
    "period",
    "courses",
    "started",
    "completed",
    *selectors.FOLLOWUP_FIELDS,
)


def may_download_persons(user: User) -> bool:
    return bool(user.municipality_ids(*MANAGER_ROLES))


def may_download_aggregates(user: User) -> bool:
    return selectors.may_see_participation(user)


@dataclass
class PersonExtract:
    register: QualityRegister
    rows: list[dict[str, Any]] = field(default_factory=list)
    without_consent: int = 0
    without_national_id: int = 0

    def csv(self) -> bytes:
        return write_csv(tuple(PERSON_COLUMNS), self.rows)


def _flag(value: bool | None) -> str:
    return "" if value is None else str(int(value))


def person_extract(
    *, user: User, register: QualityRegister, today: dt.date | None = None
) -> PersonExtract:
    """The register's courses of the user's units (as a manager) with consent in force, keyed
    by national identity number; audited. A fixed number of queries however many courses."""
    today = today or timezone.localdate()
    units = user.municipality_ids(*MANAGER_ROLES)
    in_register = RehabCourse.objects.filter(municipality_id__in=units).filter(register.q())
    consenting = in_register.filter(
        consent_in_force_exists("episode__referral_id", ConsentScope.QUALITY_REGISTER, today)
    )
    found = PersonExtract(register=register)
    found.without_consent = in_register.count() - consenting.count()
    courses = list(
        consenting.select_related("municipality", "offer", "episode__participant").order_by(
            "municipality__code", "index_date", "pk"
        )
    )
    keyed = [c for c in courses if c.episode.participant.national_id]
    found.without_national_id = len(courses) - len(keyed)
    ids = [c.episode_id for c in keyed]
    done = completions(ids, today=today)
    followups: dict[int, dict[int, FollowUp]] = {}
    # The latest of each point wins (a course ended again has follow-ups from its new end).
    for item in FollowUp.objects.filter(episode_id__in=ids).order_by(
        "episode_id", "months", "due_on", "pk"
    ):
        followups.setdefault(item.episode_id, {})[item.months] = item
    for course in keyed:
        episode = course.episode
        facts = done.get(episode.pk)
        row: dict[str, Any] = {
            "national_id": episode.participant.national_id,
            "unit": course.municipality.code,
            "unit_name": course.municipality.name,
            "register": register.slug,
            "diagnosis": course.diagnosis,
            "icd10": course.icd10,
            "index_event": course.index_event,
            "index_date": course.index_date,
            "referral_date": course.referral_date,
            "offer": course.offer.name if course.offer else "",
            "setting": course.offer.setting if course.offer else "",
            "format": course.offer.format if course.offer else "",
            "started_on": episode.started_on,
            "sessions_offered": facts.offered if facts else 0,
            "sessions_attended": facts.attended if facts else 0,
            "ended_on": episode.ended_on,
            "end_reason": episode.end_reason,
            "completed": _flag(facts.completed if facts and episode.ended_on else None),
        }
        for months in FOLLOW_UP_MONTHS:
            item = followups.get(episode.pk, {}).get(months)
            # Only a follow-up dated from the course's present end counts.
            current = item is not None and episode.ended_on and item.due_on > episode.ended_on
            row[f"followup_{months}_status"] = item.status if current else ""
            row[f"followup_{months}_still_active"] = _flag(item.still_active if current else None)
            row[f"followup_{months}_minutes_per_week"] = item.minutes_per_week if current else None
        found.rows.append(row)
    by_unit: dict[int, list[str]] = {}
    for course in keyed:
        by_unit.setdefault(course.municipality_id, []).append(str(course.pk))
    for unit in sorted(units):
        ids_here = by_unit.get(unit, [])
        audit_log(
            user=user,
            action=AuditAction.EXPORT,
            municipality_id=unit,
            object_type="rehab.rehabcourse",
            object_repr=f"{register.slug} extract ({len(ids_here)})",
            changes={"ids": ids_here, "register": register.slug, "format": "csv"},
        )
    return found


def aggregate_extract(
    *, user: User, register: QualityRegister, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Counts per unit, diagnosis group and quarter of the index event for the register's
    courses: registered, started, completed and the follow-ups, every count under the
    small-cell rule (also for the unit's own staff: this extract is for passing on). The table
    per diagnosis and quarter is suppressed over every unit, then limited to the units the user
    may see (the analyst all, a unit's staff their own, region staff their region's), so all see
    the same cells."""
    today = today or timezone.localdate()
    courses, _denominators = selectors.load_rows(today=today)
    chosen = [
        c
        for c in courses
        if register.includes(diagnosis=c.diagnosis, icd10=c.icd10, index_event=c.index_event)
    ]
    cells = calc.aggregate(chosen, [], level="unit", grain="quarter")
    mine = selectors.visible_units(user)
    names = {
        pk: (code, name)
        for pk, code, name in Municipality.objects.filter(pk__in={k[0] for k in cells}).values_list(
            "pk", "code", "name"
        )
    }
    columns: dict[tuple[str, str], list[calc.Key]] = {}
    for key in cells:
        columns.setdefault((key[1], key[2]), []).append(key)
    rows: list[dict[str, Any]] = []
    for (diagnosis, period), keys in sorted(columns.items()):
        keys.sort(key=lambda k: names.get(k[0], ("", ""))[0])
        counts = [[cells[k].courses, cells[k].started, cells[k].completed] for k in keys]
        shown = suppress_table(counts)
        later = selectors.followup_columns([cells[k] for k in keys], [False] * len(keys))
        for key, (registered, started, completed), followed in zip(keys, shown, later, strict=True):
            if mine is not None and key[0] not in mine:
                continue
            code, name = names.get(key[0], ("", ""))
            rows.append(
                {
                    "unit": code,
                    "unit_name": name,
                    "register": register.slug,
                    "diagnosis": diagnosis,
                    "period": period,
                    "courses": registered,
                    "started": started,
                    "completed": completed,
                    **followed,
                }
            )
    rows.sort(key=lambda r: (r["unit"], r["diagnosis"], r["period"]))
    return rows


def write_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """``;``-separated UTF-8 with a header row; dates ISO, text cells neutralised for
    spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in columns])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))
