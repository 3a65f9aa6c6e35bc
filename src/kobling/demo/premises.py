"""Demo premises lending and the meeting calendar for Fjordvik: two premises with their
practical facts (a meeting room the municipality lends, a cabin the hiking association
manages), bookings — a weekly one through the term for a peer group, single ones and the
municipality's own —, a key log (handed out, returned, one key still out), an incident note,
the contact person in the municipality for each volunteer organisation, one dialogue meeting
held with minutes and attendance and a network meeting to come. Called by
:func:`kobling.demo.loader.load_demo` after the grants (whose sign-ins made the
organisations); deterministic for a given ``today``. Everything goes through the partners
services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kobling.partners import services
from kobling.partners.choices import PartnerKind
from kobling.partners.models import Agreement, Partner, Premises
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Municipality, User


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def load_premises_demo(today: dt.date) -> dict[str, int]:
    municipality = Municipality.objects.filter(name="Fjordvik").first()
    if municipality is None or Premises.objects.filter(municipality=municipality).exists():
        return {}
    coordinator = (
        User.objects.filter(
            memberships__municipality=municipality, memberships__role=Role.COORDINATOR
        )
        .order_by("pk")
        .first()
    )
    if coordinator is None:
        return {}
    volunteers = list(
        Partner.objects.filter(municipality=municipality, kind=PartnerKind.VOLUNTEER).order_by("pk")
    )
    turlag = next((p for p in volunteers if "Turlag" in p.name), None)
    others = [p for p in volunteers if p is not turlag]
    # One door: every volunteer organisation has the coordinator as its contact person.
    for partner in volunteers:
        services.partner_update(
            partner=partner,
            by=coordinator,
            data={"municipal_contact": coordinator},
            expected_version=partner.version,
        )
    room = services.premises_create(
        by=coordinator,
        municipality=municipality,
        data={
            "name": "Frivilligsentralen, møterom 1",
            "kind": "room",
            "address": "Storgata 12, Fjordvik",
            "capacity": 20,
            "keys": "Tre nøkler: servicetorget har nøkkel 1, nøkkel 2 og 3 lånes ut mot kvittering.",
            "locking": "Lås ytterdøra og sjekk at vinduene er lukket. Siste ut slukker lyset.",
            "cleaning": "Rydd etter dere; vask av bordene. Renholder kommer mandag og torsdag.",
            "alarm": "Alarmen slås av med kode ved inngangen; koden står på nøkkelkvitteringen.",
            "contact_name": "Servicetorget",
            "contact_phone": "33 00 12 00",
        },
    )
    cabin = services.premises_create(
        by=coordinator,
        municipality=municipality,
        data={
            "name": "Fjellstua",
            "kind": "cabin",
            "address": "Fjellveien 40, Fjordvik",
            "capacity": 30,
            "owner": turlag,
            "keys": "Turlaget har nøklene; kommunen har én reservenøkkel.",
            "locking": "Steng vannet om vinteren; lås boden og hoveddøra.",
            "cleaning": "Leietaker vasker ut selv.",
            "alarm": "Ingen alarm.",
            "contact_name": "Hyttevakt i turlaget",
            "contact_phone": "98 76 54 32",
        },
    )
    # The term: weekly from last Monday for twelve weeks, a peer group on Tuesday evenings.
    monday = today - dt.timedelta(days=today.weekday())
    counts = {"premises": 2, "premises_bookings": 0}
    group = others[0] if others else None
    first_tuesday = monday - dt.timedelta(days=6)
    series = services.booking_create(
        premises=room,
        by=coordinator,
        partner=group,
        title="Likepersongruppe: Gå sammen",
        starts_at=_at(first_tuesday, 18),
        ends_at=_at(first_tuesday, 20),
        repeat_until=first_tuesday + dt.timedelta(weeks=12),
    )
    counts["premises_bookings"] += len(series)
    singles = [
        (room, others[1] if len(others) > 1 else None, "Lungetrim: oppstartsmøte", 2, 10, 12),
        (room, None, "Kommunens informasjonsmøte om tilskudd", 3, 17, 19),
        (cabin, turlag, "Turlagets dugnad på Fjellstua", 5, 10, 16),
        (cabin, others[2] if len(others) > 2 else None, "Sanitetsforeningens helgetur", 12, 9, 17),
    ]
    for place, partner, title, days, start, end in singles:
        day = monday + dt.timedelta(days=days)
        counts["premises_bookings"] += len(
            services.booking_create(
                premises=place,
                by=coordinator,
                partner=partner,
                title=title,
                starts_at=_at(day, start),
                ends_at=_at(day, end),
            )
        )
    # The key log: nøkkel 2 out to the peer group and back; nøkkel 3 out to it still.
    if group is not None:
        for key, action, days_ago, hour in (
            ("Nøkkel 2", "handed_out", 20, 15),
            ("Nøkkel 2", "returned", 13, 9),
            ("Nøkkel 3", "handed_out", 6, 15),
        ):
            services.key_log_record(
                premises=room,
                by=coordinator,
                key_label=key,
                action=action,
                partner=group,
                holder_name="Mona Likeperson",
                happened_at=_at(today - dt.timedelta(days=days_ago), hour),
            )
        counts["premises_key_log"] = 3
        services.incident_record(
            premises=room,
            by=coordinator,
            partner=group,
            description="Ytterdøra sto ulåst etter gruppemøtet; vaktmester låste kl. 22.30. "
            "Avtalt at siste ut sjekker døra.",
            happened_at=_at(first_tuesday + dt.timedelta(weeks=1), 22, 30),
        )
    # An agreement names the premises it covers: the Turlag's manages Fjellstua.
    if turlag is not None:
        agreement = Agreement.objects.filter(partner=turlag).order_by("-starts_on").first()
        if agreement is not None:
            services.agreement_update(
                agreement=agreement,
                by=coordinator,
                data={},
                expected_version=agreement.version,
                premises=[cabin],
            )
    # The meeting calendar: last month's dialogue meeting (held, minutes, attendance) in the
    # meeting room, and a network meeting to come.
    held_day = monday - dt.timedelta(weeks=3) + dt.timedelta(days=3)
    place = services.booking_create(
        premises=room,
        by=coordinator,
        title="Dialogmøte med frivilligheten",
        starts_at=_at(held_day, 18),
        ends_at=_at(held_day, 20),
    )[0]
    counts["premises_bookings"] += 1
    held = services.meeting_create(
        municipality=municipality,
        by=coordinator,
        data={
            "kind": "dialogue",
            "title": "Dialogmøte med frivilligheten",
            "starts_at": place.starts_at,
            "ends_at": place.ends_at,
            "booking": place,
            "agenda": "1. Lokaler og nøkler\n2. Tilskuddsrunden\n3. Hvem i kommunen gjør hva",
        },
    )
    if volunteers:
        services.meeting_invite(meeting=held, by=coordinator, partners=volunteers)
        held = services.meeting_attendance(
            meeting=held,
            by=coordinator,
            came=[p.pk for p in volunteers[: max(1, len(volunteers) - 1)]],
            expected_version=held.version,
        )
    services.meeting_update(
        meeting=held,
        by=coordinator,
        data={
            "minutes": "Til stede: se oppmøte.\n1. Nøkler lånes ut mot kvittering på "
            "servicetorget; siste ut sjekker ytterdøra.\n2. Søknadsfristen er 1. mars; "
            "kommunen holder informasjonsmøte.\n3. Hver organisasjon har fått én kontaktperson "
            "i kommunen.\nNeste dialogmøte om tre måneder."
        },
        expected_version=held.version,
    )
    services.meeting_create(
        municipality=municipality,
        by=coordinator,
        data={
            "kind": "network",
            "title": "Nettverksmøte: likepersonsarbeid",
            "starts_at": _at(monday + dt.timedelta(weeks=4, days=2), 17),
            "ends_at": _at(monday + dt.timedelta(weeks=4, days=2), 19),
            "place": "Fjordvik bibliotek",
        },
    )
    counts["partner_meetings"] = 2
    return counts
