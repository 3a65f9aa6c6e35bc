"""Demo grants for Fjordvik: a scheme with weighted criteria; last year's round decided (scored,
one conflict declared, letters to all four applicants, one grant agreement above the threshold,
one report approved and one report late); this year's round open with a draft. Called by
:func:`kobling.demo.loader.load_demo` after the partners; deterministic for a given ``today``.

Everything goes through the grants services; only time is moved (``now=``) so that applications
were sent before last year's deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kobling.core import outbox
from kobling.grants import notices, services
from kobling.grants.models import GrantScheme, OrganisationContact
from kobling.partners.models import Partner
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership, Municipality, User

# (organisation, organisation number, contact, e-mail, title, lines, level, participants)
APPLICANTS = (
    (
        "Turlag",
        None,
        "Tor Turgåer",
        "tur",
        "Turvenner for eldre",
        (("Buss til turene", 45000), ("Turutstyr til utlån", 40000)),
        "selective",
        40,
    ),
    (
        "Mental Helse",
        "971373032",
        "Mona Likeperson",
        "mh",
        "Likepersongruppe: Gå sammen",
        (("Kursledere", 25000), ("Møtelokale", 8000)),
        "indicated",
        15,
    ),
    (
        "LHL",
        "970180087",
        "Lars Lunge",
        "lhl",
        "Lungetrim i bydelen",
        (("Instruktør", 30000),),
        "indicated",
        12,
    ),
    (
        "Sanitetsforening",
        "976960157",
        "Sigrid Sanitet",
        "san",
        "Søndagsturer for alle",
        (("Kaffe og vafler", 6000), ("Annonser", 4000)),
        "universal",
        60,
    ),
)


def _contact(
    municipality: Municipality, orgnr: str, org: str, name: str, email: str, now: dt.datetime
) -> OrganisationContact:
    contact = services.contact_request(
        municipality=municipality,
        data={"organisation_number": orgnr, "organisation_name": org, "name": name, "email": email},
        now=now,
    )
    link = outbox.link_live(
        purpose=notices.SIGNIN, subject=outbox.subject_key(notices.SIGNIN, contact.pk)
    )
    outbox.link_use(link=link, now=now)
    return services.contact_sign_in(contact=contact, now=now)


def load_grants_demo(today: dt.date) -> dict[str, int]:
    municipality = Municipality.objects.filter(name="Fjordvik").first()
    if municipality is None or GrantScheme.objects.filter(municipality=municipality).exists():
        return {}
    officers = list(
        User.objects.filter(
            memberships__municipality=municipality,
            memberships__role__in=[Role.COORDINATOR, Role.MUNICIPAL_ADMIN],
        ).order_by("memberships__role", "pk")
    )
    coordinator = next(
        u
        for u in officers
        if Membership.objects.filter(
            user=u, municipality=municipality, role=Role.COORDINATOR
        ).exists()
    )
    admin = next(u for u in officers if u.pk != coordinator.pk)
    scheme = services.scheme_create(
        by=coordinator,
        municipality=municipality,
        data={
            "name": "Frivillighetsmidler: aktivitet og likepersonsarbeid",
            "purpose": "Tilskudd til lag og foreninger som gir innbyggerne aktivitet, mestring og fellesskap, "
            "særlig likepersonsarbeid og lærings- og mestringstilbud.",
            "eligibility": "Frivillige lag, foreninger og bruker- og pasientorganisasjoner med aktivitet i Fjordvik.",
            "budget": Decimal(150000),
            "round_kind": "yearly",
            "agreement_threshold": Decimal(50000),
        },
    )
    criteria = [
        services.criterion_add(
            scheme=scheme,
            by=coordinator,
            name="Når målgruppen",
            weight=3,
            description="Når tiltaket dem som trenger det mest?",
        ),
        services.criterion_add(scheme=scheme, by=coordinator, name="Gjennomførbarhet", weight=2),
        services.criterion_add(
            scheme=scheme, by=coordinator, name="Samarbeid med kommunen", weight=1
        ),
    ]
    last_year = today.year - 1
    last_open = dt.date(last_year, 1, 15)
    deadline = timezone.make_aware(dt.datetime(last_year, 3, 1, 12, 0))
    decided = services.round_create(
        scheme=scheme,
        by=coordinator,
        data={"name": str(last_year), "opens_on": last_open, "deadline": deadline},
    )
    sent_at = deadline - dt.timedelta(days=10)
    turlag = Partner.objects.filter(municipality=municipality, name="Fjordvik Turlag").first()
    applications = []
    for i, (org, orgnr, person, mail, title, lines, level, participants) in enumerate(APPLICANTS):
        number = orgnr or (
            turlag.organisation_number if turlag and turlag.organisation_number else "988077917"
        )
        contact = _contact(
            municipality,
            number,
            f"Fjordvik {org}",
            person,
            f"{mail}@fjordvik-frivillig.demo",
            sent_at,
        )
        draft = services.application_create(
            grant_round=decided, contact=contact, data={"title": title}, now=sent_at
        )
        applications.append(
            services.application_save(
                application=draft,
                contact=contact,
                data={
                    "purpose": f"{title}: jevnlige samlinger gjennom året.",
                    "target_groups": "Innbyggere som ellers blir lite aktive",
                    "prevention_level": level,
                    "expected_participants": participants,
                },
                lines=[{"description": d, "amount": a} for d, a in lines],
                expected_version=draft.version,
                submit=True,
                now=sent_at + dt.timedelta(hours=i),
            )
        )
    # Scores: the coordinator scores all; the admin declares a conflict in LHL's (sits on its board).
    table = ((4, 4, 3), (5, 3, 4), (3, 4, 2), (2, 3, 3))
    for application, values in zip(applications, table, strict=True):
        for criterion, value in zip(criteria, values, strict=True):
            services.score_record(
                application=application,
                officer=coordinator,
                criterion=criterion,
                value=value,
                comment="",
            )
    services.conflict_declare(
        application=applications[2], officer=admin, reason="Sitter i styret i LHL Fjordvik."
    )
    for application in (applications[0], applications[1], applications[3]):
        for criterion in criteria:
            services.score_record(
                application=application, officer=admin, criterion=criterion, value=4
            )
    decided_at = deadline + dt.timedelta(days=20)
    outcomes = (
        (
            "granted",
            80000,
            "Tiltaket når eldre som ellers blir sittende alene, og laget har vist at det får det til.",
        ),
        ("granted", 33000, "Likepersonsarbeidet svarer godt på kriteriene."),
        (
            "granted",
            25000,
            "Et etterspurt lærings- og mestringstilbud; innvilget delvis innenfor rammen.",
        ),
        ("refused", 0, "Rammen er brukt opp av søknader som scoret høyere på målgruppe."),
    )
    report_dues = (
        dt.date(last_year, 12, 31),
        today + dt.timedelta(days=20),
        today - dt.timedelta(days=20),
        None,
    )
    for application, (outcome, amount, reasons), due in zip(
        applications, outcomes, report_dues, strict=True
    ):
        application.refresh_from_db()
        services.decision_make(
            application=application,
            by=coordinator,
            outcome=outcome,
            amount=amount,
            reasons=reasons,
            conditions="Tilskuddet brukes som beskrevet i søknaden; avvik meldes."
            if outcome == "granted"
            else "",
            report_due_on=due,
            expected_version=application.version,
            now=decided_at,
        )
    first, second, third, _refused = applications
    services.agreement_from_grant(
        application=first,
        by=coordinator,
        starts_on=decided_at.date(),
        ends_on=dt.date(last_year, 12, 31),
        clauses=["purpose", "contacts", "follow_up", "accounts"],
    )
    for application in (first, second, third):
        application.refresh_from_db()
        services.grant_mark_paid(
            application=application,
            by=coordinator,
            paid_on=decided_at.date() + dt.timedelta(days=14),
            expected_version=application.version,
        )
    # The first grant's report is in and approved; the second's is due soon, the third's late.
    report = services.report_save(
        application=first,
        contact=first.contact,
        data={
            "activities": "38 turer med buss, to helgeturer.",
            "participants": 34,
            "deviations": "Færre deltakere i januar.",
        },
        spent={line.pk: line.amount for line in first.budget_lines.all()},
        expected_version=None,
        submit=True,
        now=timezone.make_aware(dt.datetime(last_year, 12, 20, 10, 0)),
    )
    services.report_review(
        report=report, by=coordinator, approve=True, expected_version=report.version
    )
    # This year's round is open, with a draft kept by the Turlag.
    open_round = services.round_create(
        scheme=scheme,
        by=coordinator,
        data={
            "name": str(today.year),
            "opens_on": today - dt.timedelta(days=10),
            "deadline": timezone.make_aware(
                dt.datetime.combine(today + dt.timedelta(days=30), dt.time(12, 0))
            ),
        },
    )
    services.application_create(
        grant_round=open_round,
        contact=first.contact,
        data={"title": "Turvenner for eldre, år to", "purpose": "Videreføring"},
    )
    return {
        "grant_schemes": 1,
        "grant_applications": 5,
        "grant_decisions": len(outcomes),
        "grant_reports_late": 1,
    }
