"""``kobling bench dashboard``: a large synthetic municipality, its aggregates refreshed, then the
dashboard's server time against the equivalent SQL over the base tables, both in the same run.

Everything is created inside one transaction that is rolled back at the end, so the configured
database is left as it was (a fresh municipality per run, never a trace after it)."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Avg, Count, Min, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.urls import reverse
from django.utils import timezone

from kobling.core.bench import best_ms, signed_in_client

_SOURCES = ("gp", "nav", "frisklivssentral", "municipal_staff", "self", "specialist")
_GENDERS = ("female", "male", "female", "male", "other")
_END_REASONS = ("goal_reached", "participant_stopped", "moved", "no_chemistry", "health")


class _Rollback(Exception):
    pass


@dataclass
class BenchResult:
    participants: int
    contacts: int
    sessions: int
    year: int
    build_s: float
    refresh_ms: float
    dashboard_ms: float
    direct_sql_ms: float
    facts: int
    vendor: str

    @property
    def ratio(self) -> float:
        return self.dashboard_ms / self.direct_sql_ms if self.direct_sql_ms else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "participants": self.participants,
            "contacts": self.contacts,
            "sessions": self.sessions,
            "dashboard_ms": round(self.dashboard_ms, 1),
            "direct_sql_ms": round(self.direct_sql_ms, 1),
            "ratio": round(self.ratio, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio}


def run(
    *, participants: int, contacts: int, sessions: int, seed: int = 0, repeat: int = 3
) -> BenchResult:
    """Build, refresh, measure, roll back."""
    result: BenchResult | None = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            programme, user, year = build(participants, contacts, sessions, seed)
            build_s = time.perf_counter() - started
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            from kobling.dashboards.refresh import refresh_municipality

            started = time.perf_counter()
            done = refresh_municipality(programme.municipality_id)
            refresh_ms = (time.perf_counter() - started) * 1000
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE dashboards_dashboardfact")

            client = signed_in_client(user)
            url = reverse("web:dashboard", args=[programme.pk]) + f"?year={year}"

            def page() -> None:
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            dashboard_ms = best_ms(page, repeat)
            direct_ms = best_ms(lambda: direct_figures(programme, year), repeat)
            result = BenchResult(
                participants=participants,
                contacts=contacts,
                sessions=sessions,
                year=year,
                build_s=build_s,
                refresh_ms=refresh_ms,
                dashboard_ms=dashboard_ms,
                direct_sql_ms=direct_ms,
                facts=done["facts"],
                vendor=connection.vendor,
            )
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def direct_figures(programme: Any, year: int) -> list[Any]:
    """What the dashboard shows, computed at query time from the base tables: the same figures
    as set-based SQL (one GROUP BY per table and breakdown), run directly."""
    from kobling.followup.models import Pairing, Session
    from kobling.helpers.models import Helper
    from kobling.outcomes.models import FollowUp, ReviewScore
    from kobling.referrals.models import Referral

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    referrals = Referral.objects.filter(programme=programme)
    received = referrals.filter(received_at__date__gte=start, received_at__date__lte=end)
    granted = referrals.filter(granted_at__date__gte=start, granted_at__date__lte=end)
    pairings = Pairing.objects.filter(programme=programme)
    started = pairings.filter(started_on__gte=start, started_on__lte=end)
    ended = pairings.filter(ended_on__gte=start, ended_on__lte=end)
    sessions = Session.objects.current().filter(
        pairing__programme=programme, date__gte=start, date__lte=end
    )
    held = Q(status="held")
    queries: list[Any] = []
    for base, person in (
        (received, "participant"),
        (granted, "participant"),
        (started, "participant"),
        (ended, "participant"),
    ):
        for by in (
            f"{person}__gender",
            "source" if base.model is Referral else "referral__source",
            "target_groups__code" if base.model is Referral else "referral__target_groups__code",
        ):
            queries.append(base.values(by).annotate(n=Count("pk")).order_by())
        queries.append(
            base.annotate(born=ExtractYear(f"{person}__birth_date"))
            .values("born")
            .annotate(n=Count("pk"))
            .order_by()
        )
    queries.append(ended.values("end_reason").annotate(n=Count("pk")).order_by())
    queries.append(
        sessions.annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(
            planned=Count("pk"),
            held=Count("pk", filter=held),
            no_show=Count("pk", filter=Q(status="no_show")),
            cancelled=Count("pk", filter=Q(status="cancelled")),
            minutes=Sum("minutes", filter=held),
            people=Count("pairing__participant_id", distinct=True),
        )
        .order_by()
    )
    queries.append(
        sessions.filter(held).aggregate(
            people=Count("pairing__participant_id", distinct=True),
            helpers=Count("helper_id", distinct=True),
        )
    )
    # Days from referral: decision, pairing, first session (for referrals received in the year).
    queries.append(
        received.annotate(first=Min("decisions__decided_on")).values("pk", "received_at", "first")
    )
    queries.append(
        received.annotate(first=Min("pairings__confirmed_at")).values("pk", "received_at", "first")
    )
    queries.append(
        received.annotate(
            first=Min("pairings__sessions__date", filter=Q(pairings__sessions__status="held"))
        ).values("pk", "received_at", "first")
    )
    # Effectiveness: start and later review scores of the pairs started in the year.
    queries.append(
        ReviewScore.objects.filter(
            review__pairing__in=started,
            review__superseded_by__isnull=True,
            review__is_void=False,
        )
        .values("instrument_code", "review__kind")
        .annotate(mean=Avg("value"), n=Count("pk"))
        .order_by()
    )
    queries.append(
        FollowUp.objects.filter(pairing__programme=programme, due_on__gte=start, due_on__lte=end)
        .values("months")
        .annotate(
            asked=Count("pk", filter=Q(status__in=["sent", "reminded", "answered"])),
            answered=Count("pk", filter=Q(status="answered")),
            active=Count("pk", filter=Q(status="answered", still_active=True)),
        )
        .order_by()
    )
    queries.append(
        Helper.objects.filter(programme=programme)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [q if isinstance(q, dict) else list(q) for q in queries]


def build(
    participants: int, contacts: int, sessions: int, seed: int, *, tag: str | None = None
) -> tuple[Any, Any, int]:
    """A municipality with one programme, a coordinator (no password), ``contacts`` training
    contacts and ``participants`` paired participants with ``sessions`` sessions, reviews and
    follow-ups. Returns the programme, the coordinator and last year (the dashboard's year).
    Also the data behind `kobling bench load` (kobling.web.load)."""
    from kobling.followup.models import Pairing, Session
    from kobling.helpers.models import Helper, TargetGroup
    from kobling.outcomes.models import FollowUp, Instrument, Review, ReviewScore
    from kobling.referrals.models import Decision, Episode, Participant, Referral
    from kobling.tenancy.choices import Role
    from kobling.tenancy.models import Membership, Municipality, Programme, User

    rng = random.Random(seed)
    today = timezone.localdate()
    tag = tag or f"{int(time.time() * 1000) % 10**6:06d}"
    municipality = Municipality.objects.create(code=f"B{tag}", name=f"Benchby {tag}")
    programme = Programme.objects.create(
        municipality=municipality,
        kind="treningskontakt",
        name="Treningskontakt",
        started_on=today - dt.timedelta(days=6 * 365),
    )
    user = User.objects.create(username=f"bench-{tag}@bench.invalid")
    Membership.objects.create(user=user, municipality=municipality, role=Role.COORDINATOR)
    now = timezone.now()

    statuses = [
        rng.choices(["active", "paused", "left", "qualified"], [80, 5, 10, 5])[0]
        for _ in range(contacts)
    ]
    helpers = Helper.objects.bulk_create(
        [
            Helper(
                municipality=municipality,
                programme=programme,
                first_name="Kontakt",
                last_name=str(i),
                email=f"k{i}@bench.invalid",
                postcode="6800",
                gender=rng.choice(_GENDERS[:2]),
                birth_year=rng.randint(1960, 2003),
                capacity=3,
                hourly_rate=Decimal("180.00"),
                status=statuses[i],
                paused_until=today + dt.timedelta(days=30) if statuses[i] == "paused" else None,
            )
            for i in range(contacts)
        ],
        batch_size=2000,
    )
    people = Participant.objects.bulk_create(
        [
            Participant(
                municipality=municipality,
                alternative_id="other",
                alternative_id_note="bench",
                first_name="Deltaker",
                last_name=str(i),
                birth_date=dt.date(rng.randint(1950, 2010), rng.randint(1, 12), rng.randint(1, 28)),
                gender=rng.choice(_GENDERS),
                postcode="6800",
            )
            for i in range(participants)
        ],
        batch_size=2000,
    )
    per_pair, extra = divmod(sessions, participants)
    counts = [per_pair + (1 if i < extra else 0) for i in range(participants)]
    starts = [
        today - dt.timedelta(days=7 * counts[i] + rng.randint(0, 200)) for i in range(participants)
    ]
    referrals = Referral.objects.bulk_create(
        [
            Referral(
                municipality=municipality,
                programme=programme,
                participant=person,
                source=rng.choice(_SOURCES),
                status="paired",
                received_at=timezone.make_aware(
                    dt.datetime.combine(
                        starts[i] - dt.timedelta(days=rng.randint(20, 120)), dt.time(10)
                    )
                ),
                granted_at=timezone.make_aware(
                    dt.datetime.combine(
                        starts[i] - dt.timedelta(days=rng.randint(8, 19)), dt.time(10)
                    )
                ),
            )
            for i, person in enumerate(people)
        ],
        batch_size=2000,
    )
    groups = list(TargetGroup.objects.all()[:4])
    if groups:
        through = Referral.target_groups.through
        through.objects.bulk_create(
            [through(referral_id=r.pk, targetgroup_id=rng.choice(groups).pk) for r in referrals],
            batch_size=5000,
        )
    Decision.objects.bulk_create(
        [
            Decision(
                referral=r,
                municipality=municipality,
                outcome="granted",
                reasons="bench",
                decided_by=user,
                decided_on=timezone.localtime(r.granted_at).date(),
            )
            for r in referrals
        ],
        batch_size=2000,
    )
    ends = []
    for i in range(len(referrals)):
        last = starts[i] + dt.timedelta(days=7 * max(counts[i] - 1, 0))
        ends.append(last + dt.timedelta(days=7) if last < today - dt.timedelta(days=60) else None)
    episodes = Episode.objects.bulk_create(
        [
            Episode(
                municipality=municipality,
                programme=programme,
                participant_id=r.participant_id,
                referral=r,
                delivery=programme.delivery,
                status="ended" if ends[i] else "active",
                opened_on=timezone.localtime(r.granted_at).date(),
                started_on=starts[i],
                ended_on=ends[i],
                end_reason=rng.choice(_END_REASONS) if ends[i] else "",
                handover_destination="gym" if ends[i] else "",
            )
            for i, r in enumerate(referrals)
        ],
        batch_size=2000,
    )
    pairings = []
    for i, r in enumerate(referrals):
        is_ended = ends[i] is not None
        pairings.append(
            Pairing(
                municipality=municipality,
                programme=programme,
                referral=r,
                episode=episodes[i],
                participant_id=r.participant_id,
                helper=helpers[i % contacts],
                slot=i // contacts,
                status="ended" if is_ended else "active",
                confirmed_at=timezone.make_aware(
                    dt.datetime.combine(starts[i] - dt.timedelta(days=7), dt.time(10))
                ),
                started_on=starts[i],
                ended_on=ends[i],
                end_reason=episodes[i].end_reason,
                handover_destination=episodes[i].handover_destination,
            )
        )
    pairings = Pairing.objects.bulk_create(pairings, batch_size=2000)

    batch: list[Session] = []
    for i, pairing in enumerate(pairings):
        for j in range(counts[i]):
            status = rng.choices(["held", "cancelled", "no_show"], [85, 8, 7])[0]
            batch.append(
                Session(
                    municipality=municipality,
                    pairing=pairing,
                    episode_id=pairing.episode_id,
                    helper_id=pairing.helper_id,
                    date=starts[i] + dt.timedelta(days=7 * j),
                    minutes=rng.choice((45, 60, 60, 90)),
                    status=status,
                    intensity="moderate" if status == "held" else "",
                    cancelled_by="participant" if status == "cancelled" else "",
                    logged_at=now,
                )
            )
            if len(batch) >= 20000:
                Session.objects.bulk_create(batch)
                batch = []
    Session.objects.bulk_create(batch)

    instruments = {
        i.code: i
        for i in Instrument.objects.filter(code__in=["activity_minutes", "self_rated_health"])
    }
    reviews = Review.objects.bulk_create(
        [
            Review(
                municipality=municipality,
                pairing=p,
                episode_id=p.episode_id,
                kind=kind,
                date=p.started_on + dt.timedelta(weeks=weeks),
                recorded_at=now,
            )
            for p in pairings
            for kind, weeks in (("start", 0), ("periodic", 12))
        ],
        batch_size=5000,
    )
    scores = []
    for review in reviews:
        lift = 60 if review.kind == "periodic" else 0
        for code, value in (
            ("activity_minutes", rng.randint(0, 200) + lift),
            ("self_rated_health", rng.randint(1, 4) + (1 if lift else 0)),
        ):
            if code in instruments:
                ins = instruments[code]
                scores.append(
                    ReviewScore(
                        municipality=municipality,
                        review=review,
                        instrument=ins,
                        instrument_code=code,
                        instrument_version=ins.version,
                        unit=ins.unit,
                        value=Decimal(min(value, int(ins.max_value))),
                    )
                )
    ReviewScore.objects.bulk_create(scores, batch_size=5000)

    followups = []
    for p in pairings:
        if p.status != "ended":
            continue
        for months in (3, 6, 12):
            due = p.ended_on + dt.timedelta(days=30 * months)
            if due > today:
                continue
            answered = rng.random() < 0.6
            followups.append(
                FollowUp(
                    municipality=municipality,
                    pairing=p,
                    episode_id=p.episode_id,
                    months=months,
                    due_on=due,
                    status="answered" if answered else "sent",
                    answered_at=now if answered else None,
                    still_active=rng.random() < 0.5 if answered else None,
                    minutes_per_week=rng.randint(0, 300) if answered else None,
                )
            )
    FollowUp.objects.bulk_create(followups, batch_size=5000)
    return programme, user, today.year - 1
