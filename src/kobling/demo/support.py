"""Demo supervision: Fjordvik's training contacts in two supervision groups (one led by the
coordinator, one by an outside psychologist from the DPS) with a plan of monthly meetings, the
past ones held with attendance; a few individual sessions; the programme's settings; last year's
pool shared out by use. One active contact is left without supervision, so the alert shows.
Written through the services, so the audit log shows the demo's history too."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper, HelperStatusChange
from kobling.support import services
from kobling.tenancy.models import Programme, User

TOPICS = (
    "Når deltakeren ikke møter opp",
    "Grenser i rollen som treningskontakt",
    "Motivasjon og mestring",
    "Rus og psykisk helse: hva gjør jeg når …",
    "Avslutning og overgang til varig aktivitet",
    "Erfaringsutveksling: hva har fungert?",
)


def load_support_demo(today: dt.date) -> dict[str, int]:
    programme = (
        Programme.objects.filter(municipality__name="Fjordvik", kind="treningskontakt")
        .order_by("pk")
        .first()
    )
    if programme is None:
        return {}
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    contacts = list(
        Helper.objects.filter(
            programme=programme,
            status__in=(HelperStatus.QUALIFIED, HelperStatus.ACTIVE, HelperStatus.PAUSED),
        ).order_by("pk")
    )
    if len(contacts) < 4:
        return {}
    services.settings_save(
        programme=programme,
        by=coordinator,
        data={"allowance_hours": Decimal(6), "return_month": 9, "return_day": 1, "alert_weeks": 12},
        expected_version=None,
    )
    # The last contact is left out of every group: the "no supervision" alert shows them.
    left_out = contacts[-1]
    members = contacts[:-1]
    half = (len(members) + 1) // 2
    groups = [
        services.group_create(
            by=coordinator,
            programme=programme,
            data={"name": "Veiledningsgruppe 1", "leader": coordinator, "meeting_minutes": 90},
            members=members[:half],
        ),
        services.group_create(
            by=coordinator,
            programme=programme,
            data={
                "name": "Veiledningsgruppe 2 (DPS)",
                "leader_name": "Psykolog Dagny Dahl, Fjordvik DPS",
                "meeting_minutes": 120,
            },
            members=members[half:],
        ),
    ]
    meetings = held = 0
    # Last year: a meeting every other month; this year: monthly, four months back and two ahead.
    for g, group in enumerate(groups):
        days = [dt.date(today.year - 1, month, 10 + g * 5) for month in range(2, 13, 2)] + [
            (today.replace(day=1) - dt.timedelta(days=30 * back)).replace(day=12 + g * 3)
            for back in range(4, -3, -1)
        ]
        for n, day in enumerate(sorted(set(days))):
            meeting = services.meeting_plan(
                group=group, by=coordinator, date=day, topic=TOPICS[n % len(TOPICS)]
            )
            meetings += 1
            if day < today:
                team = list(group.members.order_by("pk"))
                # Most come; one member in three misses every third meeting.
                present = {h.pk for i, h in enumerate(team) if (i + n) % 3 or i % 3}
                services.attendance_record(
                    meeting=meeting, by=coordinator, present=present, today=today
                )
                held += 1
    # Individual sessions: two contacts asked for extra supervision after a hard pair.
    sessions = 0
    for helper, back in ((members[0], 20), (members[1], 45), (members[0], 400)):
        day = today - dt.timedelta(days=back)
        services.session_record(
            helper=helper,
            by=coordinator,
            date=day,
            hours=Decimal("1.5"),
            supervisor="Kristin Koordinator",
            topic="Oppfølging etter avbrutt par",
            today=today,
        )
        sessions += 1
    # Last year's pool, shared out at the set date (1 September).
    services.pool_share_out(
        programme=programme,
        year=today.year - 1,
        by=coordinator,
        on=dt.date(today.year - 1, 9, 1),
    )
    # They have been active for half a year (the demo is loaded today): past the settings' 12
    # weeks, so the alert shows. Backdated as the demo's history is: the step to active too.
    since = timezone.now() - dt.timedelta(weeks=26)
    Helper.objects.filter(pk=left_out.pk).update(status_since=since)
    HelperStatusChange.objects.filter(
        helper=left_out, to_status=HelperStatus.ACTIVE, at__gt=since
    ).update(at=since)
    return {
        "supervision_groups": len(groups),
        "supervision_meetings": meetings,
        "supervision_meetings_held": held,
        "supervision_sessions": sessions,
    }


COMMENTS = (
    "Nyttig med rollespill om første møte.",
    "Gjerne mer om psykisk helse.",
    "Godt kurs, engasjert kursleder.",
    "For mye teori den første dagen.",
    "Jeg gleder meg til å begynne.",
    "Fint å møte andre treningskontakter.",
)


def load_kirkpatrick_demo(today: dt.date) -> dict[str, int]:
    """The trainees' course forms (Kirkpatrick levels 1 and 2) for every demo course run that
    has begun: "before" from most enrolled trainees, "after" from most who completed a
    completed run — scores a little higher after than before, so the pages show a change.
    Written as the link page writes them (one answer per trainee and form); no e-mail."""
    from kobling.courses.choices import EnrolmentStatus, RunStatus
    from kobling.courses.models import Enrolment
    from kobling.support.choices import TrainingForm
    from kobling.support.models import TrainingAnswer
    from kobling.support.training_forms import items_of

    rng = random.Random(1959)
    answers: list[TrainingAnswer] = []
    enrolments = (
        Enrolment.objects.filter(run__starts_on__lte=today)
        .exclude(run__status=RunStatus.CANCELLED)
        .select_related("run")
        .order_by("pk")
    )
    for n, enrolment in enumerate(enrolments):
        start = dt.datetime.combine(
            enrolment.run.starts_on - dt.timedelta(days=3), dt.time(19), tzinfo=dt.UTC
        )
        before = {item: rng.choice((2, 2, 3, 3, 4)) for item in items_of(TrainingForm.BEFORE)}
        if n % 6:
            answers.append(
                TrainingAnswer(
                    municipality_id=enrolment.municipality_id,
                    enrolment=enrolment,
                    form=TrainingForm.BEFORE,
                    scores=before,
                    answered_at=start,
                )
            )
        done = (
            enrolment.run.status == RunStatus.COMPLETED
            and enrolment.status == EnrolmentStatus.COMPLETED
        )
        if done and n % 5:
            after = {item: rng.choice((3, 4, 4, 5, 5)) for item in items_of(TrainingForm.AFTER)}
            for item, value in before.items():
                after[item] = min(5, value + rng.choice((0, 1, 1, 2)))
            answers.append(
                TrainingAnswer(
                    municipality_id=enrolment.municipality_id,
                    enrolment=enrolment,
                    form=TrainingForm.AFTER,
                    scores=after,
                    comment=COMMENTS[n % len(COMMENTS)] if n % 3 == 0 else "",
                    answered_at=dt.datetime.combine(
                        enrolment.run.ends_on + dt.timedelta(days=2), dt.time(20), tzinfo=dt.UTC
                    ),
                )
            )
    TrainingAnswer.objects.bulk_create(answers)
    return {"training_answers": len(answers)}
