"""``kobling bench attendance``: the group leader's attendance screen for a group of 15 with a
term of history behind it — the page, saving it, the API's attendance list and a course's report —
against the floor of a request through the same stack (``/healthz``: middleware, one database
read), all in the same run, with the queries each one takes.

Everything is created inside one transaction that is rolled back at the end (a fresh
municipality per run, no trace after it). The query counts are what the tests guard as fixed
(they do not grow with the group or its history); the times are what this machine does."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.core.bench import best_ms, signed_in_client


class _Rollback(Exception):
    pass


@dataclass
class AttendanceBench:
    participants: int
    meetings_held: int
    vendor: str
    floor_ms: float
    page_ms: float
    save_ms: float
    api_attendance_ms: float
    api_report_ms: float
    page_queries: int
    save_queries: int
    api_attendance_queries: int
    api_report_queries: int

    @property
    def ratio(self) -> float:
        return self.page_ms / self.floor_ms if self.floor_ms else 0.0

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in asdict(self).items()} | {
            "ratio": round(self.ratio, 2)
        }

    def lines(self) -> list[str]:
        return [
            f"Attendance benchmark ({self.vendor}): a group of {self.participants}, "
            f"{self.meetings_held} meetings held before",
            f"  floor (/healthz):          {self.floor_ms:7.1f} ms",
            f"  attendance page (GET):     {self.page_ms:7.1f} ms  {self.page_queries} queries",
            f"  ticking saved (POST):      {self.save_ms:7.1f} ms  {self.save_queries} queries",
            f"  API attendance (GET):      {self.api_attendance_ms:7.1f} ms  "
            f"{self.api_attendance_queries} queries",
            f"  API course report (GET):   {self.api_report_ms:7.1f} ms  "
            f"{self.api_report_queries} queries",
            f"  page / floor:              {self.ratio:7.2f}",
        ]


def _queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def run(*, participants: int = 15, weeks: int = 12, repeat: int = 5) -> AttendanceBench:
    """Build a group with ``weeks`` of twice-weekly meetings held, then measure; roll back."""
    result: AttendanceBench | None = None
    try:
        with transaction.atomic():
            meeting, leader, coordinator, courses, held = build(participants, weeks)
            leader_client, coordinator_client = (
                signed_in_client(leader),
                signed_in_client(coordinator),
            )
            page_url = f"/samlinger/{meeting.pk}/"
            ids = [c.pk for c in courses]
            ticks = [ids, ids[: max(1, len(ids) * 2 // 3)]]

            def floor() -> None:
                assert leader_client.get("/healthz").status_code == 200

            def page() -> None:
                response = leader_client.get(page_url)
                assert response.status_code == 200, response.status_code

            def save() -> None:
                meeting.refresh_from_db(fields=["version"])
                ticks.reverse()  # every save changes a third of the entries
                response = leader_client.post(
                    page_url,
                    {
                        "came": [str(pk) for pk in ticks[0]],
                        "drop_ins": "",
                        "minutes": "60",
                        "intensity": "moderate",
                        "account": "Sirkeltrening",
                        "version": str(meeting.version),
                    },
                )
                assert response.status_code == 302, response.status_code

            def api_attendance() -> None:
                response = leader_client.get(f"/api/v1/meetings/{meeting.pk}/attendance/")
                assert response.status_code == 200, response.status_code

            def api_report() -> None:
                response = coordinator_client.get(f"/api/v1/episodes/{courses[0].pk}/report/")
                assert response.status_code == 200, response.status_code

            result = AttendanceBench(
                participants=participants,
                meetings_held=held,
                vendor=connection.vendor,
                floor_ms=best_ms(floor, repeat),
                page_ms=best_ms(page, repeat),
                save_ms=best_ms(save, repeat),
                api_attendance_ms=best_ms(api_attendance, repeat),
                api_report_ms=best_ms(api_report, repeat),
                page_queries=_queries(page),
                save_queries=_queries(save),
                api_attendance_queries=_queries(api_attendance),
                api_report_queries=_queries(api_report),
            )
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def build(participants: int, weeks: int) -> tuple[Any, Any, Any, list[Any], int]:
    """A frisklivsresept programme with a group of ``participants`` courses that met twice a
    week for ``weeks`` weeks (every meeting recorded), and today's meeting still to record.
    Returns today's meeting, the leader's and a coordinator's users, the courses and the number
    of meetings held."""
    from kobling.groups import services
    from kobling.groups.models import GroupEnrolment, Meeting
    from kobling.helpers.models import Helper
    from kobling.referrals.models import Decision, Episode, Participant, Referral
    from kobling.tenancy.choices import Role
    from kobling.tenancy.models import Membership, Municipality, Programme, User

    today = timezone.localdate()
    tag = f"{int(time.time() * 1000) % 10**6:06d}"
    municipality = Municipality.objects.create(code=f"G{tag}", name=f"Gruppeby {tag}")
    programme = Programme.objects.create(
        municipality=municipality,
        kind="frisklivsresept",
        name="Frisklivsresept",
        delivery="group",
        period_weeks=12,
        uses_conversations=True,
        attendance_late_days=7,
    )
    coordinator = User.objects.create(username=f"koord-{tag}@bench.invalid")
    Membership.objects.create(user=coordinator, municipality=municipality, role=Role.COORDINATOR)
    leader_user = User.objects.create(username=f"leder-{tag}@bench.invalid")
    # Leaders sign in with the helpers' role.
    Membership.objects.create(
        user=leader_user, municipality=municipality, role=Role.TRAINING_CONTACT
    )
    leader = Helper.objects.create(
        municipality=municipality,
        programme=programme,
        kind="healthy_life_guide",
        user=leader_user,
        first_name="Frida",
        last_name="Veileder",
        email=leader_user.username,
        postcode="6800",
        gender="female",
        birth_year=1980,
        capacity=0,
        hourly_rate=Decimal("250.00"),
        status="active",
    )
    start = today - dt.timedelta(weeks=weeks)
    people = Participant.objects.bulk_create(
        Participant(
            municipality=municipality,
            alternative_id="other",
            alternative_id_note="bench",
            first_name=f"Deltaker{i:02d}",
            last_name="Gruppe",
            birth_date=dt.date(1960 + i, 1 + i % 12, 1 + i % 28),
            gender=("female", "male")[i % 2],
            postcode="6800",
        )
        for i in range(participants)
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
    Decision.objects.bulk_create(
        Decision(
            referral=r,
            municipality=municipality,
            outcome="granted",
            reasons="bench",
            decided_by=coordinator,
            decided_on=granted.date(),
        )
        for r in referrals
    )
    courses = Episode.objects.bulk_create(
        Episode(
            municipality=municipality,
            programme=programme,
            participant_id=r.participant_id,
            referral=r,
            delivery="group",
            status="active",
            opened_on=granted.date(),
            started_on=start,
            planned_weeks=12,
        )
        for r in referrals
    )
    offer = services.offer_create(
        by=coordinator,
        municipality=municipality,
        data={
            "programme": programme,
            "title": "Trening i gruppe",
            "topic": "training",
            "place": "Frisklivssentralen",
            "term_start": start,
            "term_end": today + dt.timedelta(weeks=4),
            "capacity": participants,
        },
        leaders=[leader],
        times=[
            services.WeeklyTime(today.weekday(), dt.time(10, 0), 60),
            services.WeeklyTime((today.weekday() + 3) % 7, dt.time(10, 0), 60),
        ],
    )
    services.meetings_generate(offer=offer, by=coordinator)
    for course in courses:
        services.enrolment_create(offer=offer, episode=course, by=coordinator)
    GroupEnrolment.objects.filter(offer=offer).update(enrolled_on=start)
    ids = [c.pk for c in courses]
    past = list(Meeting.objects.filter(offer=offer, date__lt=today).order_by("date"))
    for n, meeting in enumerate(past):
        services.attendance_record(
            meeting=meeting,
            by=coordinator,
            came=[pk for i, pk in enumerate(ids) if (i + n) % 5],  # four in five came
            minutes=60,
            intensity="moderate",
        )
    return (
        Meeting.objects.get(offer=offer, date=today),
        leader_user,
        coordinator,
        courses,
        len(past),
    )
