"""Reads about pairings: lists at a fixed number of queries, and the one FilterSet shared by the
pairing page and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import django_filters
from django.db.models import CharField, F, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from kobling.core.choices import MessageStatus
from kobling.core.filters import ListFilterSet
from kobling.core.models import OutboxMessage
from kobling.followup.choices import OPEN_PAIRING_STATUSES, Intensity, PairingStatus, SessionStatus
from kobling.followup.models import Pairing, ReferrerNotice, Session, _sharing_consent_in_force
from kobling.referrals.models import Participant
from kobling.tenancy.choices import Role

# PostgreSQL plans a query of eight joined tables by searching the join orders: ~25 ms of
# planning for a page whose execution takes 1 ms (issue 16's load; any six tables take ~4 ms,
# five under 1 ms). So the rarely filled or repeated ones come by id in a query of their own —
# cheap for a to-one relation (no queryset per row).
PAIRING_ROW_JOINS = ("programme", "participant", "helper", "referral")


def pairing_list_queryset(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """Everything a pairing row shows, in a fixed number of queries."""
    return queryset.select_related(*PAIRING_ROW_JOINS).prefetch_related(
        "municipality", "confirmed_by", "handover_partner"
    )


def pairing_page_queryset(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """What a row of the pairing list *page* shows (followup.templatetags.followup.pairing_row
    and the view's ``shape_for``): the pair, the programme and the municipality, in one query.
    The API's row also carries the referral, who confirmed and the handover partner; the page
    shows none of them, nor the rest of the participant's and the contact's record."""
    return queryset.select_related("programme", "participant", "helper", "municipality").only(
        "municipality_id",
        "programme_id",
        "participant_id",
        "helper_id",
        "status",
        "confirmed_at",
        "intro_meeting_at",
        "started_on",
        "ended_on",
        "municipality__name",
        "programme__name",
        "participant__first_name",
        "participant__last_name",
        "helper__first_name",
        "helper__last_name",
        "helper__user_id",
    )


def open_pairings(queryset: QuerySet[Pairing]) -> QuerySet[Pairing]:
    return queryset.filter(status__in=[s.value for s in OPEN_PAIRING_STATUSES])


class PairingFilterSet(ListFilterSet):
    # Plain numbers: a filter must not confirm that an id exists in another municipality.
    municipality = django_filters.NumberFilter(
        field_name="municipality_id", label=_("Municipality")
    )
    programme = django_filters.NumberFilter(field_name="programme_id", label=_("Programme"))
    helper = django_filters.NumberFilter(field_name="helper_id", label=_("Training contact"))
    referral = django_filters.NumberFilter(field_name="referral_id", label=_("Referral"))
    status = django_filters.MultipleChoiceFilter(choices=PairingStatus.choices, label=_("Status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))

    class Meta:
        model = Pairing
        fields = ["municipality", "programme", "helper", "referral", "status", "open"]

    def filter_open(self, queryset: QuerySet[Pairing], name: str, value: bool | None):  # noqa: ANN201
        if value is None:
            return queryset
        statuses = [s.value for s in OPEN_PAIRING_STATUSES]
        return (
            queryset.filter(status__in=statuses) if value else queryset.exclude(status__in=statuses)
        )


# --- sessions --------------------------------------------------------------------------------

DEFAULT_MINUTES = 60


# What the summary of a pair's sessions reads of each entry, newest first (the history's order).
SUMMARY_FIELDS = (
    "id",
    "date",
    "minutes",
    "activity_id",
    "intensity",
    "status",
    "is_void",
    "confirmed_at",
    "supersedes_id",
)
NEWEST_FIRST = ("-date", "-start_time", "-id")


@dataclass(frozen=True)
class SessionSummary:
    """A pair's held sessions in short: the last one's date and values (the next log form's
    defaults), how many this month and how many the participant has not confirmed yet."""

    last_held: dt.date | None = None
    last_minutes: int | None = None
    last_activity_id: int | None = None
    last_intensity: str | None = None
    held_this_month: int = 0
    unconfirmed_count: int = 0


def summarise_sessions(entries: Iterable[Sequence[Any]], *, today: dt.date) -> SessionSummary:
    """The summary of one pair from its entries (tuples of ``SUMMARY_FIELDS``), newest first as
    the database orders them (``NEWEST_FIRST``). Held entries that stand count: not withdrawn and
    not superseded by a correction (a correction is an entry of the same pair)."""
    entries = list(entries)
    superseded = {entry[8] for entry in entries if entry[8] is not None}
    month_start = today.replace(day=1)
    last: Sequence[Any] | None = None
    month = unconfirmed = 0
    for entry in entries:
        pk, date, _minutes, _activity, _intensity, status, is_void, confirmed_at, _ = entry
        if status != SessionStatus.HELD or is_void or pk in superseded:
            continue
        if last is None:
            last = entry
        if month_start <= date <= today:
            month += 1
        if confirmed_at is None:
            unconfirmed += 1
    if last is None:
        return SessionSummary(held_this_month=month, unconfirmed_count=unconfirmed)
    return SessionSummary(
        last_held=last[1],
        last_minutes=last[2],
        last_activity_id=last[3],
        last_intensity=last[4],
        held_this_month=month,
        unconfirmed_count=unconfirmed,
    )


def attach_session_summary(pairing: Pairing, summary: SessionSummary) -> Pairing:
    """Set the summary's values as attributes of ``pairing`` (what the pages and
    :func:`session_initial` read)."""
    for name, value in asdict(summary).items():
        setattr(pairing, name, value)
    return pairing


def with_session_summary(pairing: Pairing, *, today: dt.date) -> Pairing:
    """``pairing`` with its session summary (:class:`SessionSummary`), in one plain query."""
    entries = (
        Session.objects.filter(pairing=pairing).order_by(*NEWEST_FIRST).values_list(*SUMMARY_FIELDS)
    )
    return attach_session_summary(pairing, summarise_sessions(entries, today=today))


def _loaded(model: type[Model], db: str, values: dict[str, Any]) -> Any:
    """An instance of ``model`` as the database gave it, with only ``values`` loaded (the rest
    deferred: read on access, as with ``.only()``)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


# What the contact's screen shows of a pairing (and the audit reads).
_CONTACT_PAIRING_FIELDS = ("id", "municipality_id", "status", "participant_id")


def contact_pairings(user: Any, *, today: dt.date) -> list[Pairing]:
    """The training contact's open pairings (in municipalities where they are a contact), with
    the session summary, by the participant's first name.

    One query without subqueries: each pairing joined to all its entries (a pair has tens, the
    contact a few pairs), summarised here — building and compiling six correlated subqueries
    cost more CPU than the rows. The pairings come with only what the screen shows (and the
    audit reads); anything else is loaded on access, as with ``.only()``."""
    contact_in = sorted(user.municipality_ids(Role.TRAINING_CONTACT))
    entries_newest_first = [f"-sessions__{name.lstrip('-')}" for name in NEWEST_FIRST]
    rows = (
        open_pairings(Pairing.objects.filter(helper__user=user, municipality_id__in=contact_in))
        .order_by("participant__first_name", "pk", *entries_newest_first)
        .values_list(
            *_CONTACT_PAIRING_FIELDS,
            "participant__first_name",
            *(f"sessions__{name}" for name in SUMMARY_FIELDS),
        )
    )
    width = len(_CONTACT_PAIRING_FIELDS) + 1
    pairings: list[Pairing] = []
    entries: dict[int, list[Sequence[Any]]] = {}
    for row in rows:
        pk = row[0]
        if pk not in entries:
            pairing = _loaded(
                Pairing, rows.db, dict(zip(_CONTACT_PAIRING_FIELDS, row[: width - 1], strict=True))
            )
            pairing.participant = _loaded(
                Participant, rows.db, {"id": pairing.participant_id, "first_name": row[width - 1]}
            )
            pairings.append(pairing)
            entries[pk] = []
        if row[width] is not None:  # a pairing without entries has one row of nulls
            entries[pk].append(row[width:])
    for pairing in pairings:
        attach_session_summary(pairing, summarise_sessions(entries[pairing.pk], today=today))
    return pairings


def session_initial(pairing: Pairing, *, today: dt.date) -> dict[str, Any]:
    """Sensible defaults for the next session of a pairing with its summary (see
    :func:`with_session_summary`): today, held, the pair's usual minutes and activity (the last
    held session's; 60 minutes when none) and its intensity (moderate when none)."""
    return {
        "date": today,
        "status": SessionStatus.HELD,
        "minutes": getattr(pairing, "last_minutes", None) or DEFAULT_MINUTES,
        "activity": getattr(pairing, "last_activity_id", None),
        "intensity": getattr(pairing, "last_intensity", None) or Intensity.MODERATE,
    }


def session_history(pairing: Pairing) -> QuerySet[Session]:
    """Every entry of the pair, corrections and withdrawn ones included, newest first."""
    return (
        Session.objects.filter(pairing=pairing)
        .select_related("activity", "logged_by", "superseded_by", "supersedes")
        .order_by("-date", "-start_time", "-id")
    )


def referrer_referral_rows(user: Any) -> QuerySet:
    """The rows of "my referrals" without what each row shows: the referrals ``user`` made where
    they are a referrer (what its paginator counts)."""
    from kobling.referrals.models import Referral

    referrer_in = sorted(user.municipality_ids(Role.REFERRER))
    return Referral.objects.visible_to(user).filter(referrer=user, municipality__in=referrer_in)


def referrer_referrals(user: Any, *, rows: QuerySet | None = None) -> QuerySet:
    """ "My referrals": the referrals ``user`` made where they are a referrer, newest first, each
    with its latest pairing, the latest notice sent about it, and whether the participant's
    consent lets the referrer read the report (the rule of ``followup.access``) — in one query.
    ``rows`` is :func:`referrer_referral_rows` when the caller has it already."""
    from kobling.followup.notices import PURPOSE as NOTICE_PURPOSE

    pairings = Pairing.objects.filter(referral=OuterRef("pk")).order_by("-confirmed_at", "-pk")
    # When a notice went out is kept by the outbox (subject "referrer-notice:<id>").
    notice_sent_at = OutboxMessage.objects.filter(
        purpose=NOTICE_PURPOSE,
        subject_key=Concat(Value(f"{NOTICE_PURPOSE}:"), Cast(OuterRef("pk"), CharField())),
        status=MessageStatus.SENT,
    ).values("sent_at")[:1]
    notices = (
        ReferrerNotice.objects.filter(episode__referral=OuterRef("pk"))
        .annotate(sent_at=Subquery(notice_sent_at))
        .filter(sent_at__isnull=False)
        .order_by("-sent_at", "-pk")
    )
    return (
        (referrer_referral_rows(user) if rows is None else rows)
        .select_related("participant", "programme", "municipality")
        .annotate(
            pairing_id=Subquery(pairings.values("pk")[:1]),
            course_id=F("episode__id"),
            course_started=F("episode__started_on"),
            notice_sent_at=Subquery(notices.values("sent_at")[:1]),
            notice_kind=Subquery(notices.values("kind")[:1]),
            report_shared=_sharing_consent_in_force("pk"),
        )
        .order_by("-received_at", "-pk")
    )
