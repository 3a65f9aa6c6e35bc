"""The access-log review (Normen): who touched which person, when, and which of those deserve a
look — for the municipal admin, who is the municipality's privacy officer in Kobling (the only
role that reads the audit log; docs/access-review.md).

The audit log knows records (``followup.pairing #12``), not people, and core knows no domain
app. So the apps hand down what core needs, in their ``AppConfig.ready``:

* :func:`register_person_record` — an audited record type and the paths from it to the people
  it is about (a pairing: its participant and its helper);
* :func:`register_person_kind` — how to name a kind of person and when their course ended;
* :func:`register_caseload` — whom a user's work gives them (a referrer: the people they
  referred; a contact: their pairs and groups).

:func:`load_review` reads the period's entries into plain rows with a fixed number of queries
(one for the log, one per record type and person kind present, one for roles, one per caseload
provider), and :func:`kobling.core.access_flags.flag_reads` — pure — raises the flags.
:func:`access_review_record` writes the monthly review.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import access_flags as flags
from kobling.core.access_flags import Caseload, Flagged, PersonRead, PersonRef, Rules
from kobling.core.models import AccessReview, AccessReviewRules
from kobling.core.versions import lock_versioned
from kobling.lib.errors import ConflictError
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, Role
from kobling.tenancy.models import AuditEntry, Membership, Municipality, User

FLAG_LABELS = {
    flags.OUTSIDE_CASELOAD: gettext_lazy("Outside caseload"),
    flags.MANY_PERSONS: gettext_lazy("Many persons in a short time"),
    flags.NIGHT: gettext_lazy("At night"),
    flags.AFTER_COURSE: gettext_lazy("After the course ended"),
}
# The privacy officer: the municipal admin, who alone reads the audit log already
# (docs/access-review.md says why not a role of its own).
REVIEWER_ROLES = (Role.MUNICIPAL_ADMIN,)
# The longest period one page reviews: flags need every read of the period in memory.
MAX_PERIOD_DAYS = 93


# --- what the apps hand down -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    name: str
    # The day the person's last course (forløp) ended, when none is open; None otherwise.
    course_ended_on: dt.date | None = None


@dataclass(frozen=True)
class PersonKind:
    kind: str
    label: Any
    # The person's own record type: the review page's reads are audited under it.
    object_type: str
    load: Callable[[set[int]], dict[int, PersonFacts]]


PERSON_RECORDS: dict[str, tuple[type[models.Model], dict[str, str]]] = {}
PERSON_KINDS: dict[str, PersonKind] = {}
CaseloadProvider = Callable[[set[int]], Iterable[tuple[int, PersonRef]]]
CASELOAD_PROVIDERS: list[CaseloadProvider] = []
# The course's record type: the "course" filter finds its participant through it.
COURSE_RECORD = "referrals.episode"


def register_person_record(model: type[models.Model], **paths: str) -> None:
    """``model``'s audit entries are about the people at ``paths`` (person kind → a values()
    path from the model: ``participant="pairing__participant_id"``). Idempotent."""
    PERSON_RECORDS[model._meta.label_lower] = (model, paths)


def register_person_kind(
    kind: str, *, label: Any, model: type[models.Model], load: Callable[..., Any]
) -> None:
    """``load(ids) -> {id: PersonFacts}`` in a fixed number of queries. Idempotent."""
    PERSON_KINDS[kind] = PersonKind(kind, label, model._meta.label_lower, load)


def register_caseload(provider: CaseloadProvider) -> CaseloadProvider:
    """``provider(user_ids)`` yields ``(user_id, person)`` for the people each user's work
    gives them, in a fixed number of queries. Idempotent; usable as a decorator."""
    if provider not in CASELOAD_PROVIDERS:
        CASELOAD_PROVIDERS.append(provider)
    return provider


# --- settings --------------------------------------------------------------------------------


def rules_from_settings() -> Rules:
    night = getattr(settings, "KOBLING_REVIEW_NIGHT", "23:00-06:00")
    start, end = (dt.time.fromisoformat(part.strip()) for part in night.split("-"))
    return Rules(
        burst_persons=getattr(settings, "KOBLING_REVIEW_BURST_PERSONS", 100),
        burst_minutes=getattr(settings, "KOBLING_REVIEW_BURST_MINUTES", 15),
        night_start=start,
        night_end=end,
        grace_days=getattr(settings, "KOBLING_REVIEW_GRACE_DAYS", 400),
    )


def rules_for(municipality_id: int) -> Rules:
    """The municipality's own thresholds if its privacy officer set them, else the instance's."""
    own = AccessReviewRules.objects.filter(municipality_id=municipality_id).first()
    if own is None:
        return rules_from_settings()
    return Rules(
        burst_persons=own.burst_persons,
        burst_minutes=own.burst_minutes,
        night_start=own.night_start,
        night_end=own.night_end,
        grace_days=own.grace_days,
    )


RULE_FIELDS = ("burst_persons", "burst_minutes", "night_start", "night_end", "grace_days")


def access_review_rules_set(
    *,
    municipality: Municipality,
    by: User,
    version: int | None,
    burst_persons: int,
    burst_minutes: int,
    night_start: dt.time,
    night_end: dt.time,
    grace_days: int,
) -> AccessReviewRules:
    """Set ``municipality``'s thresholds: only its admin. The first time from the instance's
    (``version`` 0 or None); after that ``version`` must be the one read (409 otherwise).
    Audited with what changed."""
    if municipality.pk not in by.municipality_ids(*REVIEWER_ROLES):
        raise ValidationError(_("Only the municipality's administrator sets its thresholds."))
    values = {
        "burst_persons": burst_persons,
        "burst_minutes": burst_minutes,
        "night_start": night_start,
        "night_end": night_end,
        "grace_days": grace_days,
    }
    with transaction.atomic():
        # One row per municipality: lock the municipality so two first saves cannot both insert.
        Municipality.objects.select_for_update().get(pk=municipality.pk)
        current = AccessReviewRules.objects.filter(municipality=municipality).first()
        if current is None:
            if version not in (None, 0):
                raise ConflictError(_("The thresholds were removed; reload the page."))
            rules = AccessReviewRules(municipality=municipality, updated_by=by, **values)
            before: dict[str, Any] = {}
        else:
            rules = lock_versioned(AccessReviewRules, current, version)
            before = {f: getattr(rules, f) for f in RULE_FIELDS}
            for name, value in values.items():
                setattr(rules, name, value)
            rules.version += 1
            rules.updated_by = by
            rules.updated_at = timezone.now()
        rules.full_clean()
        rules.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE if before else AuditAction.CREATE,
            obj=rules,
            changes={
                f: [str(before[f]) if before else None, str(values[f])]
                for f in RULE_FIELDS
                if not before or before[f] != values[f]
            },
        )
    return rules


# --- the loader ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFilter:
    municipality_id: int
    start: dt.date
    end: dt.date  # inclusive
    username: str = ""
    action: str = ""
    person: str = ""
    course: int | None = None
    flag: str = ""  # one flag, "any", or "" for every row


@dataclass(frozen=True)
class ReviewRow:
    entry_id: int
    at: dt.datetime
    username: str
    action: str
    object_type: str
    object_id: str
    via: str
    ip_address: str
    person: PersonRef | None
    person_name: str
    person_label: Any
    flags: frozenset[str]

    @property
    def flag_labels(self) -> list[Any]:
        return [FLAG_LABELS[f] for f in flags.FLAGS if f in self.flags]

    @property
    def action_label(self) -> str:
        return str(AuditAction(self.action).label) if self.action in AuditAction else self.action


@dataclass(frozen=True)
class Review:
    rows: list[ReviewRow]  # filtered, newest first
    summary: dict[str, int]  # flags over the whole period (before the row filters)
    total: int  # rows in the period


def _ids_of(object_id: str, changes: Any) -> list[int]:
    """The record ids an entry names: its own, or a list read's ``changes["ids"]``."""
    raw = [object_id] if object_id else (changes or {}).get("ids", [])
    return [int(v) for v in raw if str(v).isdigit()]


def load_review(filters: ReviewFilter, *, rules: Rules | None = None) -> Review:
    """The person-level rows of ``filters.municipality_id``'s audit log in the period, each
    with its flags. The flags are computed over the whole period, so that narrowing the page to
    one user or one person never changes them; the other filters then pick rows."""
    rules = rules or rules_for(filters.municipality_id)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(filters.start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    entries = list(
        AuditEntry.objects.filter(
            municipality_id=filters.municipality_id,
            at__gte=since,
            at__lt=until,
            object_type__in=list(PERSON_RECORDS),
        )
        .order_by("at", "id")
        .values_list(
            "id", "at", "user_id", "username", "action", "object_type", "object_id", "via",
            "ip_address", "changes",
        )
    )  # fmt: skip
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for _id, _at, _u, _n, _a, object_type, object_id, _v, _ip, changes in entries:
        ids_by_type[object_type].update(_ids_of(object_id, changes))
    people_of = _resolve(ids_by_type)

    reads: list[PersonRead] = []
    meta: dict[int, tuple[Any, ...]] = {}
    unresolved: list[PersonRead] = []
    for (
        entry_id,
        at,
        user_id,
        username,
        action,
        object_type,
        object_id,
        via,
        ip,
        changes,
    ) in entries:
        meta[entry_id] = (username, action, object_type, object_id, via, ip or "")
        local = timezone.localtime(at, tz)
        persons = {
            p
            for record_id in _ids_of(object_id, changes)
            for p in people_of.get((object_type, record_id), ())
        }
        if not persons:
            unresolved.append(PersonRead(entry_id, local, user_id, filters.municipality_id, None))
        for person in sorted(persons):
            reads.append(PersonRead(entry_id, local, user_id, filters.municipality_id, person))

    facts = _person_facts({r.person for r in reads if r.person is not None})
    caseloads = _caseloads({r.user_id for r in reads if r.user_id is not None})
    flagged = flags.flag_reads(
        [*reads, *unresolved],
        caseloads=caseloads,
        course_ends={p: f.course_ended_on for p, f in facts.items()},
        rules=rules,
    )
    summary = flags.summary(flagged)
    course_person = _course_person(filters.course) if filters.course else None
    rows = [
        _row(item, meta[item.read.entry_id], facts)
        for item in flagged
        if _keep(item, meta[item.read.entry_id], facts, filters, course_person)
    ]
    rows.sort(key=lambda r: (r.at, r.entry_id), reverse=True)
    return Review(rows=rows, summary=summary, total=len(flagged))


def _resolve(ids_by_type: dict[str, set[int]]) -> dict[tuple[str, int], list[PersonRef]]:
    """(record type, id) → the people it is about: one query per record type present."""
    found: dict[tuple[str, int], list[PersonRef]] = {}
    for object_type, ids in ids_by_type.items():
        model, paths = PERSON_RECORDS[object_type]
        kinds = list(paths)
        rows = model._base_manager.filter(pk__in=ids).values_list("pk", *paths.values())
        for pk, *values in rows:
            found[(object_type, pk)] = [
                (kind, value) for kind, value in zip(kinds, values, strict=True) if value
            ]
    return found


def _person_facts(persons: set[PersonRef]) -> dict[PersonRef, PersonFacts]:
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, pk in persons:
        by_kind[kind].add(pk)
    out: dict[PersonRef, PersonFacts] = {}
    for kind, ids in by_kind.items():
        if kind in PERSON_KINDS:
            for pk, fact in PERSON_KINDS[kind].load(ids).items():
                out[(kind, pk)] = fact
    return out


def _caseloads(user_ids: set[int]) -> dict[int, Caseload]:
    """Each user's caseload: every municipality where they coordinate or administer, and the
    people the apps' providers give them. Roles as they stand now, not at the time of the read
    (memberships keep no history); docs/access-review.md."""
    if not user_ids:
        return {}
    wide: dict[int, set[int]] = defaultdict(set)
    for user_id, municipality_id in Membership.objects.filter(
        user_id__in=user_ids, role__in=MANAGER_ROLES
    ).values_list("user_id", "municipality_id"):
        wide[user_id].add(municipality_id)
    persons: dict[int, set[PersonRef]] = defaultdict(set)
    for provider in CASELOAD_PROVIDERS:
        for user_id, person in provider(user_ids):
            persons[user_id].add(person)
    return {
        u: Caseload(frozenset(wide.get(u, ())), frozenset(persons.get(u, ()))) for u in user_ids
    }


def _course_person(course: int) -> PersonRef | None:
    people = _resolve({COURSE_RECORD: {course}}) if COURSE_RECORD in PERSON_RECORDS else {}
    found = [p for p in people.get((COURSE_RECORD, course), []) if p[0] == "participant"]
    # An unknown course matches no one (id 0 is never a person).
    return found[0] if found else ("participant", 0)


def _keep(
    item: Flagged,
    meta: tuple[Any, ...],
    facts: dict[PersonRef, PersonFacts],
    filters: ReviewFilter,
    course_person: PersonRef | None,
) -> bool:
    username, action = meta[0], meta[1]
    if filters.username and filters.username.lower() not in username.lower():
        return False
    if filters.action and action != filters.action:
        return False
    if filters.flag == "any" and not item.flags:
        return False
    if filters.flag and filters.flag != "any" and filters.flag not in item.flags:
        return False
    person = item.read.person
    if course_person is not None and person != course_person:
        return False
    if filters.person:
        name = facts[person].name if person in facts else ""
        if filters.person.lower() not in name.lower():
            return False
    return True


def _row(item: Flagged, meta: tuple[Any, ...], facts: dict[PersonRef, PersonFacts]) -> ReviewRow:
    username, action, object_type, object_id, via, ip = meta
    person = item.read.person
    kind = PERSON_KINDS.get(person[0]) if person else None
    return ReviewRow(
        entry_id=item.read.entry_id,
        at=item.read.at,
        username=username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        via=via,
        ip_address=ip,
        person=person,
        person_name=facts[person].name if person in facts else "",
        person_label=kind.label if kind else "",
        flags=frozenset(item.flags),
    )


def audit_review_read(*, user: User, municipality_id: int, rows: Iterable[ReviewRow]) -> None:
    """The review page shows people too: one entry per person kind naming those shown."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.person is not None and str(row.person[1]) not in by_kind[row.person[0]]:
            by_kind[row.person[0]].append(str(row.person[1]))
    for kind, ids in by_kind.items():
        audit_log(
            user=user,
            action=AuditAction.VIEW,
            municipality_id=municipality_id,
            object_type=PERSON_KINDS[kind].object_type if kind in PERSON_KINDS else kind,
            object_repr=f"access review ({len(ids)})",
            changes={"ids": ids},
        )


# --- the monthly review record ----------------------------------------------------------------


def access_review_record(
    *,
    municipality: Municipality,
    month: dt.date,
    by: User,
    findings: str,
    flags_checked: list[str],
    reviewed_on: dt.date | None = None,
) -> AccessReview:
    """Record that ``by`` reviewed ``municipality``'s access log for ``month``: what they found
    and which flags they looked at. Only the municipality's admin; one record per month.
    Audited."""
    if municipality.pk not in by.municipality_ids(*REVIEWER_ROLES):
        raise ValidationError(_("Only the municipality's administrator records its review."))
    unknown = set(flags_checked) - set(flags.FLAGS)
    if unknown:
        raise ValidationError({"flags_checked": _("Unknown flag.")})
    with transaction.atomic():
        review = AccessReview(
            municipality=municipality,
            month=month.replace(day=1),
            reviewed_by=by,
            reviewed_on=reviewed_on or timezone.localdate(),
            findings=findings.strip(),
            flags_checked=[f for f in flags.FLAGS if f in flags_checked],
        )
        review.full_clean()
        review.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=review,
            changes={"month": review.month.isoformat(), "flags_checked": review.flags_checked},
        )
    return review
