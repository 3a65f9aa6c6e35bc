"""The research dataset: a ZIP of CSV files, a data dictionary and a README, built in memory.

Rules (docs/research.md):

* Only referrals with a research consent in force on the export date, in the chosen programmes,
  received in the chosen period.
* Pseudonyms are HMAC-SHA256 of the record's id under a key made for this one export
  (``secrets.token_bytes(32)``) and thrown away afterwards — never stored, never logged. Within
  one export the same person, referral, pairing or contact always has the same pseudonym; two
  exports share none.
* Minimised: birth year instead of birth date, referral month instead of date, every later event
  as days since the referral was received; codes from fixed lists, numbers and booleans only —
  no names, identity numbers, contact details, postcodes, places or free text of any kind.
* With ``bands`` (the default) the birth year is coarsened to a 5-year band ("1980-1984") and the
  referral month to its quarter ("2025-Q3"); the columns keep their names and the data
  dictionary describes the form used (:data:`BANDED`).
* The export's smallest group — the fewest participants sharing birth year (or band), gender and
  programme — is measured (:func:`smallest_group`) and written in the README.

The column list in :data:`FILES` is the single source of both the CSV headers and
``data_dictionary.csv``; writing a row with a column it does not list fails."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from kobling.followup.choices import (
    EndReason,
    HandoverDestination,
    Intensity,
    PairingStatus,
    SessionStatus,
)
from kobling.followup.models import Pairing, Session
from kobling.groups.completion import completions
from kobling.helpers.choices import Gender
from kobling.lib.spreadsheet import neutralise
from kobling.outcomes.choices import FOLLOW_UP_MONTHS, GoalStatus, ReviewKind
from kobling.outcomes.models import FollowUp, Goal, ReviewScore
from kobling.providers.choices import VisitSource
from kobling.providers.models import ProviderVisit
from kobling.referrals.choices import (
    EPISODE_END_REASONS,
    ConsentScope,
    DecisionOutcome,
    EpisodeStatus,
    ReferralSource,
    ReferralStatus,
)
from kobling.referrals.models import Consent, Decision, Episode, Referral
from kobling.rehab.choices import DiagnosisGroup, Format, Icd10, IndexEvent, Setting
from kobling.rehab.models import RehabCourse
from kobling.research import rows as plain
from kobling.research.models import SMALL_GROUP

# The pure part, re-exported: callers and tests name them here.
from kobling.research.rows import (  # noqa: F401
    PSEUDONYM_LENGTH,
    Pseudonymiser,
    birth_year_band,
    quarter,
    smallest_group,
)
from kobling.tenancy.choices import Delivery, ProgrammeKind
from kobling.tenancy.models import Programme

# --- the files and their columns ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # pseudonym, integer, decimal, boolean, code, codes, month, band, quarter
    description: str
    allowed: str = ""


def _codes(choices: Iterable[Any]) -> str:
    return " | ".join(str(value) for value, _label in choices if value != "")


PSEUDONYM = f"{PSEUDONYM_LENGTH} hexadecimal characters, valid within this export only"
DAYS = "days (0 = the day the referral was received); empty when it has not happened"


def _participant_col() -> Column:
    return Column("participant_id", "pseudonym", "The participant.", PSEUDONYM)


def _pairing_col(description: str = "The pairing (pairings.csv).") -> Column:
    return Column("pairing_id", "pseudonym", description, PSEUDONYM)


FILES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "participants.csv": (
        "One row per participant with at least one referral in the export.",
        (
            _participant_col(),
            Column("birth_year", "integer", "Year of birth (never the date).", "year"),
            Column("gender", "code", "Gender as recorded.", _codes(Gender.choices)),
        ),
    ),
    "referrals.csv": (
        "One row per referral (a participant may have several).",
        (
            Column("referral_id", "pseudonym", "The referral.", PSEUDONYM),
            _participant_col(),
            Column(
                "programme",
                "code",
                "The programme within this export (see README.txt).",
                "P1, P2, …",
            ),
            Column("programme_kind", "code", "Kind of programme.", _codes(ProgrammeKind.choices)),
            Column("source", "code", "Who referred.", _codes(ReferralSource.choices)),
            Column(
                "target_groups",
                "codes",
                "Target groups, separated by ';' (empty: none recorded).",
                "target-group codes of the municipality's reference list",
            ),
            Column("referral_month", "month", "Month the referral was received.", "YYYY-MM"),
            Column("status", "code", "Status on the export date.", _codes(ReferralStatus.choices)),
            Column("first_decision_day", "integer", "First decision.", DAYS),
            Column(
                "final_decision_outcome",
                "code",
                "Outcome of the decision that stands (empty: none yet).",
                _codes(DecisionOutcome.choices),
            ),
            Column("final_decision_day", "integer", "The decision that stands.", DAYS),
        ),
    ),
    "pairings.csv": (
        "One row per pairing of a participant with a training contact.",
        (
            _pairing_col("The pairing."),
            Column("referral_id", "pseudonym", "The referral (referrals.csv).", PSEUDONYM),
            _participant_col(),
            Column(
                "helper_id",
                "pseudonym",
                "The training contact (only to tell contacts apart within this export).",
                PSEUDONYM,
            ),
            Column("status", "code", "Status on the export date.", _codes(PairingStatus.choices)),
            Column("confirmed_day", "integer", "Pairing confirmed.", DAYS),
            Column("start_day", "integer", "Pairing started (first meeting).", DAYS),
            Column("end_day", "integer", "Pairing ended.", DAYS),
            Column("end_reason", "code", "Why it ended.", _codes(EndReason.choices)),
            Column(
                "handover_destination",
                "code",
                "Where the participant went on to after the end.",
                _codes(HandoverDestination.choices),
            ),
        ),
    ),
    "sessions.csv": (
        "One row per session as it stands (corrections applied, withdrawn entries left out). "
        "No notes.",
        (
            _pairing_col(),
            Column("day", "integer", "Day of the session.", DAYS),
            Column("status", "code", "What became of it.", _codes(SessionStatus.choices)),
            Column("minutes", "integer", "Length of the session.", "minutes"),
            Column(
                "intensity",
                "code",
                "Intensity (empty when not held or not recorded).",
                _codes(Intensity.choices),
            ),
        ),
    ),
    "review_scores.csv": (
        "One row per score of a review as it stands. No notes.",
        (
            _pairing_col(),
            Column("review_id", "pseudonym", "The review the score belongs to.", PSEUDONYM),
            Column("review_kind", "code", "Kind of review.", _codes(ReviewKind.choices)),
            Column("day", "integer", "Day of the review.", DAYS),
            Column(
                "instrument_code",
                "code",
                "Instrument measured.",
                "instrument codes, e.g. activity_minutes, self_rated_health, mastery, goal_attainment",
            ),
            Column("instrument_version", "code", "Version of the instrument.", "text code"),
            Column("unit", "code", "Unit of the value (empty: a scale score).", "e.g. min/week"),
            Column("value", "decimal", "The score ('.' as decimal separator).", "number"),
            Column(
                "goal_id",
                "pseudonym",
                "For goal attainment: the goal scored (goals.csv); empty otherwise.",
                PSEUDONYM,
            ),
        ),
    ),
    "goals.csv": (
        "One row per goal of a pairing. Status only: the goal's text is never exported.",
        (
            _pairing_col(),
            Column("goal_id", "pseudonym", "The goal.", PSEUDONYM),
            Column("status", "code", "Status on the export date.", _codes(GoalStatus.choices)),
        ),
    ),
    "follow_ups.csv": (
        "One row per follow-up questionnaire (sent or due) 3, 6 and 12 months after a course "
        "ended.",
        (
            _pairing_col("The pairing (pairings.csv); empty when no pairing delivered the course."),
            Column("course_id", "pseudonym", "The course (courses.csv).", PSEUDONYM),
            Column(
                "months", "integer", "Months after the end.", " | ".join(map(str, FOLLOW_UP_MONTHS))
            ),
            Column("answered", "boolean", "Whether the participant answered.", "true | false"),
            Column(
                "still_active",
                "boolean",
                "The participant's answer: still physically active (empty: not answered).",
                "true | false",
            ),
            Column(
                "minutes_per_week",
                "integer",
                "The participant's answer: minutes of activity per week (empty: not given).",
                "minutes per week",
            ),
        ),
    ),
    "courses.csv": (
        "One row per participant's course (forløp) of a referral, whatever delivers it: a "
        "training contact (pairings.csv), a group or an outside provider such as a gym "
        "(provider_visits.csv).",
        (
            Column("course_id", "pseudonym", "The course.", PSEUDONYM),
            Column("referral_id", "pseudonym", "The referral (referrals.csv).", PSEUDONYM),
            Column("delivery", "code", "Who delivers the course.", _codes(Delivery.choices)),
            Column("status", "code", "Status on the export date.", _codes(EpisodeStatus.choices)),
            Column("start_day", "integer", "Course started.", DAYS),
            Column("end_day", "integer", "Course ended.", DAYS),
            Column("end_reason", "code", "Why it ended.", _codes(EPISODE_END_REASONS)),
        ),
    ),
    "provider_visits.csv": (
        "One row per visit at an outside provider (gym) as it stands (corrections applied). "
        "No notes, no provider names.",
        (
            Column("course_id", "pseudonym", "The course (courses.csv).", PSEUDONYM),
            Column("day", "integer", "Day of the visit.", DAYS),
            Column("attended", "boolean", "Whether the participant came.", "true | false"),
            Column("minutes", "integer", "Length of the visit.", "minutes"),
            Column("source", "code", "How the provider reported it.", _codes(VisitSource.choices)),
        ),
    ),
    "rehab_courses.csv": (
        "One row per rehabilitation course of the rehabilitation register (a course in "
        "courses.csv after coronary heart disease, COPD or peripheral arterial disease). No "
        "offer or unit names.",
        (
            Column("course_id", "pseudonym", "The course (courses.csv).", PSEUDONYM),
            Column("diagnosis", "code", "Diagnosis group.", _codes(DiagnosisGroup.choices)),
            Column("icd10", "code", "ICD-10 code (fixed short list).", _codes(Icd10.choices)),
            Column("index_event", "code", "The index event.", _codes(IndexEvent.choices)),
            Column(
                "index_day",
                "integer",
                "The index event (usually before the referral: negative).",
                DAYS,
            ),
            Column(
                "rehab_referral_day",
                "integer",
                "Referred to rehabilitation (the register's referral date).",
                DAYS,
            ),
            Column("setting", "code", "The offer's setting.", _codes(Setting.choices)),
            Column("format", "code", "The offer's format.", _codes(Format.choices)),
            Column("sessions_offered", "integer", "Group meetings offered.", "meetings"),
            Column("sessions_attended", "integer", "Group meetings attended.", "meetings"),
            Column(
                "completed",
                "boolean",
                "Completed under the programme's rule (empty: not ended, or no rule).",
                "true | false",
            ),
        ),
    ),
}

# The columns as they are described when birth years and referral months are banded: same names,
# coarser values.
BANDED: dict[tuple[str, str], Column] = {
    ("participants.csv", "birth_year"): Column(
        "birth_year",
        "band",
        "Five-year band of birth years (never the date or the exact year).",
        "YYYY-YYYY, e.g. 1980-1984 (bands start at years divisible by 5)",
    ),
    ("referrals.csv", "referral_month"): Column(
        "referral_month",
        "quarter",
        "Quarter of the year the referral was received (never the month or the date).",
        "YYYY-Qn, e.g. 2025-Q3",
    ),
}

DICTIONARY = ("file", "column", "type", "description", "allowed_values_or_unit")
README = "README.txt"
DATA_DICTIONARY = "data_dictionary.csv"


# --- selection ----------------------------------------------------------------------------------


def research_consent_in_force(day: dt.date) -> Q:
    """Consents of scope research in force on ``day`` (for a Consent queryset)."""
    return Q(scope=ConsentScope.RESEARCH, given_on__lte=day) & (
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day)
    )


def consenting_referrals(*, day: dt.date) -> QuerySet[Referral]:
    """Referrals whose participant's research consent is in force on ``day``."""
    consents = Consent.objects.filter(research_consent_in_force(day), referral=OuterRef("pk"))
    return Referral.objects.filter(Exists(consents))


def selected_referrals(
    *, programmes: Sequence[Programme], period_start: dt.date, period_end: dt.date, day: dt.date
) -> QuerySet[Referral]:
    return consenting_referrals(day=day).filter(
        programme__in=[p.pk for p in programmes],
        received_at__date__gte=period_start,
        received_at__date__lte=period_end,
    )


# --- coarsening ----------------------------------------------------------------------------------


def columns(name: str, *, bands: bool) -> tuple[Column, ...]:
    """The columns of data file ``name`` as written in this export."""
    listed = FILES[name][1]
    if not bands:
        return listed
    return tuple(BANDED.get((name, c.name), c) for c in listed)


# --- building -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportInfo:
    export_id: int
    project_title: str
    approval_reference: str
    recipient: str
    created_at: dt.datetime
    period_start: dt.date
    period_end: dt.date
    bands: bool = True


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return value
    return neutralise(str(value))


def _csv(name: str, rows: list[dict[str, Any]]) -> bytes:
    columns = [c.name for c in FILES[name][1]] if name in FILES else list(DICTIONARY)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        missing = set(columns) - set(row)
        if missing:
            raise ValueError(f"{name}: row without {sorted(missing)}")
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


# How sessions, goals and follow-ups (and, through the review, scores) reach the participant's
# course, in one place: each row names its course. The files stay per pairing (its pseudonym),
# as documented.
COURSE = "episode"


def load(*, referrals: QuerySet[Referral], programmes: Sequence[Programme]) -> plain.ResearchData:
    """The chosen referrals and what hangs off them as plain data, in a fixed number of queries
    whatever the number of participants. Moments become local dates here."""
    chosen = [
        plain.Referral(
            id=r.pk,
            participant_id=r.participant_id,
            birth_date=r.participant.birth_date,
            gender=r.participant.gender,
            programme_id=r.programme_id,
            source=r.source,
            received_on=timezone.localdate(r.received_at),
            status=r.status,
            target_groups=tuple(g.code for g in r.target_groups.all()),
            decisions=tuple((d.decided_on, d.outcome) for d in r.decisions.all()),
        )
        for r in referrals.select_related("participant").prefetch_related(
            "target_groups",
            Prefetch(
                "decisions", queryset=Decision.objects.order_by("decided_on", "created_at", "pk")
            ),
        )
    ]
    referral_ids = [r.id for r in chosen]
    in_courses = {f"{COURSE}__referral_id__in": referral_ids}
    pairings = [
        plain.Pairing(
            id=p["pk"],
            referral_id=p["referral_id"],
            participant_id=p["participant_id"],
            helper_id=p["helper_id"],
            status=p["status"],
            confirmed_on=timezone.localdate(p["confirmed_at"]),
            started_on=p["started_on"],
            ended_on=p["ended_on"],
            end_reason=p["end_reason"],
            handover_destination=p["handover_destination"],
        )
        for p in Pairing.objects.filter(referral_id__in=referral_ids).values(
            "pk",
            "referral_id",
            "participant_id",
            "helper_id",
            "status",
            "confirmed_at",
            "started_on",
            "ended_on",
            "end_reason",
            "handover_destination",
        )
    ]
    sessions = [
        plain.Session(**s)
        for s in Session.objects.current()
        .filter(**in_courses)
        .values("pairing_id", "date", "status", "minutes", "intensity")
    ]
    scores = [
        plain.Score(
            review_id=s["review_id"],
            pairing_id=s["review__pairing_id"],
            review_kind=s["review__kind"],
            review_on=s["review__date"],
            instrument_code=s["instrument_code"],
            instrument_version=s["instrument_version"],
            unit=s["unit"],
            value=s["value"],
            goal_id=s["goal_id"],
            referral_id=s[f"review__{COURSE}__referral_id"],
        )
        for s in ReviewScore.objects.filter(
            **{f"review__{COURSE}__referral_id__in": referral_ids},
            review__superseded_by__isnull=True,
            review__is_void=False,
        ).values(
            "review_id",
            "review__pairing_id",
            "review__kind",
            "review__date",
            "instrument_code",
            "instrument_version",
            "unit",
            "value",
            "goal_id",
            f"review__{COURSE}__referral_id",
        )
    ]
    goals = [
        plain.Goal(id=g["pk"], pairing_id=g["pairing_id"], status=g["status"])
        for g in Goal.objects.filter(**in_courses).values("pk", "pairing_id", "status")
    ]
    follow_ups = [
        plain.FollowUp(
            pairing_id=u["pairing_id"],
            course_id=u[f"{COURSE}_id"],
            months=u["months"],
            answered=u["answered_at"] is not None,
            still_active=u["still_active"],
            minutes_per_week=u["minutes_per_week"],
        )
        for u in FollowUp.objects.filter(**in_courses).values(
            "pairing_id",
            f"{COURSE}_id",
            "months",
            "answered_at",
            "still_active",
            "minutes_per_week",
        )
    ]
    courses = [
        plain.Course(
            id=c["pk"],
            referral_id=c["referral_id"],
            delivery=c["delivery"],
            status=c["status"],
            started_on=c["started_on"],
            ended_on=c["ended_on"],
            end_reason=c["end_reason"],
        )
        for c in Episode.objects.filter(referral_id__in=referral_ids).values(
            "pk", "referral_id", "delivery", "status", "started_on", "ended_on", "end_reason"
        )
    ]
    provider_visits = [
        plain.ProviderVisit(
            course_id=v["episode_id"],
            date=v["visited_on"],
            attended=v["attended"],
            minutes=v["minutes"],
            source=v["source"],
        )
        for v in ProviderVisit.objects.current()
        .filter(**in_courses)
        .values("episode_id", "visited_on", "attended", "minutes", "source")
    ]
    rehab = list(
        RehabCourse.objects.filter(**in_courses).values(
            "episode_id",
            "episode__ended_on",
            "diagnosis",
            "icd10",
            "index_event",
            "index_date",
            "referral_date",
            "offer__setting",
            "offer__format",
        )
    )
    facts = completions([c["episode_id"] for c in rehab], today=timezone.localdate())
    rehab_courses = [
        plain.RehabCourse(
            course_id=c["episode_id"],
            diagnosis=c["diagnosis"],
            icd10=c["icd10"],
            index_event=c["index_event"],
            index_date=c["index_date"],
            referral_date=c["referral_date"],
            setting=c["offer__setting"] or "",
            format=c["offer__format"] or "",
            sessions_offered=facts[c["episode_id"]].offered if c["episode_id"] in facts else 0,
            sessions_attended=facts[c["episode_id"]].attended if c["episode_id"] in facts else 0,
            completed=facts[c["episode_id"]].completed
            if c["episode_id"] in facts and c["episode__ended_on"]
            else None,
        )
        for c in rehab
    ]
    return plain.ResearchData(
        programmes=[plain.Programme(p.pk, p.kind) for p in programmes],
        rehab_courses=rehab_courses,
        courses=courses,
        provider_visits=provider_visits,
        referrals=chosen,
        pairings=pairings,
        sessions=sessions,
        scores=scores,
        goals=goals,
        follow_ups=follow_ups,
    )


def build_rows(
    *,
    referrals: QuerySet[Referral],
    programmes: Sequence[Programme],
    pseudonym: Pseudonymiser,
    bands: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Every file's rows (:func:`kobling.research.plain.dataset_rows` over :func:`load`). With
    ``bands`` birth years are 5-year bands and referral months quarters."""
    data = load(referrals=referrals, programmes=programmes)
    return plain.dataset_rows(data, pseudonym, bands=bands)


def dictionary_rows(*, bands: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "file": name,
            "column": column.name,
            "type": column.type,
            "description": column.description,
            "allowed_values_or_unit": column.allowed,
        }
        for name in FILES
        for column in columns(name, bands=bands)
    ]


def _group_lines(smallest: int | None) -> list[str]:
    if smallest is None:
        return ["Smallest group: none (no participants)."]
    lines = [
        f"Smallest group: {smallest}. This is the fewest participants in this export who share",
        "  the same birth year (or band), gender and programme (k-anonymity over those three",
        f"  columns: k = {smallest}).",
    ]
    if smallest < SMALL_GROUP:
        lines += [
            f"  WARNING: at least one group has fewer than {SMALL_GROUP} participants. Someone who",
            "  knows a participant's birth year, gender and programme may be able to single that",
            "  person out. Take particular care: never publish or pass on rows, and report only",
            f"  figures for groups of at least {SMALL_GROUP}.",
        ]
    return lines


def readme(
    info: ExportInfo,
    programmes: Sequence[Programme],
    counts: dict[str, int],
    smallest: int | None = None,
) -> str:
    ordered = sorted(programmes, key=lambda p: p.pk)
    if info.bands:
        coarsened = [
            "  * Birth year as a 5-year band (e.g. 1980-1984) instead of birth date; referral",
            "    quarter (e.g. 2025-Q3) instead of date; every later event as days since the",
            "    referral was received. The columns keep the names birth_year and referral_month.",
        ]
    else:
        coarsened = [
            "  * Birth year instead of birth date; referral month instead of date; every later event as",
            "    days since the referral was received.",
        ]
    lines = [
        f"Kobling research export {info.export_id}",
        "=" * 40,
        "",
        f"Project: {info.project_title}",
        f"Approval reference: {info.approval_reference}",
        f"Recipient: {info.recipient}",
        f"Created: {timezone.localtime(info.created_at):%Y-%m-%d %H:%M} (Europe/Oslo)",
        f"Referrals received: {info.period_start:%Y-%m-%d} to {info.period_end:%Y-%m-%d}",
        "",
        "Programmes:",
        *(f"  P{i}: {p.kind}" for i, p in enumerate(ordered, 1)),
        "",
        "Rules:",
        "  * Only participants whose referral has a consent to use in research, in force on the",
        "    export date, in the programmes above, with referrals received in the period.",
        "  * Identifiers are pseudonyms: a keyed hash (HMAC-SHA256, truncated to "
        f"{PSEUDONYM_LENGTH} hex",
        "    characters) under a key made for this export alone and then discarded. They are",
        "    consistent across the files of this export and cannot be linked to any other export.",
        *coarsened,
        "  * No names, identity numbers, contact details, postcodes, places, notes, goal texts or",
        "    any other free text; the training contact appears only as a pseudonym.",
        "  * Sessions and reviews as they stand: corrections applied, withdrawn entries left out.",
        "  * CSV: UTF-8, comma-separated, header row, '.' as decimal separator. Text cells that",
        "    would start like a spreadsheet formula are prefixed with an apostrophe.",
        "  * Columns, types and allowed values: data_dictionary.csv.",
        "",
        "Rows per file:",
        *(f"  {name}: {n}" for name, n in counts.items()),
        "",
        *_group_lines(smallest),
        "",
        "The data may only be used for the project and purpose named above, under its approval.",
        "Do not try to re-identify anyone.",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Archive:
    content: bytes
    counts: dict[str, int]
    smallest_group: int | None


@sensitive_variables("key")  # not even an error report may show the key
def build_archive(
    *,
    info: ExportInfo,
    referrals: QuerySet[Referral],
    programmes: Sequence[Programme],
    key: bytes,
) -> Archive:
    """The ZIP (bytes), the number of data rows per file and the smallest group."""
    rows = build_rows(
        referrals=referrals,
        programmes=programmes,
        pseudonym=Pseudonymiser(key),
        bands=info.bands,
    )
    counts = {name: len(file_rows) for name, file_rows in rows.items()}
    smallest = smallest_group(rows)
    stamp = timezone.localtime(info.created_at).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, zipfile.ZIP_DEFLATED)

        add(README, readme(info, programmes, counts, smallest).encode("utf-8"))
        add(DATA_DICTIONARY, _csv(DATA_DICTIONARY, dictionary_rows(bands=info.bands)))
        for name, file_rows in rows.items():
            add(name, _csv(name, file_rows))
    return Archive(content=buffer.getvalue(), counts=counts, smallest_group=smallest)
