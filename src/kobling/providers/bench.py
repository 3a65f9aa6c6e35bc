"""``kobling bench provider``: how fast visits from a provider's own system come in, each
against a bare bulk insert of the same rows measured in the same run —

* a CSV file of 10,000 visits through the importer (``visits_import``: the whole file parsed
  and checked — placements, periods, duplicate and known visit ids — then one bulk insert and
  one audit entry), against ``bulk_create`` of the same 10,000 prepared rows;
* 1,000 single check-ins through the provider API (``POST /api/v1/provider/visits/`` with the
  provider key: authentication, validation, the placement lookup, the idempotency check, the
  insert and its audit entry, each a request of its own), against ``bulk_create`` of the same
  1,000 prepared rows.

Everything is created inside one transaction that is rolled back at the end (a fresh
municipality per run, no trace after it); each timed run is rolled back to a savepoint, so every
run inserts the same rows (visits are append-only: the database refuses to delete them)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone


class _Rollback(Exception):
    pass


@dataclass
class ProviderBench:
    vendor: str
    placements: int
    csv_rows: int
    checkins: int
    csv_ms: float
    csv_bare_ms: float
    api_ms: float
    api_bare_ms: float

    @property
    def csv_ratio(self) -> float:
        return self.csv_ms / self.csv_bare_ms if self.csv_bare_ms else 0.0

    @property
    def api_ratio(self) -> float:
        return self.api_ms / self.api_bare_ms if self.api_bare_ms else 0.0

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in asdict(self).items()} | {
            "csv_ratio": round(self.csv_ratio, 2),
            "api_ratio": round(self.api_ratio, 2),
            "csv_rows_per_s": round(self.csv_rows / self.csv_ms * 1000) if self.csv_ms else 0,
            "checkins_per_s": round(self.checkins / self.api_ms * 1000) if self.api_ms else 0,
        }

    def lines(self) -> list[str]:
        return [
            f"Provider benchmark ({self.vendor}): {self.placements} placements",
            f"  CSV import, {self.csv_rows} rows:     {self.csv_ms:9.1f} ms",
            f"  bare bulk insert, same rows:     {self.csv_bare_ms:9.1f} ms",
            f"  CSV / bare:                      {self.csv_ratio:9.2f}",
            f"  API, {self.checkins} single check-ins: {self.api_ms:9.1f} ms",
            f"  bare bulk insert, same rows:     {self.api_bare_ms:9.1f} ms",
            f"  API / bare:                      {self.api_ratio:9.2f}",
        ]


def _best_rolled_back(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``fn`` (ms), each undone to a savepoint afterwards."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                fn()
                best = min(best, (time.perf_counter() - started) * 1000)
                raise _Rollback
        except _Rollback:
            pass
    return best


def run(
    *, csv_rows: int = 10_000, checkins: int = 1_000, placements: int = 100, repeat: int = 3
) -> ProviderBench:
    from rest_framework.test import APIClient

    from kobling.providers import services
    from kobling.providers.models import ProviderVisit

    result: ProviderBench | None = None
    try:
        with transaction.atomic():
            provider, rows, key = build(placements, max(csv_rows, checkins))
            csv_part, api_part = rows[:csv_rows], rows[:checkins]
            content = "visit_id;placement;date;minutes\n" + "\n".join(
                f"{vid};{pid};{day:%Y-%m-%d};{minutes}" for vid, pid, day, minutes in csv_part
            )
            by_pk = {p.pk: p for p in provider.placements.all()}

            def bare(part: list[tuple[str, int, dt.date, int]]) -> Callable[[], None]:
                def insert() -> None:
                    ProviderVisit.objects.bulk_create(
                        [
                            ProviderVisit(
                                municipality_id=provider.municipality_id,
                                placement_id=pid,
                                provider_id=provider.pk,
                                episode_id=by_pk[pid].episode_id,
                                external_id=vid,
                                source="api",
                                visited_on=day,
                                minutes=minutes,
                            )
                            for vid, pid, day, minutes in part
                        ],
                        batch_size=1000,
                    )

                return insert

            def csv_import() -> None:
                report = services.visits_import(provider=provider, content=content, by=None)
                assert report.ok and report.created == len(csv_part), report.errors[:3]

            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Provider {key}")

            def api() -> None:
                for vid, pid, day, minutes in api_part:
                    response = client.post(
                        "/api/v1/provider/visits/",
                        {"visit_id": vid, "placement": pid, "date": str(day), "minutes": minutes},
                        format="json",
                    )
                    assert response.status_code == 201, response.content[:200]

            result = ProviderBench(
                vendor=connection.vendor,
                placements=placements,
                csv_rows=len(csv_part),
                checkins=len(api_part),
                csv_ms=_best_rolled_back(csv_import, repeat),
                csv_bare_ms=_best_rolled_back(bare(csv_part), repeat),
                api_ms=_best_rolled_back(api, repeat),
                api_bare_ms=_best_rolled_back(bare(api_part), repeat),
            )
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def build(placements: int, visits: int) -> tuple[Any, list[tuple[str, int, dt.date, int]], str]:
    """A provider programme with ``placements`` accepted placements of 12 weeks ending in the
    future, and ``visits`` visits spread over them and over the past 80 days. Returns the
    provider, the visit rows (visit id, placement, date, minutes) and a provider key."""
    from kobling.providers import services
    from kobling.providers.models import ActivityProvider, Placement
    from kobling.referrals.models import Consent, Episode, Participant, Referral
    from kobling.tenancy.models import Municipality, Programme

    today = timezone.localdate()
    tag = f"{int(time.time() * 1000) % 10**6:06d}"
    municipality = Municipality.objects.create(code=f"P{tag}", name=f"Treningsby {tag}")
    programme = Programme.objects.create(
        municipality=municipality,
        kind="activity_on_prescription",
        name="Aktivitet på resept",
        delivery="provider",
        period_weeks=12,
    )
    provider = ActivityProvider.objects.create(
        municipality=municipality, name="Bench Gym", organisation_number="912345009", kind="gym"
    )
    start = today - dt.timedelta(days=80)
    people = Participant.objects.bulk_create(
        Participant(
            municipality=municipality,
            alternative_id="other",
            alternative_id_note="bench",
            first_name=f"Deltaker{i:03d}",
            last_name="Trening",
            birth_date=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
            gender=("female", "male")[i % 2],
            postcode="6800",
        )
        for i in range(placements)
    )
    granted = timezone.make_aware(dt.datetime.combine(start - dt.timedelta(days=7), dt.time(10)))
    referrals = Referral.objects.bulk_create(
        Referral(
            municipality=municipality,
            programme=programme,
            participant=person,
            source="gp",
            status="granted",
            received_at=granted - dt.timedelta(days=14),
            granted_at=granted,
        )
        for person in people
    )
    consents = Consent.objects.bulk_create(
        Consent(
            referral=r,
            municipality=municipality,
            scope="share_with_partner",
            partner_name=provider.name,
            given_on=start - dt.timedelta(days=7),
            given_by="bench",
        )
        for r in referrals
    )
    courses = Episode.objects.bulk_create(
        Episode(
            municipality=municipality,
            programme=programme,
            participant_id=r.participant_id,
            referral=r,
            delivery="provider",
            status="active",
            opened_on=granted.date(),
            started_on=start,
            planned_weeks=12,
        )
        for r in referrals
    )
    made = Placement.objects.bulk_create(
        Placement(
            municipality=municipality,
            episode=course,
            provider=provider,
            consent=consent,
            activity="Styrketrening",
            starts_on=start,
            ends_on=start + dt.timedelta(weeks=12),
            status="accepted",
            answer_by=start,
        )
        for course, consent in zip(courses, consents, strict=True)
    )
    rows = [
        (f"B-{n}", made[n % placements].pk, start + dt.timedelta(days=n % 80), 60)
        for n in range(visits)
    ]
    _token, key = services.token_issue(by=None, provider=provider, name="bench")
    return provider, rows, key
