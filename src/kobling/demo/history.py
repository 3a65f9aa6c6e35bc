"""Demo history for the follow-up loop: pairs that started months ago — some still active, most
ended with a hand-over — with their sessions, goals, reviews, follow-ups after the end,
timesheets (past months approved, the last month open) and a few expenses. Loaded by
:func:`kobling.demo.loader.load_demo` after the pairings of the matching demo, through the same
services the product uses, so the referrer reports agree with the logged sessions.

Most of these participants were referred by ``henviser@<town>.demo`` with consent to share
progress, so the demo referrer has reports to read. No e-mail is sent."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from kobling.helpers.choices import HelperStatus, Weekday
from kobling.helpers.models import Activity, Helper, TargetGroup
from kobling.helpers.services import Window
from kobling.tenancy.models import Municipality, Programme, User


@dataclass(frozen=True)
class Past:
    """One historic pair: started ``months_ago``, lasted ``lasted_months`` (None: still active)."""

    months_ago: int
    lasted_months: int | None
    reason: str = ""
    handover: str = ""
    handover_note: str = ""
    referred_by_demo_referrer: bool = True


HISTORY = (
    Past(14, 5, "goal_reached", "gym", "Trener videre på Fjordvik treningssenter tirsdag/torsdag."),
    Past(12, 4, "goal_reached", "sports_club", "Med i turgruppa til idrettslaget."),
    Past(11, 3, "participant_stopped", "none", "Ønsket å avslutte; velkommen tilbake."),
    Past(9, 5, "goal_reached", "frisklivssentral", "Fortsetter på frisklivssentralens gruppe."),
    Past(8, 3, "moved", "other", "Flyttet; fått navn på tilbud i ny kommune.", False),
    Past(6, 4, "goal_reached", "physiotherapist", "Oppfølging hos fysioterapeut i 8 uker."),
    Past(5, None),
    Past(4, None, referred_by_demo_referrer=False),
    Past(3, None),
)

GOALS = [
    "Gå tur tre ganger i uka uten å måtte stoppe i bakkene.",
    "Komme meg på trening på egen hånd en gang i uka.",
    "Klare å gå til butikken og hjem igjen uten hvile.",
    "Sove bedre og ha mer overskudd på ettermiddagen.",
    "Bli med på en turgruppe.",
    "Svømme 500 meter sammenhengende.",
]

NOTES = ["", "", "", "God økt, i godt humør.", "Litt sliten i dag.", "Prøvde en ny rute."]


def _months_back(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    return dt.date(year, month % 12 + 1, min(day.day, 28))


def load_history_demo(*, today: dt.date, rng: random.Random, towns) -> dict[str, int]:  # noqa: ANN001
    from kobling.demo.names import REFERRAL_NEEDS, unique_name
    from kobling.followup import services as pairing_services
    from kobling.followup.models import Pairing

    counts = {"history_pairings": 0}
    for town_index, town in enumerate(towns):
        municipality = Municipality.objects.get(code=town.code)
        programme = Programme.objects.get(municipality=municipality, name="Treningskontakt")
        coordinator = User.objects.get(username=f"koordinator@{town.slug}.demo")
        referrer = User.objects.get(username=f"henviser@{town.slug}.demo")
        plan = HISTORY if town.slug == "fjordvik" else HISTORY[1:7]
        helpers = list(
            Helper.objects.filter(municipality=municipality, status=HelperStatus.ACTIVE)
            .exclude(hourly_rate__isnull=True)
            .order_by("pk")
        )
        for index, past in enumerate(plan):
            start = _months_back(today, past.months_ago)
            end = (
                min(_months_back(today, past.months_ago - past.lasted_months), today)
                if past.lasted_months
                else None
            )
            referral = _granted_referral(
                town=town,
                programme=programme,
                referrer=referrer if past.referred_by_demo_referrer else None,
                coordinator=coordinator,
                rng=rng,
                serial=100 + 20 * town_index + index,
                received=start - dt.timedelta(days=rng.randrange(25, 60)),
                names=unique_name(rng, municipality),
                needs=rng.choice(REFERRAL_NEEDS),
                today=today,
            )
            helper = _helper_with_place(helpers, index)
            if helper is None:
                continue
            pairing = Pairing.objects.create(
                municipality=municipality,
                programme=programme,
                referral=referral,
                participant=referral.participant,
                helper=helper,
                slot=pairing_services.free_slot(helper_id=helper.pk, capacity=helper.capacity),
                status="active",
                confirmed_at=timezone.make_aware(
                    dt.datetime.combine(start - dt.timedelta(days=10), dt.time(10))
                ),
                confirmed_by=coordinator,
                intro_meeting_at=timezone.make_aware(
                    dt.datetime.combine(start - dt.timedelta(days=3), dt.time(17))
                ),
                intro_meeting_place="Frivilligsentralen",
                started_on=start,
            )
            type(referral).objects.filter(pk=referral.pk).update(status="paired")
            counts["history_pairings"] += 1
            _fill_pair(
                pairing,
                coordinator=coordinator,
                rng=rng,
                start=start,
                end=end or today,
                hour=8 + (2 * index) % 12,
                past=past,
            )
        # Sessions for the pairs of the matching demo that have started.
        for n, pairing in enumerate(
            Pairing.objects.filter(
                municipality=municipality, started_on__isnull=False, sessions__isnull=True
            ).order_by("pk")
        ):
            end = pairing.ended_on or today
            if pairing.status == "paused":
                end = today - dt.timedelta(days=1)
            _sessions(pairing, coordinator, rng, pairing.started_on, end, hour=7 + n % 2 * 13)
        counts.update(_pay(municipality, coordinator, today, rng))
    counts.update(_follow_ups(today, rng))
    return counts


def _granted_referral(
    *,
    town,  # noqa: ANN001
    programme: Programme,
    referrer: User | None,
    coordinator: User,
    rng: random.Random,
    serial: int,
    received: dt.date,
    names: tuple[str, str],
    needs: str,
    today: dt.date,
):  # noqa: ANN202
    from kobling.referrals import services as referral_services
    from kobling.referrals.choices import ConsentScope, DecisionOutcome
    from kobling.referrals.identity import synthetic_national_id
    from kobling.referrals.models import Referral

    born = dt.date(rng.randrange(1950, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
    first, last = names
    slot = rng.randrange(len(town.postcodes))
    given = received - dt.timedelta(days=1)
    consents = [
        referral_services.ConsentInput(
            scope=ConsentScope.CONTACT_FOR_FOLLOW_UP, given_by=f"{first} {last}", given_on=given
        )
    ]
    if referrer is not None:
        consents.append(
            referral_services.ConsentInput(
                scope=ConsentScope.SHARE_WITH_REFERRER, given_by=f"{first} {last}", given_on=given
            )
        )
    groups = list(TargetGroup.objects.filter(is_active=True).exclude(code="elderly"))
    referral = referral_services.referral_create(
        by=referrer or coordinator,
        programme=programme,
        person={
            "first_name": first,
            "last_name": last,
            "national_id": synthetic_national_id(born, serial=serial),
            "postcode": town.postcodes[slot],
            "home_area": town.areas[slot],
            "phone": f"9{rng.randrange(1000000, 9999999)}",
            "email": f"tidligere{serial}@{town.slug}.demo",
            "gender": rng.choice(["female", "male"]),
            "languages": ["nb"],
            "resident": True,
        },
        data={
            "source": rng.choice(["gp", "nav", "frisklivssentral"]) if referrer else "self",
            "goals": rng.choice(GOALS),
            "needs": needs,
        },
        target_groups=rng.sample(groups, k=1),
        activities=rng.sample(list(Activity.objects.filter(is_active=True)), k=2),
        times=[
            Window(
                weekday=Weekday.values[rng.randrange(0, 5)],
                start_time=dt.time(16),
                end_time=dt.time(20),
            )
        ],
        consents=consents,
        channel="demo",
        today=today,
    )
    at_noon = dt.time(12)
    Referral.objects.filter(pk=referral.pk).update(
        received_at=timezone.make_aware(dt.datetime.combine(received, at_noon))
    )
    referral.refresh_from_db()
    decided = received + dt.timedelta(days=rng.randrange(3, 10))
    referral_services.referral_decide(
        referral=referral,
        by=coordinator,
        outcome=DecisionOutcome.GRANTED,
        reasons="Du har behov for støtte for å komme i gang med fysisk aktivitet.",
        decided_on=decided,
        priority=2,
        notify=False,
    )
    Referral.objects.filter(pk=referral.pk).update(
        granted_at=timezone.make_aware(dt.datetime.combine(decided, at_noon))
    )
    referral.refresh_from_db()
    return referral


def _helper_with_place(helpers: list[Helper], index: int) -> Helper | None:
    """A contact with a free place now (an ended pair runs as an open one until it ends)."""
    from kobling.followup.services import free_slot

    for k in range(len(helpers)):
        helper = helpers[(index + k) % len(helpers)]
        if free_slot(helper_id=helper.pk, capacity=helper.capacity) is not None:
            return helper
    return None


def _fill_pair(
    pairing,  # noqa: ANN001
    *,
    coordinator: User,
    rng: random.Random,
    start: dt.date,
    end: dt.date,
    hour: int,
    past: Past,
) -> None:
    from kobling.followup import services as pairing_services
    from kobling.outcomes import services as outcome_services
    from kobling.outcomes.services import ScoreInput

    goals = [
        outcome_services.goal_create(
            pairing=pairing,
            by=coordinator,
            text=text,
            target_date=end if past.lasted_months else None,
        )
        for text in rng.sample(GOALS, k=rng.randrange(1, 3))
    ]
    _sessions(pairing, coordinator, rng, start, end, hour=hour)

    def scores(progress: float) -> list[ScoreInput]:
        attainment = -2 if progress == 0 else (0 if progress >= 1 else -1)
        return [
            ScoreInput("activity_minutes", int(45 + 120 * progress + rng.randrange(-10, 10))),
            ScoreInput("self_rated_health", min(5, 2 + round(2 * progress))),
            ScoreInput("mastery", min(10, 4 + round(4 * progress))),
        ] + [ScoreInput("goal_attainment", attainment, goal=g.pk) for g in goals]

    days = max(1, (end - start).days)
    outcome_services.review_record(
        pairing=pairing, by=coordinator, kind="start", date=start, scores=scores(0.0)
    )
    every = dt.timedelta(weeks=pairing.programme.review_interval_weeks)
    day = start + every
    last_review = end - dt.timedelta(days=1) if past.lasted_months else end
    while day < last_review:
        outcome_services.review_record(
            pairing=pairing,
            by=coordinator,
            kind="periodic",
            date=day,
            scores=scores(min(0.9, (day - start).days / days)),
        )
        day += every
    if not past.lasted_months:
        return
    pairing.refresh_from_db()
    pairing_services.pairing_end(
        pairing=pairing,
        by=coordinator,
        reason=past.reason,
        ended_on=end,
        handover_destination=past.handover,
        handover_note=past.handover_note,
        participant_continues=False,
    )
    pairing.refresh_from_db()
    reached = past.reason == "goal_reached"
    outcome_services.review_record(
        pairing=pairing,
        by=coordinator,
        kind="end",
        date=end,
        scores=scores(1.0 if reached else 0.4),
    )
    for goal in goals:
        outcome_services.goal_update(
            goal=goal, by=coordinator, status="achieved" if reached else "partly"
        )


def _sessions(
    pairing,  # noqa: ANN001
    coordinator: User,
    rng: random.Random,
    start: dt.date,
    end: dt.date,
    *,
    hour: int,
) -> None:
    from kobling.followup import sessions as session_services

    activities = list(pairing.referral.preferred_activities.all()) or list(
        Activity.objects.filter(is_active=True)[:3]
    )
    logged = []
    day = start
    while day <= end:
        for weekday in (1, 3):  # Tuesday and Thursday
            date = day + dt.timedelta(days=(weekday - day.weekday()) % 7)
            if date < start or date > end or (weekday == 3 and rng.random() < 0.4):
                continue
            roll = rng.random()
            status = "held" if roll < 0.85 else ("cancelled" if roll < 0.93 else "no_show")
            values = {
                "date": date,
                "start_time": dt.time(hour),
                "minutes": rng.choice([45, 60, 60, 75, 90]),
                "status": status,
            }
            if status == "held":
                values.update(
                    activity=rng.choice(activities),
                    borg=rng.randrange(10, 16),
                    note=rng.choice(NOTES),
                )
            elif status == "cancelled":
                values.update(
                    cancelled_by=rng.choice(["participant", "contact", "other"]),
                    with_notice=rng.random() < 0.7,
                )
            logged.append(session_services.session_log(pairing=pairing, by=coordinator, **values))
        day += dt.timedelta(days=7)
    for session in logged:
        if session.status == "held" and rng.random() < 0.6:
            session_services.session_confirm(session=session, via="in_person", by=coordinator)
    held = [s for s in logged if s.status == "held"]
    if len(held) > 3:
        # One entry corrected afterwards: the contact had logged the wrong length.
        wrong = held[len(held) // 2]
        session_services.session_correct(
            session=wrong,
            by=coordinator,
            reason="Feil varighet registrert.",
            minutes=wrong.minutes + 15,
        )


def _pay(municipality: Municipality, coordinator: User, today: dt.date, rng: random.Random):  # noqa: ANN202
    """Timesheets for every month with held sessions; all but the last complete month approved
    (that one waits for the coordinator), and a few expenses with receipts."""
    from kobling.followup.models import Session
    from kobling.pay import services as pay_services
    from kobling.pay.models import Timesheet

    helper_ids = sorted(
        set(Session.objects.filter(municipality=municipality).values_list("helper_id", flat=True))
    )
    months = sorted(
        {
            d.replace(day=1)
            for d in Session.objects.filter(municipality=municipality).values_list(
                "date", flat=True
            )
        }
    )
    for month in months:
        pay_services.timesheet_roll_up(helper_ids=helper_ids, by=coordinator, month=month)
    this_month = today.replace(day=1)
    last_complete = (this_month - dt.timedelta(days=1)).replace(day=1)
    helpers = Helper.objects.filter(pk__in=helper_ids).order_by("pk")
    receipt = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
        b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    expenses = 0
    for n, helper in enumerate(helpers[:3]):
        expense = pay_services.expense_create(
            helper=helper,
            by=coordinator,
            date=last_complete + dt.timedelta(days=3 + n),
            category=["gym_fee", "transport", "equipment"][n % 3],
            amount=["120.00", "64.50", "349.00"][n % 3],
            description=["Dagspass treningssenter", "Buss t/r", "Staver"][n % 3],
            receipt=SimpleUploadedFile("kvittering.pdf", receipt, "application/pdf"),
        )
        expenses += 1
        if n != 2:
            pay_services.expense_approve(expense=expense, by=coordinator)
    pay_services.timesheet_roll_up(helper_ids=helper_ids, by=coordinator, month=last_complete)
    to_approve = list(
        Timesheet.objects.filter(municipality=municipality, month__lt=last_complete)
        .filter(~Q(status="approved"))
        .values_list("pk", flat=True)
    )
    if to_approve:
        pay_services.timesheets_approve(ids=to_approve, by=coordinator)
    return {"expenses": expenses}


def _follow_ups(today: dt.date, rng: random.Random) -> dict[str, int]:
    """The 3/6/12-month follow-ups of the ended pairs: the ones already due answered (most
    still active), one sent and waiting for an answer; later ones scheduled."""
    from kobling.outcomes.followups import followups_create_missing
    from kobling.outcomes.models import FollowUp

    followups_create_missing(now=timezone.now())
    answered = 0
    due = FollowUp.objects.filter(due_on__lte=today).order_by("due_on", "pk")
    for n, follow_up in enumerate(due):
        sent = timezone.make_aware(dt.datetime.combine(follow_up.due_on, dt.time(9)))
        if n == 0:
            FollowUp.objects.filter(pk=follow_up.pk).update(status="sent", sent_at=sent)
            continue
        active = rng.random() < 0.7
        FollowUp.objects.filter(pk=follow_up.pk).update(
            status="answered",
            sent_at=sent,
            answered_at=sent + dt.timedelta(days=rng.randrange(1, 6)),
            still_active=active,
            minutes_per_week=rng.choice([90, 120, 150, 180, 240]) if active else 0,
            where=follow_up.pairing.handover_destination if active else "",
        )
        answered += 1
    return {"follow_ups_answered": answered}
