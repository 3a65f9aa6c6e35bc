"""Demo data for the national overview: the unit register from the shipped snapshot (with the
demo towns standing in for their codes), a scheme status for many units, and mapping surveys in
every state — sent, opened, reminded, answered, declined, opted out — without sending any
e-mail. Called by whoever builds the demo: ``load_national_demo(today)``."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

from django.db import transaction
from django.utils import timezone

from kobling.core import outbox
from kobling.national import io, services, surveys
from kobling.national.choices import (
    GATE_ENDED,
    GATE_NEVER,
    GATE_RUNNING,
    MAPPED_KINDS,
    CallOutcome,
    EndReason,
    RecipientStatus,
    SchemeState,
    StatusSource,
    UnitKind,
)
from kobling.national.models import (
    SurveyCampaign,
    SurveyRecipient,
    SurveyTemplate,
    Unit,
    UnitContact,
    valid_on_q,
)


def _slug(name: str) -> str:
    ascii_name = (
        unicodedata.normalize("NFKD", name.replace("ø", "o").replace("æ", "ae").replace("å", "a"))
        .encode("ascii", "ignore")
        .decode()
        .lower()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "enhet"


def _demo_towns() -> list[tuple[str, str]]:
    from kobling.demo.names import TOWNS

    return [(town.code, town.name) for town in TOWNS]


def load_national_demo(today: dt.date | None = None, *, seed: int = 2016) -> dict[str, int]:
    """Load the national demo (idempotent for the register; campaigns are added once)."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        io.load_snapshot()
        # The demo towns take the place of the real unit with their code (e.g. 4650).
        for code, name in _demo_towns():
            unit = Unit.objects.filter(
                valid_on_q(today), kind=UnitKind.MUNICIPALITY, code=code
            ).first()
            if unit is None:
                Unit.objects.create(
                    kind=UnitKind.MUNICIPALITY,
                    code=code,
                    name=name,
                    county_code=code[:2],
                    valid_from=io.SNAPSHOT_DATE,
                    source="Kobling demo",
                )
            else:
                Unit.objects.filter(pk=unit.pk).update(name=name, source="Kobling demo")
        units = list(
            # The mapped kinds only: health trusts and institutions have no scheme status.
            Unit.objects.filter(valid_on_q(today), kind__in=MAPPED_KINDS).order_by("code")
        )
        for unit in units:
            if not unit.email:
                unit.email = f"postmottak@{_slug(unit.name)}.kommune.example"
                Unit.objects.filter(pk=unit.pk).update(email=unit.email)
        counts = {"national_units": len(units)}
        if SurveyCampaign.objects.exists():
            return counts
        demo_codes = {code for code, _name in _demo_towns()}
        counts["national_statuses"] = _statuses(units, rng, today, demo_codes)
        counts.update(_campaigns(units, rng, today, demo_codes))
    return counts


def _statuses(units: list[Unit], rng: random.Random, today: dt.date, skip: set[str]) -> int:
    """Roughly the 2016 picture: a sixth active, a few ended, many never, the rest unknown."""
    recorded = 0
    for unit in units:
        if unit.code in skip:
            continue  # the demo towns report from their own data
        roll = rng.random()
        if unit.kind == UnitKind.SPORTS_COUNCIL:
            if roll >= 0.5:
                continue  # unknown
            state = SchemeState.ACTIVE
        elif roll < 0.16:
            state = SchemeState.ACTIVE
        elif roll < 0.22:
            state = SchemeState.ENDED
        elif roll < 0.45:
            state = SchemeState.NEVER
        else:
            continue  # unknown
        ended = state == SchemeState.ENDED
        services.scheme_status_record(
            unit=unit,
            by=None,
            state=state,
            as_of=today - dt.timedelta(days=rng.randrange(30, 700)),
            source=rng.choice([StatusSource.SURVEY, StatusSource.MANUAL]),
            started_year=rng.randrange(2004, 2020) if state != SchemeState.NEVER else None,
            ended_year=rng.randrange(2020, today.year + 1) if ended else None,
            ended_reason=rng.choice(EndReason.values) if ended else "",
            note="demo",
        )
        recorded += 1
    return recorded


def _answers(gate: str, rng: random.Random, today: dt.date) -> dict:
    answers: dict = {"status": gate}
    if gate == GATE_ENDED:
        answers.update(
            ended_year=rng.randrange(2018, today.year + 1),
            ended_reason=rng.choice(EndReason.values),
            started_year=rng.randrange(2005, 2017),
        )
    elif gate == GATE_RUNNING:
        since = rng.randrange(3, 60)
        answers.update(
            started_year=rng.randrange(2005, 2023),
            contacts_since_start=since,
            contacts_last_year=rng.randrange(1, max(2, since // 3)),
            participants_per_contact=rng.choice(["1", "1-2", "more_than_2"]),
            granted_since_start=rng.randrange(5, 120),
            granted_last_year=rng.randrange(1, 30),
            contact_age_profile=rng.choice(["20_25", "25_35", "35_45", "over_45"]),
            contact_gender=rng.choice(["women", "men", "equal"]),
            course_provider="Idrettskretsen",
        )
    return answers


def _campaigns(
    units: list[Unit], rng: random.Random, today: dt.date, skip: set[str]
) -> dict[str, int]:
    short = SurveyTemplate.objects.get(code="short-2016")
    extended = SurveyTemplate.objects.get(code="extended-2016")
    now = timezone.now()
    sent_at = now - dt.timedelta(days=30)

    spring = services.campaign_create(
        template=short,
        by=None,
        name=f"Kartlegging {today.year} (kort)",
        reminder_interval_days=14,
    )
    SurveyCampaign.objects.filter(pk=spring.pk).update(dispatched_at=sent_at)
    municipalities = [u for u in units if u.kind == UnitKind.MUNICIPALITY and u.code not in skip]
    chosen = rng.sample(municipalities, min(80, len(municipalities)))
    # A named contact person for some of them.
    for unit in chosen[:20]:
        UnitContact.objects.create(
            unit=unit,
            name=rng.choice(["Kari Nordmann", "Ola Hansen", "Ingrid Berg", "Per Olsen"]),
            email=f"tildeling@{_slug(unit.name)}.kommune.example",
            phone="+47 400 00 000",
        )
    plan = (
        [RecipientStatus.ANSWERED] * 30
        + [RecipientStatus.SENT] * 14
        + [RecipientStatus.OPENED] * 14
        + [RecipientStatus.DECLINED] * 8
        + [RecipientStatus.OPTED_OUT] * 4
        + [RecipientStatus.NO_ADDRESS] * 2
    )
    plan += [RecipientStatus.SENT] * (len(chosen) - len(plan))
    counts = {"national_campaigns": 2, "national_recipients": 0}
    for i, (unit, status) in enumerate(zip(chosen, plan, strict=False)):
        name, email = services.recipient_address(Unit.objects.get(pk=unit.pk))
        recipient = SurveyRecipient.objects.create(
            campaign=spring,
            unit=unit,
            contact_name=name,
            email="" if status == RecipientStatus.NO_ADDRESS else email,
            status=RecipientStatus.SENT if status != RecipientStatus.NO_ADDRESS else status,
            sent_at=sent_at if status != RecipientStatus.NO_ADDRESS else None,
            expires_at=sent_at + dt.timedelta(days=spring.link_valid_days),
            # Half of the unanswered ones have had their first reminder already.
            reminders_sent=1 if i % 2 else 0,
            last_reminder_at=(sent_at + dt.timedelta(days=14)) if i % 2 else None,
        )
        counts["national_recipients"] += 1
        if recipient.sent_at is not None:
            # As if the outbox had sent it: the link exists, so the demo answers go through it.
            outbox.link_issue(
                purpose=surveys.PURPOSE,
                subject=outbox.subject_key(surveys.PURPOSE, recipient.pk),
                expires_at=recipient.expires_at,
                now=recipient.sent_at,
            )
        answered_at = sent_at + dt.timedelta(days=rng.randrange(1, 25))
        if status == RecipientStatus.OPENED:
            surveys.recipient_open(recipient=recipient, now=answered_at)
        elif status == RecipientStatus.ANSWERED:
            surveys.recipient_open(recipient=recipient, now=answered_at)
            gate = rng.choice([GATE_RUNNING, GATE_RUNNING, GATE_ENDED, GATE_NEVER])
            surveys.survey_answer(
                recipient=recipient, answers=_answers(gate, rng, today), now=answered_at
            )
        elif status == RecipientStatus.DECLINED:
            surveys.survey_decline(recipient=recipient, now=answered_at)
        elif status == RecipientStatus.OPTED_OUT:
            surveys.survey_opt_out(recipient=recipient, now=answered_at)
    for unit in chosen[30:36]:
        services.phone_call_log(
            unit=unit,
            by=None,
            called_on=today - dt.timedelta(days=rng.randrange(1, 10)),
            caller="Analytiker",
            outcome=rng.choice(CallOutcome.values),
            note="Purret på telefon",
            campaign=spring,
        )
    # A second campaign, prepared but not sent: districts and sports councils.
    autumn = services.campaign_create(
        template=extended,
        by=None,
        name=f"Utvidet kartlegging {today.year}",
        reminder_interval_days=21,
    )
    added = services.campaign_add_units(
        campaign=autumn,
        by=None,
        unit_kinds=[UnitKind.DISTRICT, UnitKind.SPORTS_COUNCIL],
        on_date=today,
    )
    counts["national_recipients"] += added
    return counts
