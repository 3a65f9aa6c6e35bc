"""Demo for the pilot's health account (issue 12): Nordby gets its own "Aktivitet på resept"
with one gym and five placed courses (visits, start and end reviews, two ended with the goal
reached), and a pilot across Fjordvik and Nordby counts both municipalities' provider courses.
Fjordvik gets a fifth course under way at its first gym. Its owner is a named researcher (``forsker@kobling.demo``); the national analyst sees it too.
Small (a few dozen rows), so the demo loads as fast as before. Called by
:func:`kobling.demo.loader.load_demo` after the providers' demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kobling.demo.providers import demo_placement
from kobling.outcomes import services as outcomes
from kobling.pilots.services import pilot_create
from kobling.providers import services
from kobling.providers.choices import VisitSource
from kobling.providers.models import ActivityProvider
from kobling.referrals import episodes
from kobling.tenancy.choices import ProgrammeKind
from kobling.tenancy.models import Municipality, Programme, User
from kobling.tenancy.services import programme_create

OWNER = "forsker@kobling.demo"

# (first name, last name, weeks since start, minutes a week at start → at end or None)
NORDBY_COURSES = (
    ("Gunn", "Gangfør", 14, (30, 140)),
    ("Harald", "Hverdag", 13, (60, 150)),
    ("Ingrid", "Idrett", 8, (45, None)),
    ("Jon", "Jevn", 6, (20, None)),
    ("Kari", "Kraft", 3, (90, None)),
)


def _nordby_courses(today: dt.date) -> tuple[Programme, int]:
    municipality = Municipality.objects.get(name="Nordby")
    admin = User.objects.get(username="admin@nordby.demo")
    coordinator = User.objects.get(username="koordinator@nordby.demo")
    referrer = User.objects.get(username="henviser@nordby.demo")
    programme = programme_create(
        by=admin,
        municipality=municipality,
        data={
            "kind": ProgrammeKind.ACTIVITY_ON_PRESCRIPTION,
            "name": "Aktivitet på resept",
            "started_on": dt.date(2026, 1, 5),
            "requires_qualification": False,
            "requires_police_certificate": False,
        },
    )
    gym = services.provider_create(
        by=coordinator,
        municipality=municipality,
        data={
            "name": "Nordby Helsestudio",
            "organisation_number": "912345025",
            "kind": "gym",
            "contact_name": "Nina Nordby",
            "contact_email": "post@nordby-helsestudio.demo",
        },
    )
    services.site_create(
        by=coordinator,
        provider=gym,
        data={
            "name": "Torget",
            "street_address": "Torget 2",
            "postcode": "8800",
            "post_town": "Nordby",
            "opening_hours": "Mon–Fri 07–21",
            "accessibility": "Step-free entrance",
        },
    )
    visits = 0
    for index, (first, last, weeks, (before, after)) in enumerate(NORDBY_COURSES):
        start = today - dt.timedelta(weeks=weeks)
        placement = demo_placement(
            programme=programme,
            gym=gym,
            referrer=referrer,
            coordinator=coordinator,
            person=(first, last, index),
            start=start,
            today=today,
            postcode="8800",
            serial=31,
        )
        placement = services.placement_answer(
            placement=placement, by=None, accept=True, expected_version=placement.version
        )
        course = placement.episode
        outcomes.review_record(
            course=course,
            by=coordinator,
            kind="start",
            date=start,
            scores=[
                outcomes.ScoreInput(instrument="activity_minutes", value=Decimal(before)),
                outcomes.ScoreInput(instrument="self_rated_health", value=Decimal(2 + index % 2)),
            ],
        )
        # Once a week, every fourth one missed.
        last_day = min(today - dt.timedelta(days=1), placement.ends_on)
        for week in range(weeks):
            day = start + dt.timedelta(weeks=week, days=1)
            if day > last_day:
                break
            services.visit_record(
                placement=placement,
                visited_on=day,
                minutes=60,
                source=VisitSource.API,
                external_id=f"NH-{placement.pk}-{week}",
                today=today,
            )
            visits += 1
        if after is not None:
            end = min(start + dt.timedelta(weeks=12), today)
            outcomes.review_record(
                course=course,
                by=coordinator,
                kind="end",
                date=end,
                scores=[
                    outcomes.ScoreInput(instrument="activity_minutes", value=Decimal(after)),
                    outcomes.ScoreInput(instrument="self_rated_health", value=Decimal(4)),
                ],
            )
            episodes.episode_end(
                episode=course, by=coordinator, ended_on=end, end_reason="goal_reached"
            )
    return programme, visits


def load_pilots_demo(today: dt.date) -> dict[str, int]:
    nordby_programme, visits = _nordby_courses(today)
    fjordvik_programme = Programme.objects.get(
        municipality__name="Fjordvik", name="Aktivitet på resept"
    )
    # A fifth course under way at Fjordvik Treningssenter, so that neither municipality's
    # count is a small cell.
    fjordvik_gym = ActivityProvider.objects.get(name="Fjordvik Treningssenter")
    placement = demo_placement(
        programme=fjordvik_programme,
        gym=fjordvik_gym,
        referrer=User.objects.get(username="henviser@fjordvik.demo"),
        coordinator=User.objects.get(username="koordinator@fjordvik.demo"),
        person=("Liv", "Løft", 6),
        start=today - dt.timedelta(weeks=2),
        today=today,
    )
    services.placement_answer(
        placement=placement, by=None, accept=True, expected_version=placement.version
    )
    analyst = User.objects.get(username="analytiker@kobling.demo")
    owner = User.objects.create(
        username=OWNER,
        email=OWNER,
        first_name="Frida",
        last_name="Forsker",
        password=analyst.password,
    )
    pilot_create(
        by=analyst,
        name="Aktivitet på resept – pilot Fjordvik og Nordby",
        description="Helseøkonomisk pilot for aktivitet på resept hos treningssentre.",
        municipalities=[fjordvik_programme.municipality, nordby_programme.municipality],
        programmes=[fjordvik_programme, nordby_programme],
        period_start=dt.date(today.year - 1, 1, 1),
        period_end=dt.date(today.year + 1, 12, 31),
        owners=[owner],
    )
    return {"pilots": 1, "pilot_visits_nordby": visits}
