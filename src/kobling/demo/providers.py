"""Demo for activity on prescription (issue 12): Fjordvik's programme "Aktivitet på resept"
delivered by two gyms — Fjordvik Treningssenter (two sites) and Sprek Fjordvik (one site) —
with their staff logins, certified trainers (one certificate expiring within the reminder
window) and a handful of courses placed with them: accepted ones with visits from the gym's
system, a file and the trainer's phone; one declined (back with the coordinator) and one waiting
for the gym's answer. Fjordvik Treningssenter has a demo API key (:data:`DEMO_KEY`) for trying
the provider API. Each gym has a concession contract (its partner register entry's agreement,
with terms and requirements of the four kinds, begun last month); three persons' benefit group
is verified, and Fjordvik Treningssenter's claim for last month is approved, so the payment file
of last month has rows. Called by :func:`kobling.demo.loader.load_demo`; deterministic for a given
``today`` and small (a few dozen rows), so the demo loads as fast as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kobling.partners.choices import AgreementKind, PartnerKind
from kobling.partners.models import Partner
from kobling.partners.services import agreement_create, partner_create
from kobling.providers import contract_selectors, contract_services, services
from kobling.providers.choices import VisitSource
from kobling.providers.models import ProviderToken
from kobling.referrals import services as referral_services
from kobling.referrals.choices import Benefit, ConsentScope, DecisionOutcome
from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import Episode, Referral
from kobling.tenancy.choices import ProgrammeKind
from kobling.tenancy.models import Municipality, User
from kobling.tenancy.services import programme_create

# The demo's provider key (never in production: the demo is refused there).
DEMO_KEY = "kpv_demo_fjordvik_treningssenter"
GYM_STAFF = "gym@fjordvik.demo"
GYM_B_STAFF = "sprek@fjordvik.demo"
TRAINER_LOGIN = "pt@fjordvik.demo"

GYMS = (
    {
        "name": "Fjordvik Treningssenter",
        "organisation_number": "912345009",
        "contact_name": "Grete Gym",
        "contact_email": "post@fjordvik-trening.demo",
        "sites": (
            ("Sentrum", "Storgata 12", "Mon–Fri 06–22, Sat–Sun 08–18", "Step-free entrance, lift"),
            ("Havna", "Kaivegen 3", "Mon–Fri 07–21", "Accessible changing room, hearing loop"),
        ),
    },
    {
        "name": "Sprek Fjordvik",
        "organisation_number": "912345017",
        "contact_name": "Sindre Sprek",
        "contact_email": "post@sprek.demo",
        "sites": (("Idrettsparken", "Parkvegen 5", "Every day 05–23", "Step-free entrance"),),
    },
)

# (first name, last name, gym index, answer: "accept" | "decline" | None, weeks since start)
COURSES = (
    ("Astrid", "Aktiv", 0, "accept", 6),
    ("Bjørn", "Bevegelse", 0, "accept", 3),
    ("Cecilie", "Styrke", 0, "accept", 1),
    ("Dag", "Daglig", 1, "accept", 4),
    ("Eva", "Endring", 1, "decline", 0),
    ("Frode", "Frisk", 1, None, 0),
)
# Whose benefit group (Aktiv på dagtid) the coordinator has verified: their visits are claimed.
ELIGIBLE = ("Astrid", "Bjørn", "Dag")


def load_providers_demo(today: dt.date) -> dict[str, int]:
    municipality = Municipality.objects.get(name="Fjordvik")
    admin = User.objects.get(username="admin@fjordvik.demo")
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    referrer = User.objects.get(username="henviser@fjordvik.demo")
    password_of = User.objects.get(username="koordinator@fjordvik.demo").password
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
    gyms = []
    for index, spec in enumerate(GYMS):
        partner = _partner_entry(municipality, spec, programme)
        gym = services.provider_create(
            by=coordinator,
            municipality=municipality,
            data={
                "name": spec["name"],
                # The partner register's entry of the same organisation carries its number.
                "organisation_number": partner.organisation_number,
                "kind": "gym",
                "contact_name": spec["contact_name"],
                "contact_email": spec["contact_email"],
                "partner": partner,
            },
        )
        for name, street, hours, access in spec["sites"]:
            services.site_create(
                by=coordinator,
                provider=gym,
                data={
                    "name": name,
                    "street_address": street,
                    "postcode": "6800",
                    "post_town": "Fjordvik",
                    "opening_hours": hours,
                    "accessibility": access,
                },
            )
        staff = User.objects.create(
            username=GYM_STAFF if index == 0 else GYM_B_STAFF,
            email=GYM_STAFF if index == 0 else GYM_B_STAFF,
            first_name=spec["contact_name"].split()[0],
            last_name=spec["contact_name"].split()[1],
            password=password_of,
        )
        services.staff_add(by=coordinator, provider=gym, user=staff)
        gyms.append(gym)
    # Trainers: gym A's has a login for the phone screen; one certificate expires in 20 days.
    trainer_user = User.objects.create(
        username=TRAINER_LOGIN,
        email=TRAINER_LOGIN,
        first_name="Tor",
        last_name="Trener",
        password=password_of,
    )
    services.staff_add(by=coordinator, provider=gyms[0], user=trainer_user)
    trainers = []
    for gym, first, last, kind, days, number in (
        (gyms[0], "Tor", "Trener", "personal_trainer", 400, "PT-2024-118"),
        (gyms[0], "Hege", "Helseveileder", "health_guide", 20, "HV-2023-041"),
        (gyms[1], "Kim", "Kraft", "aktiv_instructor", 300, "AI-2025-007"),
    ):
        trainer = services.trainer_create(
            by=coordinator,
            provider=gym,
            data={"first_name": first, "last_name": last, "email": f"{first.lower()}@gym.demo"},
        )
        services.certificate_add(
            by=coordinator,
            trainer=trainer,
            kind=kind,
            issuer="Treningsforbundet"
            if kind != "aktiv_instructor"
            else "Aktiv på resept-nettverket",
            number=number,
            valid_from=today - dt.timedelta(days=700),
            expires_on=today + dt.timedelta(days=days),
        )
        trainers.append(trainer)
    trainers[0].user = trainer_user
    trainers[0].save(update_fields=["user"])
    ProviderToken.objects.create(
        provider=gyms[0],
        municipality=municipality,
        name="Bookingsystem (demo)",
        key_hash=services.hash_key(DEMO_KEY),
        prefix=DEMO_KEY[:8],
        created_by=coordinator,
    )

    placements = visits = 0
    for index, (first, last, gym_index, answer, weeks) in enumerate(COURSES):
        gym = gyms[gym_index]
        start = today - dt.timedelta(weeks=weeks)
        placement = demo_placement(
            programme=programme,
            gym=gym,
            referrer=referrer,
            coordinator=coordinator,
            person=(first, last, index),
            start=start,
            today=today,
        )
        placements += 1
        if answer is None:
            continue
        trainer = trainers[0] if gym_index == 0 else trainers[2]
        placement = services.placement_answer(
            placement=placement,
            by=None,
            accept=answer == "accept",
            reason="" if answer == "accept" else "Ingen ledige plasser med instruktør på dagtid.",
            trainer=trainer if answer == "accept" else None,
            expected_version=placement.version,
        )
        if answer != "accept":
            continue
        # Twice a week since the start: the gym's system reports most, the trainer's phone and
        # a monthly file the rest; the last few days are left for trying the screens.
        lines = ["visit_id;placement;date;minutes"]
        day = start
        n = 0
        while day < today - dt.timedelta(days=2):
            if day.weekday() in (0, 3):
                n += 1
                if n % 5 == 0:
                    lines.append(f"F-{placement.pk}-{n};{placement.pk};{day:%Y-%m-%d};55")
                else:
                    services.visit_record(
                        placement=placement,
                        visited_on=day,
                        minutes=60,
                        source=VisitSource.API if n % 3 else VisitSource.PHONE,
                        external_id=f"G{gym_index}-{placement.pk}-{n}" if n % 3 else "",
                        trainer=trainer,
                        today=today,
                    )
                    visits += 1
            day += dt.timedelta(days=1)
        if len(lines) > 1:
            report = services.visits_import(
                provider=gym, content="\n".join(lines), by=None, today=today
            )
            visits += report.created
        if first in ELIGIBLE:
            referral_services.benefit_verify(
                referral=placement.episode.referral,
                by=coordinator,
                benefit=Benefit.AAP if index % 2 == 0 else Benefit.SICKNESS,
                verified_on=min(start - dt.timedelta(days=7), timezone.localdate()),
            )
    contracts, claims = load_contracts_demo(gyms, coordinator, today)
    return {
        "providers": len(gyms),
        "placements": placements,
        "provider_visits": visits,
        "concession_contracts": contracts,
        "reimbursement_claims": claims,
    }


def _partner_entry(municipality: Municipality, spec: dict, programme) -> Partner:  # noqa: ANN001
    """The gym's entry in the partner register (the partners demo has Fjordvik Treningssenter;
    Sprek Fjordvik is registered here, working with activity on prescription only), where its
    concession agreement is."""
    partner = Partner.objects.filter(municipality=municipality, name=spec["name"]).first()
    if partner is not None:
        return partner
    return partner_create(
        by=None,
        municipality=municipality,
        data={
            "name": spec["name"],
            "kind": PartnerKind.GYM,
            "organisation_number": spec["organisation_number"],
            "contact_name": spec["contact_name"],
            "contact_email": spec["contact_email"],
        },
        programmes=[programme],
    )


# Per gym: the price model, price, cap per person a month and capacity of its concession
# contract. Both contracts began on the first day of last month, so last month is a whole
# measurement period and the first month that can be claimed.
TERMS = (
    {
        "price_model": "per_session",
        "price": Decimal("150"),
        "period_months": 1,
        "cap_per_person": Decimal("1500"),
        "capacity": 20,
        "sessions_per_week": Decimal("2"),
    },
    {
        "price_model": "per_participant",
        "price": Decimal("600"),
        "period_months": 1,
        "cap_per_person": None,
        "capacity": 10,
        "sessions_per_week": Decimal("2"),
    },
)
# The four kinds of requirements: (measure, target %, measurement period in months, as written).
REQUIREMENTS = (
    ("certified_trainer", 90, 1, "Sertifisert instruktør på minst 90 % av øktene."),
    ("sites_accessible", 100, 1, "Alle treningssteder er universelt utformet og beskrevet."),
    ("answered_in_time", 90, 1, "Svar på henvisninger innen fem virkedager."),
    ("plan_within_14_days", 80, 1, "Individuell plan innen to uker etter oppstart."),
    ("attendance_75", 60, 1, "Minst 60 % av deltakerne møter på minst 75 % av øktene."),
    ("active_6_months", 50, 6, "Minst 50 % er fortsatt aktive etter seks måneder."),
)


def load_contracts_demo(gyms: list, coordinator: User, today: dt.date) -> tuple[int, int]:
    """A concession contract with each gym (terms and requirements of the four kinds), and
    Fjordvik Treningssenter's claim for last month built, submitted and approved — so the
    payment file of last month has rows."""
    started = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    made = []
    for gym, terms in zip(gyms, TERMS, strict=True):
        agreement = agreement_create(
            partner=gym.partner,
            by=coordinator,
            data={
                "kind": AgreementKind.CONCESSION,
                "starts_on": started,
                "ends_on": started.replace(year=started.year + 2) - dt.timedelta(days=1),
                "covers": "Aktivitet på resept: trening med sertifisert instruktør for "
                "henviste deltakere, med oppmøte rapportert til kommunen.",
            },
        )
        contract = contract_services.terms_create(
            by=coordinator, agreement=agreement, provider=gym, data=dict(terms)
        )
        for measure, target, months, text in REQUIREMENTS:
            contract_services.requirement_add(
                by=coordinator,
                terms=contract,
                measure=measure,
                target=Decimal(target),
                period_months=months,
                text=text,
            )
        made.append(contract)
    staff = User.objects.get(username=GYM_STAFF)
    claim, _skipped = contract_services.claim_build(by=staff, terms=made[0], month=started)
    claim = contract_services.claim_submit(by=staff, claim=claim, expected_version=claim.version)
    totals = contract_selectors.claim_totals(contract_selectors.claim_lines_of(claim))
    contract_services.claim_approve_all(
        by=coordinator,
        claim=claim,
        expected_version=claim.version,
        expected_lines=totals.pending,
        expected_amount=totals.pending_amount,
    )
    return len(made), 1


def demo_placement(
    *,
    programme,  # noqa: ANN001
    gym,  # noqa: ANN001
    referrer: User,
    coordinator: User,
    person: tuple[str, str, int],
    start: dt.date,
    today: dt.date,
    postcode: str = "6800",
    serial: int = 7,
):  # noqa: ANN201
    """A GP's referral of a person (with consent to share with the referrer and the gym),
    granted, and its course placed with ``gym`` from ``start`` for 12 weeks (waiting for the
    gym's answer)."""
    first, last, index = person
    municipality_slug = programme.municipality.name.lower()
    born = dt.date(1960 + index * 5, 1 + index, 10 + index)
    name = f"{first} {last}"
    received = start - dt.timedelta(days=14)
    referral = referral_services.referral_create(
        by=referrer,
        programme=programme,
        person={
            "first_name": first,
            "last_name": last,
            "national_id": synthetic_national_id(born, serial=serial + index),
            "postcode": postcode,
            "phone": f"4{index}0{index}1{index}2{index}",
            "email": f"resept{index + 1}@{municipality_slug}.demo",
            "gender": "female" if index % 2 == 0 else "male",
            "languages": ["nb"],
            "resident": True,
        },
        data={
            "source": "gp",
            "referrer_organisation": f"{programme.municipality.name} legesenter",
            "goals": "Komme i gang med styrketrening og bli sterkere i hverdagen.",
        },
        target_groups=[],
        consents=[
            referral_services.ConsentInput(
                scope=ConsentScope.SHARE_WITH_REFERRER, given_by=name, given_on=received
            ),
            referral_services.ConsentInput(
                scope=ConsentScope.SHARE_WITH_PARTNER,
                given_by=name,
                given_on=received,
                partner_name=gym.name,
            ),
        ],
        channel="demo",
        today=today,
    )
    Referral.objects.filter(pk=referral.pk).update(
        received_at=timezone.make_aware(dt.datetime.combine(received, dt.time(12)))
    )
    referral.refresh_from_db()
    referral_services.referral_decide(
        referral=referral,
        by=coordinator,
        outcome=DecisionOutcome.GRANTED,
        reasons="Aktivitet på resept i 12 uker hos treningssenter.",
        decided_on=received + dt.timedelta(days=3),
        priority=2,
        notify=False,
    )
    episode = Episode.objects.get(referral=referral)
    return services.placement_create(
        by=coordinator,
        episode=episode,
        provider=gym,
        site=gym.sites.order_by("pk").first(),
        activity="Styrketrening med instruktør to ganger i uka, 60 minutter",
        starts_on=start,
        ends_on=start + dt.timedelta(weeks=12, days=-1),
        today=today,
    )
