"""Demo for the group programmes (issue 11): Fjordvik's frisklivssentral and Nordby's Aktiv på
dagtid. Called by :func:`kobling.demo.loader.load_demo` after the partners (the groups train at
their premises) and before the dashboard refresh.

Fjordvik runs *frisklivsresept*: three group offers (training twice a week, the diet course
"Bra mat", a tobacco-cessation course) led by frisklivsveiledere and an instructor, and 40
courses (forløp) in every state, referred by GPs, NAV, employers, occupational health, the
specialist service and the people themselves — with start and end conversations, renewals,
places and a waiting list, who came to each held meeting, drop-outs with their reason, and about
six in ten ended courses complete (end conversation held and at least 75 % of the offered
meetings attended). Nordby runs *Aktiv på dagtid* as open drop-in groups at three venues with
participants in all six benefit groups (some checks due again, one referral that does not meet
the rules).

Everything goes through the services the product uses; only what they date "today" (a
referral's arrival and grant, an enrolment's start and end) is back-dated afterwards, as the
other demo modules do. Deterministic for a given ``today``: its own seeded generator, so the
rest of the demo draws as before. No e-mail is sent (only past meetings are cancelled)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from kobling.groups import services as group_services
from kobling.groups.choices import EnrolmentStatus, GroupTopic, MeetingStatus
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting
from kobling.groups.selectors import enrolled_on
from kobling.groups.services import WeeklyTime
from kobling.helpers import services as helper_services
from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.helpers.models import Helper, TargetGroup
from kobling.outcomes import services as outcome_services
from kobling.outcomes.choices import ReviewKind
from kobling.referrals import episodes as episode_services
from kobling.referrals import services as referral_services
from kobling.referrals.choices import (
    Benefit,
    ConsentScope,
    ConversationKind,
    DecisionOutcome,
    EpisodeStatus,
)
from kobling.referrals.episodes import CourseState
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Episode, Referral
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Programme, User
from kobling.tenancy.services import programme_create

SEED = 20261204
# The demo logins of the group leaders (the password is the demo's).
FJORDVIK_LEADER = "frisklivsveileder@fjordvik.demo"
NORDBY_INSTRUCTOR = "instruktor@nordby.demo"

# Who refers to the frisklivssentral (DOMAIN §2), in turn, and from which organisation.
FLS_SOURCES = ("gp", "nav", "employer", "occupational_health", "specialist", "self")
ORGANISATION = {
    "gp": "Fjordvik legesenter",
    "nav": "NAV Fjordvik",
    "employer": "Fjordvik Mekaniske AS",
    "occupational_health": "Bedriftshelsetjenesten Fjord BHT",
    "specialist": "DPS Fjord og Fjell",
    "self": "",
}


@dataclass(frozen=True)
class Plan:
    """One frisklivsresept course: its state, how many weeks ago it started (None: waiting),
    the offers it joins (0 training, 1 diet, 2 tobacco), the share of its meetings it came to,
    and how it ends."""

    state: str
    weeks_ago: int | None
    offers: tuple[int, ...]
    rate: float = 0.85
    renewed: bool = False
    # "complete", "low_attendance", "no_end_talk" or "dropout" for an ended course.
    outcome: str = ""
    lasted_weeks: int = 12
    reason: str = ""
    note: str = ""
    # A paused course: weeks since the pause, and whether it left its groups for the pause.
    paused_weeks: int = 0
    leaves_for_pause: bool = False


W, A, P, E = (
    EpisodeStatus.WAITING,
    EpisodeStatus.ACTIVE,
    EpisodeStatus.PAUSED,
    EpisodeStatus.ENDED,
)
FLS_PLAN: tuple[Plan, ...] = (
    # Ended: ten complete, two came too seldom, one missed the end conversation, three dropped
    # out early with their reason. 10 of 16 complete.
    Plan(E, 26, (0,), 0.9, outcome="complete"),
    Plan(E, 26, (0, 1), 0.85, renewed=True, outcome="complete", lasted_weeks=24),
    Plan(
        E,
        25,
        (0,),
        0.7,
        outcome="dropout",
        lasted_weeks=4,
        reason="participant_stopped",
        note="Fikk ny jobb med turnus; passer ikke med gruppetidene.",
    ),
    Plan(E, 25, (0,), 0.95, outcome="complete"),
    Plan(E, 24, (0,), 0.8, outcome="complete"),
    Plan(E, 23, (0, 1), 0.5, outcome="low_attendance"),
    Plan(E, 22, (0,), 0.9, outcome="complete"),
    Plan(E, 21, (0,), 0.85, outcome="no_end_talk"),
    Plan(E, 20, (0, 1), 1.0, outcome="complete"),
    Plan(
        E,
        20,
        (0,),
        0.6,
        outcome="dropout",
        lasted_weeks=6,
        reason="health",
        note="Ryggplager; henvist til fysioterapeut.",
    ),
    Plan(E, 19, (0, 2), 0.85, renewed=True, outcome="complete", lasted_weeks=18),
    Plan(E, 18, (0,), 0.45, outcome="low_attendance"),
    Plan(E, 17, (0,), 0.9, outcome="complete"),
    Plan(E, 16, (0, 1), 0.8, outcome="complete"),
    Plan(
        E,
        15,
        (0,),
        0.7,
        outcome="dropout",
        lasted_weeks=3,
        reason="moved",
        note="Flyttet til Bergen.",
    ),
    Plan(E, 14, (0,), 0.95, outcome="complete"),
    # Active: three renewed, two coming seldom.
    Plan(A, 20, (0,), 0.85, renewed=True),
    Plan(A, 18, (0, 1), 0.8, renewed=True),
    Plan(A, 15, (2,), 0.9, renewed=True),
    Plan(A, 11, (0,), 0.85),
    Plan(A, 10, (0, 2), 0.8),
    Plan(A, 9, (1,), 0.9),
    Plan(A, 8, (0,), 0.35),
    Plan(A, 7, (0, 1), 0.85),
    Plan(A, 6, (2,), 0.75),
    Plan(A, 5, (0,), 0.9),
    Plan(A, 4, (0,), 0.4),
    Plan(A, 3, (0, 1), 1.0),
    Plan(A, 2, (0,), 0.9),
    Plan(A, 1, (1,), 1.0),
    # Paused: two left their groups for the pause, two are still enrolled.
    Plan(P, 9, (0,), 0.8, paused_weeks=2, leaves_for_pause=True, note="Operasjon i kneet"),
    Plan(P, 7, (0,), 0.85, paused_weeks=3),
    Plan(P, 5, (0,), 0.9, paused_weeks=1, leaves_for_pause=True, note="Sykdom i familien"),
    Plan(P, 3, (0,), 0.8, paused_weeks=1),
    # Waiting to start: most on the training group (the last ones on its waiting list).
    Plan(W, None, (0,)),
    Plan(W, None, (0,)),
    Plan(W, None, (0, 1)),
    Plan(W, None, (0,)),
    Plan(W, None, (0,)),
    Plan(W, None, ()),
)

FLS_OFFERS = (
    {
        "title": "Trening i gruppe",
        "topic": GroupTopic.TRAINING,
        "capacity": 14,
        "minimum_size": 6,
        "times": ((1, dt.time(10), 60), (3, dt.time(10), 60)),
        "weeks": (26, 8),
        "account": "Oppvarming, styrke og balanse i sal, uttøying.",
    },
    {
        "title": "Bra mat – kurs i kosthold",
        "topic": GroupTopic.DIET,
        "capacity": 12,
        "minimum_size": 4,
        "times": ((2, dt.time(17), 120),),
        "weeks": (12, 4),
        "account": "Tema: måltidsrytme og handleliste; matlaging sammen.",
    },
    {
        "title": "Røykeslutt og snusslutt",
        "topic": GroupTopic.TOBACCO,
        "capacity": 10,
        "minimum_size": 6,
        "times": ((0, dt.time(18), 90),),
        "weeks": (10, 6),
        "account": "Erfaringsdeling; plan for neste uke.",
    },
)

START_GOALS = [
    "Mer aktivitet i hverdagen: gå til jobb to dager i uka.",
    "Kosthold: faste måltider og mindre brus.",
    "Slutte å snuse innen sommeren.",
    "Sove bedre; legge seg før klokka 23.",
    "Klare å gå opp til Fjordvik kirke uten pause.",
    "Mindre stress; gå tur når det blir for mye.",
]
# The areas of living habits each of the goals above is about (the start conversation's areas).
START_AREAS = [
    ["activity"],
    ["diet"],
    ["tobacco"],
    ["sleep", "activity"],
    ["activity"],
    ["mental_health", "activity"],
]


def _aware(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _user(username: str, first: str, last: str) -> User:
    from kobling.demo.loader import DEMO_PASSWORD

    user = User(username=username, email=username, first_name=first, last_name=last)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _leader(
    *,
    municipality: Municipality,
    programme: Programme,
    coordinator: User,
    rng: random.Random,
    kind: str,
    email: str,
    today: dt.date,
    login: bool,
) -> Helper:
    """A frisklivsveileder or instructor, registered and taken to active; with a login (the
    helpers' role) when ``login``."""
    from kobling.demo.names import unique_name

    first, last = unique_name(rng, municipality)
    helper = helper_services.helper_create(
        by=coordinator,
        municipality=municipality,
        programme=programme,
        data={
            "kind": kind,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": f"4{rng.randrange(1000000, 9999999)}",
            "birth_year": rng.randrange(1970, 1995),
            "gender": rng.choice(["female", "male"]),
            "languages": ["nb"],
            "postcode": {"Fjordvik": "6800"}.get(municipality.name, "9008"),
            "home_area": "Sentrum",
            "capacity": 15,
            "hourly_rate": Decimal(rng.choice(["320.00", "345.00"])),
            "contract_start": today - dt.timedelta(days=rng.randrange(400, 1500)),
        },
        source="manual",
        audit=False,
    )
    for status in (HelperStatus.SCREENING, HelperStatus.QUALIFIED, HelperStatus.ACTIVE):
        helper = helper_services.helper_change_status(
            helper=helper, by=coordinator, to_status=status, today=today
        )
    if login:
        user = _user(email, first, last)
        Membership.objects.create(user=user, municipality=municipality, role=Role.TRAINING_CONTACT)
        helper.user = user
        helper.save(update_fields=["user"])
    return helper


def _offer(
    *,
    coordinator: User,
    municipality: Municipality,
    programme: Programme,
    spec: dict,
    leaders: list[Helper],
    today: dt.date,
    venue=None,  # noqa: ANN001
    place: str = "",
    drop_in: bool = False,
) -> GroupOffer:
    """The offer, its term ``spec["weeks"]`` (weeks back, weeks ahead) from this week's Monday,
    and its meetings."""
    before, ahead = spec["weeks"]
    monday = _monday(today)
    offer = group_services.offer_create(
        by=coordinator,
        municipality=municipality,
        data={
            "programme": programme,
            "title": spec["title"],
            "topic": spec["topic"],
            "venue": venue,
            "place": place,
            "term_start": monday - dt.timedelta(weeks=before),
            "term_end": monday + dt.timedelta(weeks=ahead, days=4),
            "capacity": spec["capacity"],
            "minimum_size": spec["minimum_size"],
            "is_drop_in": drop_in,
        },
        leaders=leaders,
        times=[WeeklyTime(weekday=d, start_time=t, minutes=m) for d, t, m in spec["times"]],
    )
    group_services.meetings_generate(offer=offer, by=coordinator)
    return offer


def _referral(
    *,
    programme: Programme,
    by: User,
    coordinator: User,
    person: dict,
    data: dict,
    received: dt.date,
    consents: list[str],
    today: dt.date,
) -> Referral:
    name = f"{person['first_name']} {person['last_name']}"
    referral = referral_services.referral_create(
        by=by,
        programme=programme,
        person=person,
        data=data,
        target_groups=list(TargetGroup.objects.filter(is_active=True, code="inactive")[:1]),
        consents=[
            referral_services.ConsentInput(
                scope=scope, given_by=name, given_on=received - dt.timedelta(days=1)
            )
            for scope in consents
        ],
        channel="demo",
        today=today,
    )
    Referral.objects.filter(pk=referral.pk).update(received_at=_aware(received))
    referral.refresh_from_db()
    return referral


def _grant(referral: Referral, coordinator: User, decided: dt.date, reasons: str) -> Episode:
    referral_services.referral_decide(
        referral=referral,
        by=coordinator,
        outcome=DecisionOutcome.GRANTED,
        reasons=reasons,
        decided_on=decided,
        priority=2,
        notify=False,
    )
    Referral.objects.filter(pk=referral.pk).update(granted_at=_aware(decided))
    return Episode.objects.get(referral=referral)


def _enrol(
    offer: GroupOffer, episode: Episode, by: User, start: dt.date, queued: dt.date
) -> GroupEnrolment:
    """Enrol through the service, then date the place (or the place in the queue) back."""
    enrolment = group_services.enrolment_create(offer=offer, episode=episode, by=by)
    if enrolment.status == EnrolmentStatus.ENROLLED:
        GroupEnrolment.objects.filter(pk=enrolment.pk).update(
            enrolled_on=start, created_at=_aware(min(start, queued))
        )
    else:
        GroupEnrolment.objects.filter(pk=enrolment.pk).update(
            waiting_since=_aware(queued), created_at=_aware(queued)
        )
    enrolment.refresh_from_db()
    return enrolment


def _leave(enrolment: GroupEnrolment, by: User, on: dt.date, reason: str) -> None:
    group_services.enrolment_leave(enrolment=enrolment, by=by, reason=reason)
    GroupEnrolment.objects.filter(pk=enrolment.pk).update(left_on=on)


def _review(course: Episode, by: User, kind: str, day: dt.date, seed: int, *, step: int) -> None:
    """A review of a group course as the frisklivsveileder records it at the conversations:
    minutes of activity a week and self-rated health, a little better at each step (no random
    draws, so the rest of the demo stays as it was)."""
    outcome_services.review_record(
        course=course,
        by=by,
        kind=kind,
        date=day,
        scores=[
            outcome_services.ScoreInput(
                instrument="activity_minutes", value=Decimal(30 + seed * 7 % 60 + 25 * step)
            ),
            outcome_services.ScoreInput(
                instrument="self_rated_health", value=Decimal(min(5, 2 + seed % 2 + step // 2))
            ),
        ],
    )


def _comes(counts: dict[int, list[int]], pk: int, rate: float) -> bool:
    """Whether the course comes to its next meeting: the share it came to never falls below
    ``rate`` and stays within one meeting of it (deterministic)."""
    came, offered = counts[pk]
    yes = came < rate * (offered + 1) - 1e-9
    counts[pk] = [came + yes, offered + 1]
    return yes


def _record_meetings(
    *,
    offers: list[GroupOffer],
    by: User,
    today: dt.date,
    rates: dict[int, float],
    windows: dict[int, tuple[dt.date, dt.date]],
    rng: random.Random,
    accounts: dict[int, str],
    drop_ins: bool = False,
) -> int:
    """Record who came to every meeting up to today, except each group's latest (left for its
    leader to try the attendance screen). ``rates``: each course's share; ``windows``: the days
    each course came at all (before its pause or end). Drop-ins: up to two open courses of the
    programme not enrolled in the group, now and then."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    held = 0
    for offer in offers:
        meetings = list(
            Meeting.objects.filter(
                offer=offer, status=MeetingStatus.PLANNED, date__lte=today
            ).order_by("date", "start_time")
        )
        for meeting in meetings[:-1]:
            enrolled = enrolled_on(meeting)
            came = [
                pk
                for pk in enrolled
                if windows[pk][0] <= meeting.date <= windows[pk][1]
                and _comes(counts, pk, rates[pk])
            ]
            visitors: list[int] = []
            if drop_ins:
                others = sorted(
                    pk
                    for pk, (start, end) in windows.items()
                    if pk not in enrolled and start <= meeting.date <= end
                )
                visitors = rng.sample(others, k=min(len(others), rng.choice([0, 1, 1, 2])))
            group_services.attendance_record(
                meeting=meeting,
                by=by,
                came=came,
                drop_ins=visitors,
                intensity=rng.choice(["moderate", "moderate", "vigorous", "light"]),
                account=accounts[offer.pk],
            )
            held += 1
    return held


# --- Fjordvik: the frisklivssentral ------------------------------------------------------------


def load_frisklivs_demo(today: dt.date, rng: random.Random) -> dict[str, int]:
    from kobling.demo.names import unique_name
    from kobling.partners.models import Partner

    municipality = Municipality.objects.get(name="Fjordvik")
    programme = Programme.objects.get(municipality=municipality, kind=ProgrammeKind.FRISKLIVSRESEPT)
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    referrer = User.objects.get(username="henviser@fjordvik.demo")
    guide = _leader(
        municipality=municipality,
        programme=programme,
        coordinator=coordinator,
        rng=rng,
        kind=HelperKind.HEALTHY_LIFE_GUIDE,
        email=FJORDVIK_LEADER,
        today=today,
        login=True,
    )
    guide2 = _leader(
        municipality=municipality,
        programme=programme,
        coordinator=coordinator,
        rng=rng,
        kind=HelperKind.HEALTHY_LIFE_GUIDE,
        email="frisklivsveileder2@fjordvik.demo",
        today=today,
        login=False,
    )
    instructor = _leader(
        municipality=municipality,
        programme=programme,
        coordinator=coordinator,
        rng=rng,
        kind=HelperKind.INSTRUCTOR,
        email="instruktor@fjordvik.demo",
        today=today,
        login=False,
    )
    gym = Partner.objects.filter(municipality=municipality, kind="gym").order_by("pk").first()
    offers = [
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=FLS_OFFERS[0],
            leaders=[guide, instructor],
            today=today,
            venue=gym,
            place="Gruppesalen" if gym else "Fjordvik helsehus, gymsalen",
        ),
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=FLS_OFFERS[1],
            leaders=[guide2],
            today=today,
            place="Fjordvik helsehus, undervisningskjøkkenet",
        ),
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=FLS_OFFERS[2],
            leaders=[guide],
            today=today,
            place="Frisklivssentralen, møterom 2",
        ),
    ]
    accounts = {o.pk: spec["account"] for o, spec in zip(offers, FLS_OFFERS, strict=True)}

    # The courses: referred, granted, started, renewed — in the order they arrived.
    courses: list[tuple[Plan, Episode, dt.date | None]] = []
    reviewed: set[int] = set()  # the courses whose start review was recorded
    order = sorted(
        enumerate(FLS_PLAN), key=lambda p: (-(p[1].weeks_ago if p[1].weeks_ago else -1), p[0])
    )
    for index, plan in order:
        source = FLS_SOURCES[index % len(FLS_SOURCES)]
        first, last = unique_name(rng, municipality)
        start = today - dt.timedelta(weeks=plan.weeks_ago) if plan.weeks_ago else None
        # Granted a week or three before the start; the waiting ones recently.
        decided = (start or today) - dt.timedelta(days=rng.randrange(7, 21))
        received = decided - dt.timedelta(days=rng.randrange(2, 8))
        born = dt.date(rng.randrange(1958, 2002), rng.randrange(1, 13), rng.randrange(1, 29))
        from_gp = source == "gp"
        referral = _referral(
            programme=programme,
            by=referrer if from_gp else coordinator,
            coordinator=coordinator,
            person={
                "first_name": first,
                "last_name": last,
                "national_id": synthetic_national_id(born, serial=200 + index),
                "postcode": "6800",
                "home_area": "Sentrum",
                "phone": f"9{rng.randrange(1000000, 9999999)}",
                "email": f"frisklivs{index + 1}@fjordvik.demo",
                "gender": rng.choice(["female", "male", "female"]),
                "languages": ["nb"],
                "resident": True,
            },
            data={
                "source": source,
                "referrer_organisation": ORGANISATION[source],
                "goals": START_GOALS[index % len(START_GOALS)],
                **({} if from_gp or source == "self" else {"referrer_name": "Saksbehandler"}),
            },
            received=received,
            consents=[ConsentScope.SHARE_WITH_REFERRER, ConsentScope.CONTACT_FOR_FOLLOW_UP]
            if from_gp
            else [ConsentScope.CONTACT_FOR_FOLLOW_UP],
            today=today,
        )
        episode = _grant(
            referral,
            coordinator,
            decided,
            "Frisklivsresept i 12 uker: gruppetrening og samtaler med frisklivsveileder.",
        )
        if start is None:
            if index % 2 == 0:
                episode = episode_services.episode_plan(
                    episode=episode,
                    by=coordinator,
                    planned_start=_monday(today) + dt.timedelta(weeks=1 + index % 3),
                    expected_version=None,
                )
            courses.append((plan, episode, None))
            continue
        # Started as a group course starts (its referral: granted, course under way).
        episode = episode_services.episode_start(episode=episode, by=coordinator, started_on=start)
        episode_services.conversation_record(
            episode=episode,
            by=coordinator,
            kind=ConversationKind.START,
            held_on=start,
            areas=START_AREAS[(index + 1) % len(START_GOALS)],
            own_goals=START_GOALS[(index + 1) % len(START_GOALS)],
            plan="Gruppetrening to ganger i uka og ett kurs; ny prat om seks uker.",
            note="Motivasjonssamtale; valgte gruppetrening og ett kurs.",
        )
        if index % 10 != 7:  # one course in ten still waits for its start review: the alert
            _review(episode, coordinator, ReviewKind.START, start, index, step=0)
            reviewed.add(episode.pk)
        if plan.renewed:
            episode_services.episode_renew(
                episode=episode,
                by=coordinator,
                reason="Godt i gang; trenger flere uker for å stå på egne bein.",
                renewed_on=start + dt.timedelta(weeks=11),
            )
        courses.append((plan, Episode.objects.get(pk=episode.pk), start))

    # Places in the groups (the oldest first; an ended course has left its groups).
    enrolments = 0
    rates: dict[int, float] = {}
    windows: dict[int, tuple[dt.date, dt.date]] = {}
    for plan, episode, start in courses:
        first_day = start or episode.planned_start or today + dt.timedelta(days=7)
        last_day = today
        if plan.state == E:
            last_day = start + dt.timedelta(weeks=plan.lasted_weeks, days=-1)
        elif plan.state == P:
            last_day = today - dt.timedelta(weeks=plan.paused_weeks, days=1)
        rates[episode.pk] = plan.rate
        windows[episode.pk] = (first_day, last_day)
        for position in plan.offers:
            offer = offers[position]
            if last_day < offer.term_start:
                continue  # ended before this round of the course began
            enrolment = _enrol(
                offer, episode, coordinator, max(first_day, offer.term_start), episode.opened_on
            )
            enrolments += 1
            if plan.state == E:
                reason = (
                    "Sluttet før tiden" if plan.outcome == "dropout" else "Forløpet er avsluttet"
                )
                _leave(enrolment, coordinator, last_day, reason)
            elif plan.state == P and plan.leaves_for_pause:
                _leave(enrolment, coordinator, last_day, "Pause i forløpet")
            elif plan.state == A and plan.weeks_ago == 11 and position == 0:
                # Left the training group for a while and came back: a new enrolment, the
                # history kept (before anyone waits, so no place is handed on).
                _leave(enrolment, coordinator, today - dt.timedelta(weeks=6), "Skiftet arbeidstid")
                _enrol(offers[0], episode, coordinator, today - dt.timedelta(weeks=3), today)
                enrolments += 1
    # Two meetings cancelled (past ones, so nobody is e-mailed now) and the next one moved.
    past = list(
        Meeting.objects.filter(offer=offers[0], date__lt=today - dt.timedelta(weeks=2)).order_by(
            "-date"
        )[:12]
    )
    for meeting, reason in (
        (past[3], "Instruktøren var syk."),
        (past[9], "Salen var tatt til eksamen."),
    ):
        group_services.meeting_cancel(
            meeting=meeting, by=coordinator, reason=reason, expected_version=None
        )
    diet_past = Meeting.objects.filter(offer=offers[1], date__lt=today - dt.timedelta(weeks=5))
    group_services.meeting_cancel(
        meeting=diet_past.order_by("-date").first(),
        by=coordinator,
        reason="Kjøkkenet var stengt.",
        expected_version=None,
    )
    upcoming = Meeting.objects.filter(offer=offers[0], date__gt=today + dt.timedelta(days=7))
    moved = upcoming.order_by("date").first()
    group_services.meeting_move(
        meeting=moved,
        by=coordinator,
        date=moved.date + dt.timedelta(days=1),
        start_time=dt.time(11),
        expected_version=None,
    )

    held = _record_meetings(
        offers=offers,
        by=coordinator,
        today=today,
        rates=rates,
        windows=windows,
        rng=rng,
        accounts=accounts,
    )

    # Pauses and ends, with the end conversations — and the reviews every six weeks between
    # (the programme's interval) for the courses whose start review was recorded.
    for plan, episode, start in courses:
        last_day = windows[episode.pk][1]
        step = 1
        while episode.pk in reviewed and start + dt.timedelta(weeks=6 * step) < min(
            last_day, today
        ):
            day = start + dt.timedelta(weeks=6 * step)
            _review(episode, coordinator, ReviewKind.PERIODIC, day, episode.pk, step=step)
            step += 1
        if plan.state == P:
            episode_services.episode_set_state(
                referral=episode.referral,
                state=CourseState(status=P, started_on=start, paused_on=last_day + dt.timedelta(1)),
                by=coordinator,
            )
        elif plan.state == E:
            full = plan.outcome != "dropout"
            # Ended by the coordinator, as any group course ends (its referral closes).
            episode_services.episode_end(
                episode=episode,
                by=coordinator,
                ended_on=last_day,
                end_reason=plan.reason or ("goal_reached" if full else "other"),
                end_note=plan.note or ("Perioden er over." if plan.outcome != "complete" else ""),
                handover_destination="gym" if plan.outcome == "complete" else "",
                handover_note="Fortsetter på egen hånd på treningssenteret."
                if plan.outcome == "complete"
                else "",
            )
            if plan.outcome in {"complete", "low_attendance"}:
                episode_services.conversation_record(
                    episode=episode,
                    by=coordinator,
                    kind=ConversationKind.END,
                    held_on=last_day,
                    own_goals="Fortsette med trening to ganger i uka på egen hånd.",
                    plan="Trener videre med treningsgruppa i idrettslaget.",
                    note="Sluttsamtale: gjennomgikk målene fra startsamtalen.",
                )
                if episode.pk in reviewed:
                    _review(episode, coordinator, ReviewKind.END, last_day, episode.pk, step=step)
    return {
        "frisklivs_offers": len(offers),
        "frisklivs_courses": len(courses),
        "frisklivs_enrolments": enrolments,
        "frisklivs_meetings_held": held,
    }


# --- Nordby: Aktiv på dagtid -------------------------------------------------------------------

AKD_OFFERS = (
    {
        "title": "Aktiv på dagtid – styrke og kondisjon",
        "topic": GroupTopic.TRAINING,
        "capacity": 20,
        "minimum_size": 5,
        "times": ((0, dt.time(10), 60), (2, dt.time(10), 60)),
        "weeks": (12, 10),
        "account": "Sirkeltrening i apparatsalen.",
    },
    {
        "title": "Aktiv på dagtid – bassengtrening",
        "topic": GroupTopic.TRAINING,
        "capacity": 12,
        "minimum_size": 4,
        "times": ((3, dt.time(11), 45),),
        "weeks": (12, 10),
        "account": "Vanngymnastikk og svømming i eget tempo.",
    },
    {
        "title": "Aktiv på dagtid – ballspill i hallen",
        "topic": GroupTopic.TRAINING,
        "capacity": 20,
        "minimum_size": 6,
        "times": ((4, dt.time(10), 60),),
        "weeks": (12, 10),
        "account": "Oppvarming, innebandy og uttøying.",
    },
)

# The benefit groups in turn: two people each.
BENEFITS = tuple(Benefit.values)


def load_aktiv_demo(today: dt.date, rng: random.Random) -> dict[str, int]:
    from kobling.demo.names import unique_name
    from kobling.partners.models import Partner

    municipality = Municipality.objects.get(name="Nordby")
    admin = User.objects.get(username="admin@nordby.demo")
    coordinator = User.objects.get(username="koordinator@nordby.demo")
    programme = programme_create(
        by=admin,
        municipality=municipality,
        data={
            "kind": ProgrammeKind.AKTIV_PA_DAGTID,
            "name": "Aktiv på dagtid",
            "started_on": dt.date(2019, 1, 7),
            # The instructors are employed by the municipality (no training-contact course).
            "requires_qualification": False,
            "requires_police_certificate": False,
        },
    )
    instructor = _leader(
        municipality=municipality,
        programme=programme,
        coordinator=coordinator,
        rng=rng,
        kind=HelperKind.INSTRUCTOR,
        email=NORDBY_INSTRUCTOR,
        today=today,
        login=True,
    )
    instructor2 = _leader(
        municipality=municipality,
        programme=programme,
        coordinator=coordinator,
        rng=rng,
        kind=HelperKind.INSTRUCTOR,
        email="instruktor2@nordby.demo",
        today=today,
        login=False,
    )
    partners = {
        p.kind: p for p in Partner.objects.filter(municipality=municipality).order_by("-pk")
    }
    offers = [
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=AKD_OFFERS[0],
            leaders=[instructor],
            today=today,
            venue=partners.get("gym"),
            place="Apparatsalen",
            drop_in=True,
        ),
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=AKD_OFFERS[1],
            leaders=[instructor2, instructor],
            today=today,
            place="Nordby svømmehall (kommunens)",
            drop_in=True,
        ),
        _offer(
            coordinator=coordinator,
            municipality=municipality,
            programme=programme,
            spec=AKD_OFFERS[2],
            leaders=[instructor],
            today=today,
            venue=partners.get("sports_club"),
            place="Idrettshallen",
            drop_in=True,
        ),
    ]
    accounts = {o.pk: spec["account"] for o, spec in zip(offers, AKD_OFFERS, strict=True)}
    # The pool was closed one week.
    closed = (
        Meeting.objects.filter(offer=offers[1], date__lt=today - dt.timedelta(weeks=4))
        .order_by("-date")
        .first()
    )
    group_services.meeting_cancel(
        meeting=closed, by=coordinator, reason="Bassenget var stengt.", expected_version=None
    )

    rates: dict[int, float] = {}
    windows: dict[int, tuple[dt.date, dt.date]] = {}
    ends: list[tuple[Episode, dt.date, dt.date, str, str]] = []
    checks = 0
    for index in range(12):
        benefit = BENEFITS[index % len(BENEFITS)]
        first, last = unique_name(rng, municipality)
        age = 19 + (index * 47) % 48  # 19 … 66
        born = dt.date(today.year - age - 1, 1 + index % 12, 1 + (index * 3) % 27)
        weeks = 1 + (index * 5) % 11  # started 1 … 11 weeks ago
        start = today - dt.timedelta(weeks=weeks, days=index % 3)
        # Two were checked long ago (due again now), the rest shortly before the grant.
        overdue = index in {4, 11}
        verified = today - dt.timedelta(weeks=28) if overdue else start - dt.timedelta(days=12)
        received = verified - dt.timedelta(days=3)
        source = ("nav", "nav", "gp", "self")[index % 4]
        referral = _referral(
            programme=programme,
            by=coordinator,
            coordinator=coordinator,
            person={
                "first_name": first,
                "last_name": last,
                "national_id": synthetic_national_id(born, serial=260 + index),
                "postcode": "9008",
                "home_area": "Kroken",
                "phone": f"9{rng.randrange(1000000, 9999999)}",
                "email": f"aktiv{index + 1}@nordby.demo",
                "gender": rng.choice(["female", "male"]),
                "languages": ["nb"],
                "resident": True,
            },
            data={
                "source": source,
                "referrer_organisation": {"nav": "NAV Nordby", "gp": "Nordby legekontor"}.get(
                    source, ""
                ),
                "referrer_name": "" if source == "self" else "Veileder",
                "goals": "Komme i gang med fast trening på dagtid.",
            },
            received=received,
            consents=[ConsentScope.CONTACT_FOR_FOLLOW_UP],
            today=today,
        )
        referral_services.benefit_verify(
            referral=referral, by=coordinator, benefit=benefit, verified_on=verified
        )
        checks += 1
        episode = _grant(
            referral,
            coordinator,
            verified + dt.timedelta(days=2),
            "Du er mellom 18 og 67 år og mottar en av ytelsene; velkommen til Aktiv på dagtid.",
        )
        episode = episode_services.episode_start(episode=episode, by=coordinator, started_on=start)
        last_day = today
        if index in {2, 9}:  # two have ended: one got work, one moved away
            last_day = today - dt.timedelta(weeks=1 + index % 3)
            last_day = max(last_day, start)
            reason, note = (
                ("participant_stopped", "Begynte i arbeid 80 %.")
                if index == 2
                else ("moved", "Flyttet til Alta.")
            )
            ends.append((episode, start, last_day, reason, note))
        rates[episode.pk] = (0.9, 0.75, 0.6, 0.8)[index % 4]
        windows[episode.pk] = (start, last_day)
        enrolment = _enrol(offers[index % 3], episode, coordinator, start, start)
        if last_day < today:
            _leave(enrolment, coordinator, last_day, "Sluttet i Aktiv på dagtid")

    # One who does not meet the rules: 70 and on old-age pension — received, shown with the
    # reasons on the referral, not granted.
    first, last = unique_name(rng, municipality)
    born = dt.date(today.year - 70, 3, 14)
    _referral(
        programme=programme,
        by=coordinator,
        coordinator=coordinator,
        person={
            "first_name": first,
            "last_name": last,
            "national_id": synthetic_national_id(born, serial=290),
            "postcode": "9011",
            "home_area": "Tomasjord",
            "phone": f"9{rng.randrange(1000000, 9999999)}",
            "email": "aktiv-pensjonist@nordby.demo",
            "gender": "male",
            "languages": ["nb"],
            "resident": True,
        },
        data={
            "source": "self",
            "goals": "Trene sammen med andre på formiddagen.",
            "coordinator_notes": "Alderspensjonist; tips om seniortreningen på frivilligsentralen.",
        },
        received=today - dt.timedelta(days=4),
        consents=[],
        today=today,
    )

    held = _record_meetings(
        offers=offers,
        by=coordinator,
        today=today,
        rates=rates,
        windows=windows,
        rng=rng,
        accounts=accounts,
        drop_ins=True,
    )
    for episode, _start, last_day, reason, note in ends:
        episode_services.episode_end(
            episode=episode, by=coordinator, ended_on=last_day, end_reason=reason, end_note=note
        )
    return {
        "aktiv_offers": len(offers),
        "aktiv_courses": len(rates),
        "aktiv_benefit_checks": checks,
        "aktiv_meetings_held": held,
    }


def load_groups_demo(today: dt.date) -> dict[str, int]:
    """Both group programmes (see the module's docstring)."""
    rng = random.Random(SEED)
    counts = load_frisklivs_demo(today, rng)
    counts.update(load_aktiv_demo(today, rng))
    return counts
