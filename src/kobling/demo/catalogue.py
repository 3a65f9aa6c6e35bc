"""Demo catalogue for Fjordvik and Nordby: every kind of entry — the programmes, group offers
and providers (made from their source, completed and published), organisations' peer groups
and courses (one entered by the organisation itself and waiting for the municipality), a draft
— and one ended course handed over to an organisation's peer group. Called by
:func:`kobling.demo.loader.load_demo` after the groups and providers; deterministic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kobling.catalogue import services
from kobling.catalogue.models import Offer
from kobling.grants.models import OrganisationContact
from kobling.groups.models import GroupOffer
from kobling.helpers.models import TargetGroup
from kobling.partners.models import Partner
from kobling.providers.models import ActivityProvider
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode
from kobling.tenancy.models import Municipality, Programme, User

TOWNS = (("Fjordvik", "fjordvik"), ("Nordby", "nordby"))

# Per programme kind: (prevention level, target groups, summary).
PROGRAMME_TEXT = {
    "treningskontakt": (
        "indicated",
        ("mental_health", "substance_use"),
        "En treningskontakt møter deg en til to timer i uka for å være fysisk aktiv sammen, "
        "til du klarer det på egen hånd.",
    ),
    "frisklivsresept": (
        "selective",
        ("inactive", "overweight", "chronic_disease"),
        "Tolv uker med trening i gruppe og samtaler om levevaner på frisklivssentralen.",
    ),
    "aktiv_pa_dagtid": (
        "selective",
        ("inactive", "mental_health"),
        "Lavterskel trening på dagtid for deg som er helt eller delvis utenfor arbeidslivet.",
    ),
}
DEFAULT_TEXT = ("selective", ("inactive",), "Et aktivitetstilbud fra kommunen.")


def _groups(*codes: str) -> list[TargetGroup]:
    return list(TargetGroup.objects.filter(code__in=codes).order_by("position"))


def _complete(offer: Offer, by: User, data: dict[str, Any], codes: tuple[str, ...]) -> Offer:
    offer = services.offer_update(
        offer=offer,
        by=by,
        data=data,
        target_groups=_groups(*codes),
        expected_version=offer.version,
    )
    return services.offer_publish(offer=offer, by=by, publish=True, expected_version=offer.version)


def _organisation(municipality: Municipality, town: str, name: str, orgnr: str) -> Partner:
    existing = (
        Partner.objects.filter(municipality=municipality, name__icontains=name)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    return Partner.objects.create(
        municipality=municipality,
        name=f"{name} {town}",
        organisation_number=orgnr,
        kind="volunteer",
        prevention_level="selective",
    )


def _load_town(municipality: Municipality, slug: str, today: dt.date) -> int:
    by = User.objects.get(username=f"koordinator@{slug}.demo")
    made = 0
    for programme in Programme.objects.filter(municipality=municipality, is_active=True).order_by(
        "pk"
    ):
        level, codes, summary = PROGRAMME_TEXT.get(programme.kind, DEFAULT_TEXT)
        offer = services.offer_from_source(by=by, source=programme)
        _complete(
            offer,
            by,
            {
                "prevention_level": level,
                "summary": summary,
                "join_by": "refer",
                "join_details": "Fastlegen, NAV eller frisklivssentralen henviser; "
                "du kan også søke selv.",
                "contact_email": f"post@{slug}.demo",
            },
            codes,
        )
        made += 1
    for group in GroupOffer.objects.filter(municipality=municipality, is_active=True).order_by(
        "pk"
    )[:3]:
        offer = services.offer_from_source(by=by, source=group)
        _complete(
            offer,
            by,
            {
                "prevention_level": "selective",
                "summary": f"{group.title}: trening i gruppe med faste tider, ledet av "
                "fagfolk fra kommunen.",
            },
            ("inactive", "overweight"),
        )
        made += 1
    for provider in ActivityProvider.objects.filter(
        municipality=municipality, is_active=True
    ).order_by("pk"):
        offer = services.offer_from_source(by=by, source=provider)
        _complete(
            offer,
            by,
            {
                "prevention_level": "indicated",
                "summary": "Aktivitet på resept: trening med sertifisert helseveileder etter "
                "henvisning fra helsepersonell.",
                "is_free": False,
                "cost": "Egenandel 300 kr for 12 uker",
            },
            ("inactive", "chronic_disease"),
        )
        made += 1
    # Demo organisation numbers (valid checksums), used only where the town has no such partner.
    turlag = _organisation(municipality, municipality.name, "Turlag", "990000018")
    mental_helse = _organisation(municipality, municipality.name, "Mental Helse", "990000026")
    peer = services.offer_create(
        by=by,
        municipality=municipality,
        kind="peer_group",
        partner=turlag,
        data={
            "title": "Turvenner – gå sammen",
            "summary": "Turer i nærmiljøet sammen med likepersoner som vet hvordan det er å "
            "komme i gang igjen. Ingen påmelding.",
            "prevention_level": "universal",
            "place": f"Oppmøte ved biblioteket i {municipality.name}",
            "times": "Onsdager 11:00, hele året",
            "join_by": "come",
            "contact_email": f"post@turlag-{slug}.demo",
        },
        target_groups=_groups("elderly", "mental_health", "inactive"),
    )
    peer = services.offer_publish(offer=peer, by=by, publish=True, expected_version=peer.version)
    course = services.offer_create(
        by=by,
        municipality=municipality,
        kind="course",
        partner=mental_helse,
        data={
            "title": "Lærings- og mestringskurs: Mestre hverdagen",
            "summary": "Seks kvelder om søvn, aktivitet og å mestre uro, ledet av en "
            "likeperson og en fagperson.",
            "prevention_level": "indicated",
            "place": "Frivilligsentralen",
            "times": "Tirsdager 18:00–20:00, seks uker fra september",
            "is_free": False,
            "cost": "200 kr inkludert kursmateriell",
            "join_by": "apply",
            "join_details": "Send en e-post med navn og telefonnummer.",
            "contact_email": f"kurs@mentalhelse-{slug}.demo",
        },
        target_groups=_groups("mental_health"),
    )
    services.offer_publish(offer=course, by=by, publish=True, expected_version=course.version)
    made += 2
    # A draft the coordinator has not finished.
    services.offer_create(
        by=by,
        municipality=municipality,
        kind="programme",
        data={
            "title": "Sommeraktiviteter for ungdom (utkast)",
            "summary": "Under planlegging.",
            "prevention_level": "universal",
            "join_by": "come",
        },
        target_groups=_groups("youth"),
    )
    made += 1
    # An organisation that entered its own offer, waiting for the municipality.
    contact = (
        OrganisationContact.objects.filter(municipality=municipality, partner__isnull=False)
        .order_by("pk")
        .first()
    )
    if contact is not None:
        services.offer_create_for_organisation(
            contact=contact,
            kind="peer_group",
            data={
                "title": "Pårørendegruppe",
                "summary": "Samtalegruppe for pårørende, annenhver torsdag.",
                "prevention_level": "selective",
                "place": "Frivilligsentralen",
                "times": "Annenhver torsdag 18:00",
                "join_by": "come",
            },
            target_groups=_groups("mental_health"),
        )
        made += 1
    # One ended course handed over to the organisation's peer group.
    ended = (
        Episode.objects.filter(municipality=municipality, status=EpisodeStatus.ENDED)
        .order_by("-ended_on", "pk")
        .first()
    )
    if ended is not None:
        services.handover_set(episode=ended, offer=peer, by=by)
    return made


def load_catalogue_demo(today: dt.date) -> dict[str, int]:
    made = 0
    for name, slug in TOWNS:
        municipality = Municipality.objects.filter(name=name).first()
        if municipality is None or Offer.objects.filter(municipality=municipality).exists():
            continue
        made += _load_town(municipality, slug, today)
    return {"catalogue_offers": made}
