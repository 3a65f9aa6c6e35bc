"""Reads for the partner register: the list (fixed query count), CSV rows, and the agreements
that need a look (ending within 60 days or past their review date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, Q, QuerySet

from kobling.lib.spreadsheet import neutralise
from kobling.partners.choices import ENDING_SOON_DAYS, AgreementStatus
from kobling.partners.models import Agreement, Partner, agreement_valid_q

CSV_HEADER = (
    "id",
    "municipality",
    "name",
    "organisation_number",
    "kind",
    "prevention_level",
    "programmes",
    "contact_name",
    "contact_phone",
    "contact_email",
    "active",
    "agreements",
    "agreement_status",
    "agreement_ends_on",
    "agreement_review_on",
)


def partner_list_queryset(queryset: QuerySet) -> QuerySet:
    """Partners with what the list shows, in a fixed number of queries."""
    return queryset.select_related("municipality").prefetch_related(
        "programmes",
        Prefetch("agreements", queryset=Agreement.objects.order_by("-starts_on", "-pk")),
    )


def current_agreement(partner: Partner, today: dt.date) -> Agreement | None:
    """The agreement that says most about the partner today: a valid one (the latest start),
    else the latest (from the prefetched agreements)."""
    agreements = list(partner.agreements.all())
    valid = [
        a
        for a in agreements
        if a.status_on(today) not in (AgreementStatus.EXPIRED, AgreementStatus.UPCOMING)
    ]
    return (valid or agreements or [None])[0]


def partner_csv_rows(partners: Iterable[Partner], today: dt.date) -> Iterator[list[str]]:
    yield list(CSV_HEADER)
    for p in partners:
        agreement = current_agreement(p, today)
        # Names and contact details are typed by users: a spreadsheet must not run them.
        yield [
            str(p.pk),
            neutralise(p.municipality.name),
            neutralise(p.name),
            p.organisation_number,
            p.kind,
            p.prevention_level,
            neutralise("; ".join(sorted(pr.name for pr in p.programmes.all()))),
            neutralise(p.contact_name),
            neutralise(p.contact_phone),
            neutralise(p.contact_email),
            "yes" if p.is_active else "no",
            str(len(p.agreements.all())),
            agreement.status_on(today) if agreement else "",
            agreement.ends_on.isoformat() if agreement and agreement.ends_on else "",
            agreement.review_on.isoformat() if agreement and agreement.review_on else "",
        ]


def agreements_needing_attention(municipality_ids: list[int], today: dt.date) -> QuerySet:
    """Valid agreements that end within :data:`ENDING_SOON_DAYS` days or whose review date has
    come; one query, soonest first."""
    soon = today + dt.timedelta(days=ENDING_SOON_DAYS)
    return (
        Agreement.objects.filter(municipality_id__in=list(municipality_ids))
        .filter(agreement_valid_q(today))
        .filter(Q(ends_on__lte=soon) | Q(review_on__lte=today))
        .select_related("partner", "municipality")
        .order_by("ends_on", "review_on", "pk")
    )
