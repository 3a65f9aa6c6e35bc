"""Demo for workplace health coaching (issue 14, the HEFA programme): in Fjordvik and Nordby an
IA adviser, trained coaches (two with a login), workplaces with their leaders, assignments in
every state — in Fjordvik one that follows the source's case, 4–5 → 6–7 towards a target of 8–9
over a plan of 7 meetings —, a leader network with two facilitators, and two years of quarterly
IA figures."""

from __future__ import annotations

import datetime as dt
import random

from kobling.demo.names import TOWNS
from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Programme, User
from kobling.workplace import ia, networks, services
from kobling.workplace.choices import Decision

WORKPLACES = (
    ("Sentrum sykehjem", "Helse og omsorg"),
    ("Hjemmetjenesten vest", "Helse og omsorg"),
    ("Fjellet skole", "Oppvekst"),
    ("Solsiden barnehage", "Oppvekst"),
    ("Teknisk drift", "Teknisk"),
    ("Servicetorget", "Administrasjon"),
    ("Kjøkkenet", "Helse og omsorg"),
    ("Bofellesskapet", "Helse og omsorg"),
)
LEADERS = (
    "Lise Leder",
    "Harald Holm",
    "Siri Strand",
    "Ola Bakke",
    "Kari Vik",
    "Per Dahl",
    "Anne Moe",
    "Tor Lie",
)
COACHES = (
    "Cecilie Coach",
    "Jon Tillitsvalgt",
    "Mona Verneombud",
    "Geir Leder",
    "Randi Ask",
    "Stein Fjell",
)


def _user(username: str, name: str, municipality: Municipality, role: str) -> User:
    from kobling.demo.loader import DEMO_PASSWORD

    first, last = name.split(" ", 1)
    user = User(username=username, email=username, first_name=first, last_name=last)
    user.set_password(DEMO_PASSWORD)
    user.save()
    Membership.objects.create(user=user, municipality=municipality, role=role)
    return user


def _quarter_back(today: dt.date, back: int) -> tuple[int, int]:
    index = today.year * 4 + (today.month - 1) // 3 - back
    return index // 4, index % 4 + 1


def load_town(
    municipality: Municipality, slug: str, today: dt.date, rng: random.Random
) -> dict[str, int]:
    programme = Programme.objects.create(
        municipality=municipality,
        kind=ProgrammeKind.WORKPLACE_COACHING,
        name="HEFA – coaching på arbeidsplassen",
    )
    adviser = _user(f"ia@{slug}.demo", "Inger Rådgiver", municipality, Role.IA_ADVISER)
    coaches = []
    for n, name in enumerate(COACHES):
        first, last = name.split(" ", 1)
        user = (
            _user(f"coach{n + 1}@{slug}.demo", name, municipality, Role.WORKPLACE_COACH)
            if n < 2
            else None
        )
        coaches.append(
            Helper.objects.create(
                municipality=municipality,
                programme=programme,
                kind=HelperKind.WORKPLACE_COACH,
                user=user,
                first_name=first,
                last_name=last,
                email=f"coach{n + 1}@{slug}.demo",
                postcode=TOWNS[0].postcodes[0] if slug == "fjordvik" else TOWNS[1].postcodes[0],
                capacity=3,
                status=HelperStatus.QUALIFIED,
                source="manual",
            )
        )
    workplaces = []
    for n, ((name, sector), leader_name) in enumerate(zip(WORKPLACES, LEADERS, strict=True)):
        leader = _user(
            f"leder{n + 1}@{slug}.demo", leader_name, municipality, Role.WORKPLACE_LEADER
        )
        workplaces.append(
            services.workplace_create(
                by=adviser, municipality=municipality, name=name, sector=sector, leader=leader
            )
        )
    day = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    # One assignment in every state; the first follows the source's scale path.
    plans = [
        ("in_progress", [(4, 5), (5, 6), (6, 7)]),
        ("requested", []),
        ("linked", []),
        ("ordered", []),
        ("closed", [(3, 4), (5, None), (6, 7), (8, None)]),
        ("in_progress", [(5, None), (6, None)]),
    ]
    made = 0
    for n, (state, scales) in enumerate(plans):
        started = 40 + 14 * len(scales) + n * 3
        a = services.assignment_request(
            by=adviser,
            workplace=workplaces[n],
            request=rng.choice(
                (
                    "Høyt sykefravær og mye uro i personalgruppa.",
                    "Omstilling etter ny turnus.",
                    "Ønsker bedre tilrettelegging for ansatte med plager.",
                )
            ),
            requested_on=day(started),
        )
        made += 1
        if state == "requested":
            continue
        a = services.assignment_link(
            by=adviser,
            assignment=a,
            coach=coaches[n % 2 if n < 2 else n % len(coaches)],
            co_coach="Bedriftshelsetjenesten",
            pre_meeting_on=day(started - 7),
            expected_version=a.version,
        )
        if state == "linked":
            continue
        a = services.assignment_order(
            by=adviser,
            assignment=a,
            goals="Bedre samarbeid og lavere sykefravær.",
            success="Ansatte sier fra tidlig, og fraværet går ned.",
            target_low=8,
            target_high=9,
            planned_meetings=7,
            expected_version=a.version,
        )
        for k, (low, high) in enumerate(scales):
            services.meeting_log(
                by=adviser,
                assignment=a,
                data={
                    "held_on": day(started - 14 - 14 * k),
                    "participants": "leder, coach, bedriftshelsetjenesten",
                    "notes": "Kort notat fra møtet.",
                    "scale_low": low,
                    "scale_high": high,
                    "homework": "Lederen tar opp tema på personalmøtet.",
                },
            )
        if state == "closed":
            a.refresh_from_db()
            a = services.assignment_decide(
                by=adviser, assignment=a, decision=Decision.CLOSE, expected_version=a.version
            )
            services.assignment_evaluate(
                by=a.workplace.leader,
                assignment=a,
                reaction=5,
                usefulness=4,
                comment="Nyttig å få hjelp utenfra.",
            )
    network = networks.network_create(
        by=adviser,
        municipality=municipality,
        name="Ledernettverk helse og oppvekst",
        members=workplaces[:6],
        facilitators=coaches[:2],
        meeting_plan=[
            (day(84 - 28 * k), topic)
            for k, topic in enumerate(
                ("Nærværsarbeid", "Tilrettelegging", "Den vanskelige samtalen", "Oppsummering")
            )
        ],
    )
    for meeting in network.meetings.filter(date__lte=today).order_by("date"):
        networks.meeting_record(
            by=adviser,
            meeting=meeting,
            attended=[w for w in workplaces[:6] if rng.random() < 0.8],
            homework="Prøv ut én ting fra møtet.",
            minutes=f"Tema: {meeting.topic}. God diskusjon.",
            expected_version=meeting.version,
        )
    base = {"fjordvik": 60, "nordby": 40}[slug]
    for back in range(8, 0, -1):
        year, quarter = _quarter_back(today, back)
        applied = rng.randrange(6, 14)
        approved = rng.randrange(3, applied)
        ia.figures_save(
            by=adviser,
            municipality=municipality,
            source="import",
            values={
                "year": year,
                "quarter": quarter,
                "active_sick_leave": base - back + rng.randrange(0, 6),
                "graded_sick_leave": base // 2 + 8 - back + rng.randrange(0, 4),
                "vocational_rehabilitation": rng.randrange(8, 16),
                "grants_applied": applied,
                "grants_approved": approved,
                "grants_rejected": rng.randrange(0, applied - approved + 1),
            },
        )
    return {"coaching_assignments": made, "leader_networks": 1, "ia_quarters": 8}


def load_workplace_demo(today: dt.date) -> dict[str, int]:
    rng = random.Random(14)
    counts: dict[str, int] = {}
    for town in TOWNS:
        municipality = Municipality.objects.filter(code=town.code).first()
        if municipality is None:
            continue
        for key, value in load_town(municipality, town.slug, today, rng).items():
            counts[key] = counts.get(key, 0) + value
    return counts
