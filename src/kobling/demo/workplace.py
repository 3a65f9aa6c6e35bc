"""Demo for workplace health coaching (issue 14, the HEFA programme) at the source's scale: a
five-municipality coaching programme — Fjordvik and Nordby and three small municipalities in
Fjordvik's health region (Havøy, Dalsbygd, Nesvik) —, 59 coaches trained in the 5 gatherings of
the coach training (one course run per municipality, held together: 10 days, 5 modules of 2
days, every trainee qualified), 20 assignments in every state — in Fjordvik one that follows the
source's case, 4–5 → 6–7 towards a target of 8–9 over a plan of 7 meetings —, the coaches'
supervision last year and the pool after its share-out, 8 leader networks with two facilitators
each, and two years of quarterly IA figures per municipality.

Load time: the users share one password hash, and the coach training's trainees, enrolments,
attendance, qualifications and supervision lines are created in bulk (the courses' services
would write them row by row with an audit line each); assignments, networks and IA figures go
through the services, which check and audit them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    ModuleAttendance,
    Qualification,
)
from kobling.demo.names import TOWNS, unique_name
from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.helpers.models import Helper
from kobling.support.choices import EntryKind
from kobling.support.models import SupervisionEntry
from kobling.support.services import pool_share_out
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Programme, Region, User
from kobling.workplace import ia, networks, services
from kobling.workplace.choices import Decision

# The three small municipalities of the programme (fictional codes), in Fjordvik's region.
SMALL_TOWNS = (
    ("4691", "Havøy", "havoy"),
    ("4692", "Dalsbygd", "dalsbygd"),
    ("4693", "Nesvik", "nesvik"),
)
# Trained coaches per municipality (59 in all) and how many assignments / networks each has.
COACH_COUNT = {"fjordvik": 16, "nordby": 12, "havoy": 11, "dalsbygd": 10, "nesvik": 10}
ASSIGNMENT_COUNT = {"fjordvik": 6, "nordby": 4, "havoy": 4, "dalsbygd": 3, "nesvik": 3}
NETWORK_COUNT = {"fjordvik": 2, "nordby": 2, "havoy": 2, "dalsbygd": 1, "nesvik": 1}
IA_BASE = {"fjordvik": 60, "nordby": 40, "havoy": 14, "dalsbygd": 9, "nesvik": 11}
GATHERINGS = (
    "Samling 1: Coachens rolle og IA-arbeidet",
    "Samling 2: Samtalen og skalaspørsmålet",
    "Samling 3: Bestilling, mål og plan",
    "Samling 4: Ledernettverk og gruppeprosesser",
    "Samling 5: Oppsummering og praksis",
)
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


def _user(username: str, name: str, municipality: Municipality, role: str, password: str) -> User:
    first, last = name.split(" ", 1)
    user = User.objects.create(
        username=username, email=username, first_name=first, last_name=last, password=password
    )
    Membership.objects.create(user=user, municipality=municipality, role=role)
    return user


def _quarter_back(today: dt.date, back: int) -> tuple[int, int]:
    index = today.year * 4 + (today.month - 1) // 3 - back
    return index // 4, index % 4 + 1


def coach_training(today: dt.date) -> CourseTemplate:
    """The coach training's design: 5 gatherings of 2 days (10 days, 75 hours)."""
    provider = CourseProvider.objects.create(
        name="HEFA-prosjektet (NAV Arbeidslivssenter og BHT)", kind="organisation"
    )
    template = CourseTemplate.objects.create(
        provider=provider,
        code="hefa-coachutdanning",
        name="Coachutdanning HEFA (10 dager, 5 samlinger)",
        programme_kind=ProgrammeKind.WORKPLACE_COACHING,
        description="Ledere, tillitsvalgte og verneombud trenes til helsecoacher på arbeidsplassen.",
    )
    CourseModule.objects.bulk_create(
        CourseModule(template=template, position=n + 1, title=title, hours=Decimal(15))
        for n, title in enumerate(GATHERINGS)
    )
    return template


def train_coaches(
    municipality: Municipality,
    programme: Programme,
    slug: str,
    template: CourseTemplate,
    today: dt.date,
    rng: random.Random,
    password: str,
) -> list[Helper]:
    """The municipality's trainees of the coach training, all qualified (in bulk)."""
    ends = today - dt.timedelta(days=400)
    run = CourseRun.objects.create(
        template=template,
        provider=template.provider,
        municipality=municipality,
        programme=programme,
        starts_on=ends - dt.timedelta(days=120),
        ends_on=ends,
        place="Fjordvik kulturhus",
        capacity=20,
        leader_name="Hanne Prosjektleder",
        status=RunStatus.COMPLETED,
    )
    postcode = next((t.postcodes[0] for t in TOWNS if t.slug == slug), TOWNS[0].postcodes[0])
    coaches = []
    for n in range(COACH_COUNT[slug]):
        name = COACHES[n] if n < len(COACHES) else " ".join(unique_name(rng, municipality))
        first, last = name.split(" ", 1)
        user = (
            _user(f"coach{n + 1}@{slug}.demo", name, municipality, Role.WORKPLACE_COACH, password)
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
                postcode=postcode,
                capacity=3 if n < 6 else 2,
                status=HelperStatus.QUALIFIED,
                source="manual",
            )
        )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            run=run,
            helper=h,
            municipality=municipality,
            status=EnrolmentStatus.COMPLETED,
            completed_on=ends,
        )
        for h in coaches
    )
    modules = list(template.modules.all())
    ModuleAttendance.objects.bulk_create(
        ModuleAttendance(enrolment=e, module=m, attended=True) for e in enrolments for m in modules
    )
    Qualification.objects.bulk_create(
        Qualification(
            helper=e.helper,
            municipality=municipality,
            programme=programme,
            enrolment=e,
            template=template,
            qualified_on=ends,
        )
        for e in enrolments
    )
    return coaches


def supervision_and_pool(programme: Programme, coaches: list[Helper], today: dt.date) -> None:
    """Last year's supervision of the coaches (most used some of their 6 hours, a few more) and
    the pool after its share-out on 1 September."""
    year = today.year - 1
    hours = (Decimal(6), Decimal(4), Decimal(2), Decimal(0), Decimal("1.5"), Decimal(3))
    SupervisionEntry.objects.bulk_create(
        SupervisionEntry(
            municipality_id=programme.municipality_id,
            programme=programme,
            helper=h,
            kind=EntryKind.INDIVIDUAL,
            date=dt.date(year, 3 + n % 5, 10),
            hours=hours[n % len(hours)],
            supervisor="Bedriftshelsetjenesten",
            topic="Veiledning etter samling",
        )
        for n, h in enumerate(coaches)
        if hours[n % len(hours)]
    )
    pool_share_out(programme=programme, year=year, by=None, on=dt.date(year, 9, 1))


def load_town(
    municipality: Municipality,
    slug: str,
    today: dt.date,
    rng: random.Random,
    template: CourseTemplate,
    password: str,
) -> dict[str, int]:
    programme = Programme.objects.create(
        municipality=municipality,
        kind=ProgrammeKind.WORKPLACE_COACHING,
        name="HEFA – coaching på arbeidsplassen",
    )
    adviser = _user(f"ia@{slug}.demo", "Inger Rådgiver", municipality, Role.IA_ADVISER, password)
    coaches = train_coaches(municipality, programme, slug, template, today, rng, password)
    supervision_and_pool(programme, coaches, today)
    workplaces = []
    for n, ((name, sector), leader_name) in enumerate(zip(WORKPLACES, LEADERS, strict=True)):
        leader = _user(
            f"leder{n + 1}@{slug}.demo", leader_name, municipality, Role.WORKPLACE_LEADER, password
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
    for n, (state, scales) in enumerate(plans[: ASSIGNMENT_COUNT[slug]]):
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
    topics = ("Nærværsarbeid", "Tilrettelegging", "Den vanskelige samtalen", "Oppsummering")
    names = ("Ledernettverk helse og oppvekst", "Ledernettverk drift og service")
    for k in range(NETWORK_COUNT[slug]):
        members = workplaces[:6] if k == 0 else workplaces[3:8]
        network = networks.network_create(
            by=adviser,
            municipality=municipality,
            name=names[k],
            members=members,
            facilitators=coaches[2 * k : 2 * k + 2],
            meeting_plan=[(day(84 - 28 * j + 7 * k), topic) for j, topic in enumerate(topics)],
        )
        for meeting in network.meetings.filter(date__lte=today).order_by("date"):
            networks.meeting_record(
                by=adviser,
                meeting=meeting,
                attended=[w for w in members if rng.random() < 0.8],
                homework="Prøv ut én ting fra møtet.",
                minutes=f"Tema: {meeting.topic}. God diskusjon.",
                expected_version=meeting.version,
            )
    base = IA_BASE[slug]
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
    return {
        "coaching_assignments": made,
        "leader_networks": NETWORK_COUNT[slug],
        "ia_quarters": 8,
        "trained_coaches": len(coaches),
    }


def _programme_towns() -> list[tuple[Municipality, str]]:
    """Fjordvik and Nordby (when the demo has them) and the three small municipalities, placed
    in Fjordvik's health region (the rehabilitation demo names the regions the same way)."""
    towns = [
        (m, town.slug)
        for town in TOWNS
        if (m := Municipality.objects.filter(code=town.code).first()) is not None
    ]
    if not towns:
        return []
    vest, _created = Region.objects.get_or_create(code="HV", defaults={"name": "Helse Vest"})
    nord, _created = Region.objects.get_or_create(code="HN", defaults={"name": "Helse Nord"})
    for m, slug in towns:
        m.region = vest if slug == "fjordvik" else nord
        m.save(update_fields=["region"])
    for code, name, slug in SMALL_TOWNS:
        towns.append((Municipality.objects.create(code=code, name=name, region=vest), slug))
    return towns


def load_workplace_demo(today: dt.date) -> dict[str, int]:
    from kobling.demo.loader import DEMO_PASSWORD

    rng = random.Random(14)
    password = make_password(DEMO_PASSWORD)
    towns = _programme_towns()
    counts: dict[str, int] = {}
    if not towns:
        return counts
    template = coach_training(today)
    for municipality, slug in towns:
        for key, value in load_town(municipality, slug, today, rng, template, password).items():
            counts[key] = counts.get(key, 0) + value
    return counts
