"""Deterministic demo data: two fictional municipalities, Fjordvik and Nordby, with contacts in
every lifecycle state, course providers, courses and runs, and a user for every role.

Never available in production: the command refuses when settings.DEMO_ALLOWED is false."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    ModuleAttendance,
    ProviderStaff,
    Qualification,
)
from kobling.demo.names import FIRST_NAMES, LAST_NAMES, REFERRAL_NEEDS, TOWNS, Town, unique_name
from kobling.helpers import services as helper_services
from kobling.helpers.choices import HelperStatus, LeftReason
from kobling.helpers.models import Activity, Helper, TargetGroup
from kobling.helpers.reference import seed_reference_lists
from kobling.helpers.services import Window
from kobling.pilots.models import Pilot
from kobling.providers.models import ActivityProviderStaff
from kobling.tenancy.choices import PROGRAMME_DEFAULTS, NationalRole, ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Programme, User

DEMO_PASSWORD = "kobling-demo"  # noqa: S105 - demo only; refused in production
SEED = 20261121

# Demo parts of the apps above the demo (the FHIR door: referrals that arrived from a record
# system), registered in their AppConfig.ready; load_demo runs them after the rest, in order.
DEMO_PARTS: list[Callable[[dt.date], dict[str, int]]] = []


def register_demo_part(part: Callable[[dt.date], dict[str, int]]) -> None:
    if part not in DEMO_PARTS:
        DEMO_PARTS.append(part)


# How many of a municipality's contacts end up in each state (rest are active).
STATE_PLAN = [
    (HelperStatus.APPLICANT, 3),
    (HelperStatus.SCREENING, 3),
    (HelperStatus.IN_TRAINING, 3),
    (HelperStatus.QUALIFIED, 2),
    (HelperStatus.PAUSED, 3),
    (HelperStatus.LEFT, 3),
]


def demo_users_summary() -> list[tuple[str, str, str]]:
    """The demo logins with name and every role: memberships per municipality, course-provider
    staff (who have no membership) with their provider, and the national analyst. The one list
    that `kobling demo` and `kobling serve` print."""
    users = (
        User.objects.filter(username__endswith=".demo", is_active=True)
        .prefetch_related(
            "memberships__municipality",
            "provider_staff__provider",
            "activity_provider_staff__provider",
            "owned_pilots",
        )
        .order_by("username")
    )
    summary = []
    for user in users:
        roles = [f"{m.get_role_display()} – {m.municipality}" for m in user.memberships.all()]
        roles += [
            f"{capfirst(ProviderStaff._meta.verbose_name)} – {s.provider}"
            for s in user.provider_staff.all()
        ]
        roles += [
            f"{capfirst(ActivityProviderStaff._meta.verbose_name)} – {s.provider}"
            for s in user.activity_provider_staff.all()
        ]
        roles += [
            f"{capfirst(Pilot._meta.verbose_name)} – {p.name}" for p in user.owned_pilots.all()
        ]
        if user.is_analyst:
            roles.append(str(user.get_national_role_display()))
        summary.append((user.username, f"{user.first_name} {user.last_name}", ", ".join(roles)))
    return summary


class DemoRefused(Exception):
    pass


def load_demo(*, stdout=None, groups: bool = True) -> dict[str, int]:  # noqa: ANN001
    """Load the demo. Deterministic: the same call on the same day gives the same data.

    ``groups=False`` leaves out the group programmes (issue 11) and the activity providers
    (issue 12): the demo as a database looked before courses had groups or providers, for
    replaying the migration that made the courses."""
    if not settings.DEMO_ALLOWED:
        raise DemoRefused("Demo data cannot be loaded in a production configuration.")
    rng = random.Random(SEED)
    today = timezone.localdate()
    with transaction.atomic():
        seed_reference_lists(Activity, TargetGroup)
        analyst = _user(
            "analytiker@kobling.demo", "Ane", "Analytiker", national_role=NationalRole.ANALYST
        )
        del analyst
        sports_council = CourseProvider.objects.create(
            name="Vestland idrettskrets (demo)",
            kind="sports_council",
            email="kurs@vestland-ik.demo",
        )
        dps = CourseProvider.objects.create(
            name="Fjordvik DPS (demo)", kind="specialist_health", email="post@fjordvik-dps.demo"
        )
        ProviderStaff.objects.create(
            user=_user("kurs@fjordvik.demo", "Kåre", "Kursholder"), provider=sports_council
        )
        ProviderStaff.objects.create(user=_user("kurs@dps.demo", "Dina", "Dps"), provider=dps)
        basic = _template(sports_council)
        counts = {"municipalities": 0, "helpers": 0}
        for town in TOWNS:
            _load_town(town, rng, today, basic, sports_council if town.slug == "fjordvik" else dps)
            counts["municipalities"] += 1
        counts["helpers"] = Helper.objects.count()
        counts.update(load_referrals_demo(today=today, rng=rng))
        counts.update(load_matching_demo(today=today, rng=rng))
        from kobling.demo.history import load_history_demo

        counts.update(load_history_demo(today=today, rng=rng, towns=TOWNS))
        # The history writes its pairs directly (back-dated); bring their courses in line by
        # the same rule the pairing services follow.
        from kobling.followup.course import course_sync
        from kobling.referrals.models import Referral

        for referral in Referral.objects.filter(pairings__isnull=False).distinct().order_by("pk"):
            course_sync(referral)
        # Partners and agreements in every state; some ended pairs handed over to them.
        from kobling.demo.partners import load_partners_demo

        partners = load_partners_demo(today)
        counts.update(partners if isinstance(partners, dict) else {})
        # Grants to Fjordvik's organisations: a decided round with letters, an open one.
        from kobling.demo.grants import load_grants_demo

        counts.update(load_grants_demo(today))
        # Premises lending, contact persons and the meeting calendar with the organisations.
        from kobling.demo.premises import load_premises_demo

        counts.update(load_premises_demo(today))
        # The group programmes (Fjordvik's frisklivssentral, Nordby's Aktiv på dagtid), at the
        # partners' premises; before the research consents, which take a share of everyone.
        if groups:
            from kobling.demo.groups import load_groups_demo

            counts.update(load_groups_demo(today))
        # Activity on prescription: two gyms in Fjordvik, their trainers and placed courses.
        # Left out with the groups: provider courses, too, came after the courses (forløp).
        if groups:
            from kobling.demo.providers import load_providers_demo

            counts.update(load_providers_demo(today))
            # A pilot across Fjordvik and Nordby (Nordby's own gym and courses) for the
            # health account.
            from kobling.demo.pilots import load_pilots_demo

            counts.update(load_pilots_demo(today))
        # The public catalogue of offers: every kind, from the data above and the organisations.
        from kobling.demo.catalogue import load_catalogue_demo

        counts.update(load_catalogue_demo(today))
        # Supervision for Fjordvik's training contacts: groups, meetings, sessions, the pool.
        if groups:
            from kobling.demo.support import load_support_demo

            counts.update(load_support_demo(today))
        # Workplace coaching (HEFA): assignments, a leader network and IA figures per town.
        if groups:
            from kobling.demo.workplace import load_workplace_demo

            counts.update(load_workplace_demo(today))
        # The trainees' course forms before and after, for the Kirkpatrick pages.
        if groups:
            from kobling.demo.support import load_kirkpatrick_demo

            counts.update(load_kirkpatrick_demo(today))
        # The parts of the apps above the demo (referrals that came in by FHIR), before the
        # research consents, which take a share of everyone.
        for part in DEMO_PARTS:
            counts.update(part(today))
        # The rehabilitation register: two health trusts, an LHL-style institution and
        # Fjordvik's heart-patient group, two years of quarters of courses and denominators;
        # before the research consents, which take a share of everyone.
        if groups:
            from kobling.demo.rehab import load_rehab_demo

            counts.update(load_rehab_demo(today))
        # Research consents for a share of Fjordvik's participants, so an export has data.
        from kobling.research.demo import load_research_demo

        counts.update(load_research_demo(today))
        # Yearly implementation-quality self-assessments with a trend, and this year's draft.
        from kobling.quality.demo import load_quality_demo

        quality = load_quality_demo(today)
        counts.update(quality if isinstance(quality, dict) else {})
        # The national picture: the unit register, scheme status and survey campaigns in every
        # state; synthetic public-health profiles for the comparison.
        from kobling.demo.national import load_national_demo
        from kobling.profiles.demo import load_profiles_demo

        counts.update({f"national_{k}": v for k, v in load_national_demo(today).items()})
        load_profiles_demo()
        # The dashboards read aggregates; make them now rather than at the worker's first tick.
        from kobling.dashboards.refresh import refresh_municipality

        for municipality in Municipality.objects.order_by("pk"):
            refresh_municipality(municipality.pk)
    return counts


def _user(username: str, first: str, last: str, **extra) -> User:  # noqa: ANN003
    user = User(username=username, email=username, first_name=first, last_name=last, **extra)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _template(provider: CourseProvider) -> CourseTemplate:
    """The provider's own copy of the 40 h basic course (the seeded shared one, if present)."""
    template = CourseTemplate.objects.create(
        provider=provider,
        code="grunnkurs-40t",
        name="Grunnkurs for treningskontakter (40 t)",
        level="basic",
    )
    modules = [
        ("Rus", 8),
        ("Psykiatri", 8),
        ("Praktisk treningslære", 10),
        ("Teoretisk treningslære", 6),
        ("Anatomi og fysiologi", 6),
        ("Kommunikasjon", 2),
        ("Hjemmeoppgave og eksamen", 2),
    ]
    for position, (title, hours) in enumerate(modules, start=1):
        CourseModule.objects.create(
            template=template, position=position, title=title, hours=Decimal(hours)
        )
    return template


def _load_town(
    town: Town,
    rng: random.Random,
    today: dt.date,
    template: CourseTemplate,
    provider: CourseProvider,
) -> None:
    municipality = Municipality.objects.create(
        code=town.code, name=town.name, contact_email=f"post@{town.slug}.demo"
    )
    programme = Programme.objects.create(
        municipality=municipality,
        kind=ProgrammeKind.TRENINGSKONTAKT,
        name="Treningskontakt",
        started_on=dt.date(2012, 1, 1),
    )
    # The frisklivssentral's programme with its kind's defaults (groups, 12 weeks, one renewal,
    # start and end conversations); its guides are employed staff, not trained volunteers.
    Programme.objects.create(
        municipality=municipality,
        kind=ProgrammeKind.FRISKLIVSRESEPT,
        name="Frisklivsresept",
        started_on=dt.date(2016, 8, 1),
        requires_qualification=False,
        requires_police_certificate=False,
        **PROGRAMME_DEFAULTS[ProgrammeKind.FRISKLIVSRESEPT],
    )
    admin = _user(f"admin@{town.slug}.demo", "Anne", f"Admin {town.name}")
    coordinator = _user(f"koordinator@{town.slug}.demo", "Kristin", f"Koordinator {town.name}")
    referrer = _user(f"henviser@{town.slug}.demo", "Hege", f"Henviser {town.name}")
    for user, role in (
        (admin, Role.MUNICIPAL_ADMIN),
        (coordinator, Role.COORDINATOR),
        (referrer, Role.REFERRER),
    ):
        Membership.objects.create(user=user, municipality=municipality, role=role)

    activities = list(Activity.objects.filter(is_active=True))
    target_groups = list(TargetGroup.objects.filter(is_active=True))
    past_run = CourseRun.objects.create(
        template=template,
        provider=provider,
        municipality=municipality,
        programme=programme,
        starts_on=today - dt.timedelta(days=200),
        ends_on=today - dt.timedelta(days=192),
        place=f"{town.name} rådhus",
        capacity=30,
        price_for_trainee=Decimal("0"),
        cost_to_municipality=Decimal("45000"),
        leader_name="Tor Treningslære",
        leader_education="higher_sports_education",
        status="completed",
    )
    current_run = CourseRun.objects.create(
        template=template,
        provider=provider,
        municipality=municipality,
        programme=programme,
        starts_on=today - dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=3),
        place=f"{town.name} idrettshall",
        capacity=12,
        price_for_trainee=Decimal("500"),
        cost_to_municipality=Decimal("30000"),
        leader_name="Siv Sosionom",
        leader_education="higher_education",
        status="running",
    )
    CourseRun.objects.create(
        template=template,
        provider=provider,
        municipality=municipality,
        programme=programme,
        starts_on=today + dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=68),
        place=f"{town.name} kulturhus",
        capacity=20,
        cost_to_municipality=Decimal("30000"),
        leader_name="Tor Treningslære",
        leader_education="higher_sports_education",
    )
    modules = list(template.modules.all())

    plan: list[str] = []
    for status, n in STATE_PLAN:
        plan += [status] * n
    plan += [HelperStatus.ACTIVE] * (town.contacts - len(plan))
    for index, target in enumerate(plan, start=1):
        first, last = unique_name(rng, municipality)
        slot = rng.randrange(len(town.postcodes))
        helper = helper_services.helper_create(
            by=coordinator,
            municipality=municipality,
            programme=programme,
            data={
                "first_name": first,
                "last_name": last,
                "email": f"kontakt{index}@{town.slug}.demo",
                "phone": f"4{rng.randrange(1000000, 9999999)}",
                "birth_year": rng.randrange(1960, 2004),
                "gender": rng.choice(["female", "female", "male", "male", "other"]),
                "languages": ["nb"]
                + rng.sample(["en", "ar", "pl", "uk", "so", "se"], k=rng.randrange(0, 2)),
                "postcode": town.postcodes[slot],
                "home_area": town.areas[slot],
                "latitude": Decimal(f"{town.lat + rng.uniform(-0.03, 0.03):.5f}"),
                "longitude": Decimal(f"{town.lon + rng.uniform(-0.05, 0.05):.5f}"),
                "capacity": rng.choice([1, 1, 2, 2, 3]),
                "hourly_rate": Decimal(rng.choice(["150.00", "165.00", "180.00"])),
                "covers_equipment": rng.random() < 0.4,
                "contract_start": today - dt.timedelta(days=rng.randrange(30, 900)),
                "interview_date": today - dt.timedelta(days=rng.randrange(200, 400)),
            },
            activities=rng.sample(activities, k=rng.randrange(2, 5)),
            target_groups=rng.sample(target_groups, k=rng.randrange(1, 3)),
            availability=[
                Window(
                    weekday=d,
                    start_time=dt.time(rng.choice([9, 12, 16, 17])),
                    end_time=dt.time(rng.choice([19, 20, 21])),
                )
                for d in sorted(rng.sample(range(7), k=rng.randrange(1, 4)))
            ],
            source="manual",
            audit=False,
        )
        if index == 1:
            contact_user = _user(f"kontakt1@{town.slug}.demo", first, last)
            Membership.objects.create(
                user=contact_user, municipality=municipality, role=Role.TRAINING_CONTACT
            )
            helper.user = contact_user
            helper.save(update_fields=["user"])
            target = HelperStatus.ACTIVE
        _walk(helper, target, rng, today, coordinator, past_run, current_run, modules, index)


def _walk(
    helper: Helper,
    target: str,
    rng: random.Random,
    today: dt.date,
    by: User,
    past_run: CourseRun,
    current_run: CourseRun,
    modules: list,
    index: int,
) -> None:  # noqa: ANN001
    """Take a freshly registered applicant along the real lifecycle to ``target``."""
    if target == HelperStatus.APPLICANT:
        return

    def move(to: str, **kw) -> None:  # noqa: ANN003
        nonlocal helper
        helper = helper_services.helper_change_status(
            helper=helper, by=by, to_status=to, today=today, **kw
        )

    if target == HelperStatus.LEFT and index % 3 == 0:
        move(HelperStatus.LEFT, left_reason=LeftReason.LOST_INTEREST)
        return
    move(HelperStatus.SCREENING)
    if target == HelperStatus.SCREENING:
        return
    # Police certificate during screening; a couple expire soon, to show the warning.
    issued = today - dt.timedelta(days=rng.randrange(60, 1000))
    expires = (
        today + dt.timedelta(days=rng.randrange(20, 55))
        if index % 7 == 0
        else issued + dt.timedelta(days=3 * 365)
    )
    helper_services.helper_update(
        helper=helper,
        by=by,
        expected_version=helper.version,
        data={
            "police_certificate_date": issued,
            "police_certificate_expires": max(expires, today + dt.timedelta(days=1)),
            "references_checked": True,
        },
    )
    helper.refresh_from_db()
    move(HelperStatus.IN_TRAINING)
    if target == HelperStatus.IN_TRAINING:
        enrolment = Enrolment.objects.create(
            run=current_run, helper=helper, municipality=helper.municipality
        )
        for module in modules[:3]:
            ModuleAttendance.objects.create(enrolment=enrolment, module=module, attended=True)
        return
    enrolment = Enrolment.objects.create(
        run=past_run,
        helper=helper,
        municipality=helper.municipality,
        status="completed",
        assessment_result="passed",
        completed_on=past_run.ends_on,
    )
    ModuleAttendance.objects.bulk_create(
        [ModuleAttendance(enrolment=enrolment, module=m, attended=True) for m in modules]
    )
    Qualification.objects.create(
        helper=helper,
        municipality=helper.municipality,
        programme=helper.programme,
        enrolment=enrolment,
        template=past_run.template,
        qualified_on=past_run.ends_on,
    )
    move(HelperStatus.QUALIFIED)
    if target == HelperStatus.QUALIFIED:
        return
    move(HelperStatus.ACTIVE)
    if target == HelperStatus.PAUSED:
        move(
            HelperStatus.PAUSED,
            paused_until=today + dt.timedelta(days=rng.randrange(10, 90)),
            reason="Eksamensperiode",
        )
    elif target == HelperStatus.LEFT:
        move(
            HelperStatus.LEFT,
            left_reason=rng.choice([LeftReason.MOVED, LeftReason.NEW_JOB, LeftReason.NO_TIME]),
        )
    elif index % 9 == 4:
        # Did not answer the last check-in: shows up as unconfirmed.
        Helper.objects.filter(pk=helper.pk).update(
            is_unconfirmed=True, availability_confirmed_at=timezone.now() - dt.timedelta(weeks=10)
        )


# --- referrals (appended) -----------------------------------------------------------------------

REFERRAL_GOALS = [
    "Komme meg ut av leiligheten og gå tur minst én gang i uka.",
    "Tåle å trene på treningssenter uten å få panikk.",
    "Bli sterk nok til å gå opp trappene hjemme uten pause.",
    "Ha noe å gå til på dagtid etter utskriving fra rusbehandling.",
    "Lære å svømme og bli trygg i vann.",
    "Bli med på fjelltur i sommer.",
    "Finne en aktivitet jeg kan fortsette med på egen hånd.",
    "Sove bedre og få mer overskudd.",
]
# (outcome plan, who sends, target group codes) per demo referral, in order.
REFERRAL_PLAN = [
    ("waiting", "referrer", ["mental_health"]),
    ("waiting", "referrer", ["substance_use"]),
    ("received", "referrer", ["inactive"]),
    ("more_info", "referrer", ["mental_health", "inactive"]),
    ("refused", "referrer", ["elderly"]),
    ("waiting", "paper", ["disability"]),
    ("waiting", "application", ["inactive"]),
    ("received", "application", ["overweight"]),
    ("waiting", "paper", ["mental_health"]),
    ("withdrawn", "paper", ["substance_use"]),
    ("waiting", "minor", ["youth"]),
    ("waiting", "referrer", ["newcomers"]),
    ("received", "paper", ["chronic_disease"]),
    ("waiting", "override", ["mental_health"]),
]


def load_referrals_demo(*, today: dt.date, rng: random.Random) -> dict[str, int]:
    """Demo participants, referrals (from the demo referrer, on paper and from the public form),
    consents, decisions with letters, a merged duplicate and a waiting list — in every
    municipality loaded above. ``henviser@<town>.demo`` sent several of them."""
    import functools

    from kobling.helpers.choices import Language, Weekday
    from kobling.referrals import services as referral_services
    from kobling.referrals.choices import ConsentScope, DecisionOutcome
    from kobling.referrals.identity import synthetic_national_id
    from kobling.referrals.models import EligibilityRules, Referral

    counts = {"referrals": 0}
    groups = {g.code: g for g in TargetGroup.objects.filter(is_active=True)}
    activities = list(Activity.objects.filter(is_active=True))
    for town in TOWNS:
        municipality = Municipality.objects.get(code=town.code)
        programme = Programme.objects.get(municipality=municipality, name="Treningskontakt")
        coordinator = User.objects.get(username=f"koordinator@{town.slug}.demo")
        referrer = User.objects.get(username=f"henviser@{town.slug}.demo")
        rules, _created = EligibilityRules.objects.get_or_create(programme=programme)
        rules.min_age = 13
        rules.residents_only = True
        rules.save()
        rules.target_groups.set([g for code, g in groups.items() if code != "elderly"])

        plan = REFERRAL_PLAN if town.slug == "fjordvik" else REFERRAL_PLAN[:10]
        for index, (outcome, channel, codes) in enumerate(plan):
            minor = channel == "minor"
            born = (
                today.replace(year=today.year - rng.randrange(13, 17), day=1)
                if minor
                else dt.date(rng.randrange(1955, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
            )
            first, last = unique_name(rng, municipality)
            slot = rng.randrange(len(town.postcodes))
            person = {
                "first_name": first,
                "last_name": last,
                "postcode": town.postcodes[slot],
                "home_area": town.areas[slot],
                "phone": f"9{rng.randrange(1000000, 9999999)}",
                "email": f"deltaker{index + 1}@{town.slug}.demo",
                "gender": rng.choice(["female", "male", "female", "male", "other"]),
                "languages": ["nb"] + rng.sample(["en", "ar", "uk", "so"], k=rng.randrange(0, 2)),
                "resident": channel != "override",
            }
            if index == 7:
                # Newly arrived, no national identity number yet.
                person.update(
                    alternative_id="not_yet",
                    alternative_id_note="DUF-nummer 2025-0412",
                    birth_date=born,
                )
            else:
                person["national_id"] = synthetic_national_id(
                    born, d_number=index == 11, serial=index
                )
            if minor:
                person.update(
                    guardian_name=f"{rng.choice(FIRST_NAMES)} {last}",
                    guardian_phone=f"4{rng.randrange(1000000, 9999999)}",
                )
            by = {"referrer": referrer, "paper": coordinator, "override": coordinator}.get(channel)
            source = {
                "referrer": rng.choice(["gp", "nav", "frisklivssentral", "specialist"]),
                "paper": rng.choice(["nav", "municipal_staff", "gp"]),
                "override": "specialist",
                "application": "self",
                "minor": "guardian",
            }[channel]
            data = {
                "source": source,
                "goals": rng.choice(REFERRAL_GOALS),
                "needs": rng.choice(REFERRAL_NEEDS),
                "preferred_area": town.areas[slot] if rng.random() < 0.5 else "",
                "preferred_gender": rng.choice(["", "", "female", "male"]),
                "contact_age_min": rng.choice([None, None, 20, 30]),
                "contact_age_max": rng.choice([None, 45, 60]),
                "languages": rng.choice([[], ["nb"], ["nb", "en"]]),
            }
            # Which office referred (no random draw, so the rest of the demo stays as it was).
            data["referrer_organisation"] = {
                "gp": f"{town.name} legesenter" if slot % 2 else f"{town.areas[slot]} legekontor",
                "nav": f"NAV {town.name}",
                "frisklivssentral": f"Frisklivssentralen i {town.name}",
                "specialist": "DPS Fjord og Fjell",
                "municipal_staff": f"{town.name} kommune, helse og omsorg",
            }.get(source, "")
            data["gender_is_must"] = bool(data["preferred_gender"]) and rng.random() < 0.4
            data["age_is_must"] = data["contact_age_min"] is not None and rng.random() < 0.3
            data["language_is_must"] = bool(data["languages"]) and rng.random() < 0.3
            if channel == "paper":
                data.update(
                    referrer_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    coordinator_notes="Mottatt på papir; ring før første møte.",
                )
            if minor:
                data["referrer_name"] = person["guardian_name"]
            day = rng.randrange(2, 9)
            consents = []
            if channel == "referrer":
                consents.append(
                    referral_services.ConsentInput(
                        scope=ConsentScope.SHARE_WITH_REFERRER, given_by=f"{first} {last}"
                    )
                )
            if rng.random() < 0.4:
                consents.append(
                    referral_services.ConsentInput(
                        scope=ConsentScope.CONTACT_FOR_FOLLOW_UP,
                        given_by=person.get("guardian_name") or f"{first} {last}",
                    )
                )
            referral = referral_services.referral_create(
                by=by,
                programme=programme,
                person=person,
                data=data,
                target_groups=[groups[code] for code in codes],
                activities=rng.sample(activities, k=rng.randrange(1, 4)),
                times=[
                    Window(
                        weekday=weekday,
                        start_time=dt.time(rng.choice([9, 12, 16, 17])),
                        end_time=dt.time(rng.choice([19, 20, 21])),
                    )
                    for weekday in sorted(rng.sample(list(Weekday.values), k=rng.randrange(1, 3)))
                ],
                consents=[
                    referral_services.ConsentInput(
                        scope=c.scope, given_by=c.given_by, given_on=today - dt.timedelta(days=90)
                    )
                    for c in consents
                ],
                channel="demo",
                today=today,
            )
            counts["referrals"] += 1
            # Spread the arrivals over the last months, oldest first.
            received = timezone.now() - dt.timedelta(days=(len(plan) - index) * day + 10)
            Referral.objects.filter(pk=referral.pk).update(received_at=received)
            referral.refresh_from_db()
            decided_on = min(timezone.localtime(received).date() + dt.timedelta(days=5), today)

            decide = functools.partial(
                referral_services.referral_decide, referral=referral, by=coordinator, notify=False
            )
            # Some went through "more information needed" first.
            if outcome == "more_info" or (outcome != "received" and index % 4 == 1):
                decide(
                    outcome=DecisionOutcome.MORE_INFO,
                    reasons="Vi trenger en kort uttalelse fra fastlegen om hva som er "
                    "forsvarlig aktivitetsnivå.",
                    decided_on=decided_on,
                )
            if outcome == "waiting":
                decide(
                    outcome=DecisionOutcome.GRANTED,
                    reasons="Du har behov for støtte for å komme i gang med fysisk aktivitet, "
                    "og tilbudet passer for deg.",
                    decided_on=min(decided_on + dt.timedelta(days=2), today),
                    priority=1 if index in {1, 10} else (3 if index == 12 else 2),
                    override_reason=(
                        "Flytter til kommunen innen en måned; avklart med leder."
                        if channel == "override"
                        else ""
                    ),
                )
                Referral.objects.filter(pk=referral.pk).update(
                    granted_at=timezone.make_aware(
                        dt.datetime.combine(
                            min(decided_on + dt.timedelta(days=2), today), dt.time(12)
                        )
                    )
                )
            elif outcome == "refused":
                decide(
                    outcome=DecisionOutcome.REFUSED,
                    reasons="Tilbudet er for personer under 67 år med behov for oppfølging i "
                    "aktivitet. Vi anbefaler seniortreningen på frivilligsentralen.",
                    decided_on=decided_on,
                )
            elif outcome == "withdrawn":
                referral_services.referral_withdraw(
                    referral=referral, by=coordinator, reason="Ønsket ikke tilbudet likevel."
                )

        # A second referral for someone already waiting is merged, not duplicated.
        first_waiting = (
            Referral.objects.filter(programme=programme, status="waiting")
            .order_by("received_at")
            .first()
        )
        if first_waiting is not None:
            referral_services.referral_merge(
                into=first_waiting,
                by=coordinator,
                data={
                    "source": "nav",
                    "referrer_name": "NAV-veileder",
                    "goals": "Komme i gang med aktivitet før arbeidsutprøving.",
                    "languages": [Language.EN],
                },
                channel="demo",
                today=today,
            )
        # One consent to share was withdrawn: the referrer then sees only outcome and date.
        shared = (
            Referral.objects.filter(
                programme=programme, referrer=referrer, consents__scope="share_with_referrer"
            )
            .order_by("-received_at")
            .first()
        )
        if shared is not None:
            referral_services.consent_withdraw(
                consent=shared.consents.get(scope="share_with_referrer"),
                by=coordinator,
                withdrawn_on=today - dt.timedelta(days=1),
            )
    return counts


# --- matching and pairings (appended) -----------------------------------------------------------


def load_matching_demo(*, today: dt.date, rng: random.Random) -> dict[str, int]:
    """In every municipality: a matching run over everyone waiting, pairings confirmed from it in
    each state (confirmed with an introduction meeting, active, paused, and one that ended
    without chemistry so the participant waits again, avoiding that contact), a lock, and a
    newer open run the coordinator can work on. The demo contact ``kontakt1@<town>.demo`` has a
    participant referred by ``henviser@<town>.demo`` where one is waiting. No e-mails."""
    from kobling.followup import services as pairing_services
    from kobling.followup.models import Pairing
    from kobling.matching import services as matching_services
    from kobling.matching.selectors import eligible_contacts, waiting_referrals

    counts = {"matching_runs": 0, "pairings": 0}
    for town in TOWNS:
        municipality = Municipality.objects.get(code=town.code)
        programme = Programme.objects.get(municipality=municipality, name="Treningskontakt")
        coordinator = User.objects.get(username=f"koordinator@{town.slug}.demo")
        waiting = list(waiting_referrals(programme=programme))
        if not waiting:
            continue
        # The demo contact takes someone the demo referrer sent, so both see a pairing.
        demo_contact = (
            eligible_contacts(programme=programme, today=today)
            .filter(user__username=f"kontakt1@{town.slug}.demo")
            .first()
        )
        referrer = User.objects.get(username=f"henviser@{town.slug}.demo")
        referred = next((r for r in waiting if r.referrer_id == referrer.pk), None)
        if demo_contact is not None and referred is not None:
            matching_services.pair_rule_create(
                by=coordinator, referral=referred, helper=demo_contact, kind="lock"
            )
        first_run = matching_services.matching_run_create(
            by=coordinator, programme=programme, today=today
        )
        counts["matching_runs"] += 1
        proposals = sorted(
            first_run.proposals.select_related("referral", "helper"),
            key=lambda p: (not p.locked, -p.score, p.pk),
        )
        plan = ["active", "confirmed", "paused", "ended"]
        for proposal, target in zip(proposals, plan, strict=False):
            meeting = timezone.make_aware(
                dt.datetime.combine(today + dt.timedelta(days=rng.randrange(3, 10)), dt.time(17))
            )
            pairing = pairing_services.pairing_confirm(
                proposal=proposal,
                by=coordinator,
                intro_meeting_at=meeting if target == "confirmed" else None,
                intro_meeting_place="Frivilligsentralen" if target == "confirmed" else "",
                notify=False,
            )
            counts["pairings"] += 1
            if target == "confirmed":
                continue
            # Older pairs: confirmed some weeks ago, met, and started.
            weeks = rng.randrange(4, 12)
            confirmed = timezone.now() - dt.timedelta(weeks=weeks)
            Pairing.objects.filter(pk=pairing.pk).update(
                confirmed_at=confirmed, intro_meeting_at=confirmed + dt.timedelta(days=5)
            )
            pairing.refresh_from_db()
            pairing_services.pairing_activate(
                pairing=pairing,
                by=coordinator,
                started_on=timezone.localtime(confirmed).date() + dt.timedelta(days=7),
            )
            if target == "paused":
                pairing_services.pairing_pause(pairing=pairing, by=coordinator, reason="Sykdom")
            elif target == "ended":
                pairing_services.pairing_end(
                    pairing=pairing,
                    by=coordinator,
                    reason="no_chemistry",
                    handover_destination="none",
                    note="Ønsket ulike aktiviteter; deltakeren vil gjerne prøve en annen kontakt.",
                    participant_continues=True,
                )
        # A newer run over whoever still waits (the re-match avoids the broken pair's contact).
        if waiting_referrals(programme=programme).exists():
            matching_services.matching_run_create(by=coordinator, programme=programme, today=today)
            counts["matching_runs"] += 1
    return counts
