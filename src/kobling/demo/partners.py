"""Demo partners and agreements for Fjordvik and Nordby: agreements in force, ending soon, due
for review and expired, and some of the ended demo pairings' hand-overs linked to the partner
that took the participant over. Called by :func:`kobling.demo.loader.load_demo` before the dashboard
refresh; deterministic for a given ``today``."""

from __future__ import annotations

import datetime as dt

from stdnum.no import orgnr

from kobling.followup.choices import HandoverDestination, PairingStatus
from kobling.followup.models import Pairing
from kobling.partners.choices import AgreementKind, Clause, PartnerKind, PreventionLevel
from kobling.partners.models import Partner
from kobling.partners.services import agreement_create, partner_create
from kobling.tenancy.models import Municipality, Programme

# Where a hand-over destination is taken over by a partner of this kind.
DESTINATION_KIND = {
    HandoverDestination.GYM: PartnerKind.GYM,
    HandoverDestination.SPORTS_CLUB: PartnerKind.SPORTS_CLUB,
    HandoverDestination.FRISKLIVSSENTRAL: PartnerKind.FRISKLIVSSENTRAL,
}


def _orgnr(base: int) -> str:
    """A valid (checksummed) organisation number: the first 9-digit number from ``base`` * 10
    that passes the mod-11 check."""
    candidate = base * 10
    while not orgnr.is_valid(str(candidate)):
        candidate += 1
    return str(candidate)


def _partners(town: str) -> list[dict]:
    """(partner fields, agreement as (kind, starts days ago, ends in days, review in days,
    clauses) or None, whether it serves every programme)."""
    all_clauses = list(Clause.values)
    return [
        {
            "data": {
                "name": f"{town} IL",
                "kind": PartnerKind.SPORTS_CLUB,
                "prevention_level": PreventionLevel.UNIVERSAL,
                "contact_name": "Idun Idrettslag",
                "contact_phone": "40000001",
                "contact_email": f"post@{town.lower()}-il.demo",
            },
            # In force: a written cooperation agreement for two more years.
            "agreement": (AgreementKind.COOPERATION, 400, 730, 240, all_clauses),
            "covers": "Plass på treningene for deltakere som slutter i ordningen; halvårlig møte.",
        },
        {
            "data": {
                "name": f"{town} Treningssenter",
                "kind": PartnerKind.GYM,
                "prevention_level": PreventionLevel.UNIVERSAL,
                "contact_name": "Trym Trening",
                "contact_phone": "40000002",
                "contact_email": f"post@{town.lower()}-trening.demo",
            },
            # Ending soon: a framework agreement that ends in five weeks.
            "agreement": (
                AgreementKind.FRAMEWORK,
                700,
                35,
                None,
                [Clause.PURPOSE, Clause.PREMISES, Clause.CONTACTS, Clause.ACCOUNTS],
            ),
            "covers": "Rabattert medlemskap i tre måneder etter overgang.",
        },
        {
            "data": {
                "name": f"Frisklivssentralen i {town}",
                "kind": PartnerKind.FRISKLIVSSENTRAL,
                "prevention_level": PreventionLevel.SELECTIVE,
                "contact_name": "Frida Frisk",
                "contact_phone": "40000003",
                "contact_email": f"frisklivs@{town.lower()}.demo",
            },
            # Review due: a grant agreement that was to be evaluated last month.
            "agreement": (
                AgreementKind.GRANT,
                500,
                None,
                -20,
                [Clause.PURPOSE, Clause.FOLLOW_UP, Clause.ROLES, Clause.ACCOUNTS],
            ),
            "covers": "Tilskudd til gruppetilbud og felles kurs for treningskontakter.",
        },
        {
            "data": {
                "name": f"{town} Turlag",
                "kind": PartnerKind.VOLUNTEER,
                "prevention_level": PreventionLevel.UNIVERSAL,
                "contact_name": "Tore Tur",
                "contact_phone": "40000004",
            },
            # Expired: an oral agreement that ran out half a year ago.
            "agreement": (AgreementKind.ORAL, 900, -180, None, [Clause.CONTACTS]),
            "covers": "Turgrupper som deltakerne kan bli med i.",
        },
        {
            "data": {
                "name": f"NAV {town}",
                "kind": PartnerKind.NAV,
                "prevention_level": PreventionLevel.INDICATED,
                "contact_name": "Nina Nav",
            },
            "agreement": None,
            "covers": "",
        },
    ]


def load_partners_demo(today: dt.date) -> dict[str, int]:
    """Create the demo partners (skipping a town that already has them) and link hand-overs.
    Returns counts."""
    counts = {"partners": 0, "agreements": 0, "handovers_linked": 0}
    for number, town_name in enumerate(("Fjordvik", "Nordby")):
        town = Municipality.objects.filter(name=town_name).first()
        if town is None or Partner.objects.filter(municipality=town).exists():
            continue
        programmes = list(Programme.objects.filter(municipality=town).order_by("pk"))
        by_kind: dict[str, Partner] = {}
        for i, spec in enumerate(_partners(town_name)):
            data = dict(spec["data"])
            if data["kind"] != PartnerKind.NAV:
                data["organisation_number"] = _orgnr(91000000 + number * 1000 + i * 37)
            partner = partner_create(
                by=None,
                municipality=town,
                data=data,
                # The sports club works with the first programme only; the rest with all.
                programmes=programmes[:1] if data["kind"] == PartnerKind.SPORTS_CLUB else None,
            )
            counts["partners"] += 1
            by_kind.setdefault(partner.kind, partner)
            if spec["agreement"] is None:
                continue
            kind, started_ago, ends_in, review_in, clauses = spec["agreement"]
            agreement_create(
                partner=partner,
                by=None,
                data={
                    "kind": kind,
                    "starts_on": today - dt.timedelta(days=started_ago),
                    "ends_on": None if ends_in is None else today + dt.timedelta(days=ends_in),
                    "review_on": None
                    if review_in is None
                    else today + dt.timedelta(days=review_in),
                    "covers": spec["covers"],
                    "clauses": list(clauses),
                },
            )
            counts["agreements"] += 1
        # The ended pairs whose participant went on to a gym, a club or the healthy life centre
        # were taken over by the town's partner of that kind (every other one: the
        # coordinator did not record a partner for the rest).
        ended = Pairing.objects.filter(
            municipality=town,
            status=PairingStatus.ENDED,
            handover_destination__in=list(DESTINATION_KIND),
            handover_partner__isnull=True,
        ).order_by("ended_on", "pk")
        for j, pairing in enumerate(ended):
            partner = by_kind.get(DESTINATION_KIND[pairing.handover_destination])
            if partner is None or j % 2:
                continue
            Pairing.objects.filter(pk=pairing.pk).update(handover_partner=partner)
            counts["handovers_linked"] += 1
    return counts
