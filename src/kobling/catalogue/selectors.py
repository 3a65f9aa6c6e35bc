"""Reads of the catalogue. The public search reads only published entries and only the
public fields, into plain rows (``PublicOffer``) that the public pages and the public API
render; the result is cached (Django's cache framework) under a *generation* that every write
bumps on commit, with a short TTL as the backstop for a cache shared by several processes
(docs/catalogue.md). Three queries per search, whatever the number of offers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import get_language

from kobling.catalogue.models import Offer
from kobling.core.shared_cache import shared_cache
from kobling.helpers.models import TargetGroup

GENERATION_KEY = "catalogue:generation"
# How long a cached search may live at most (seconds). The generation lives in the shared cache
# (the database, kobling.core.shared_cache) and the rows in each process's own cache under it, so
# a write shows at once in every web process; the TTL is the backstop for two writes that bump in
# the same instant (the shared cache counts get-then-set).
CACHE_SECONDS = getattr(settings, "KOBLING_CATALOGUE_CACHE_SECONDS", 300)
FILTERS = ("municipality", "target_group", "prevention_level", "kind", "join_by", "q")


@dataclass(frozen=True)
class PublicOffer:
    """What the public may see of an entry: nothing about a person."""

    id: int
    municipality_code: str
    municipality_name: str
    kind: str
    kind_label: str
    title: str
    summary: str
    organisation: str
    target_groups: list[str] = field(default_factory=list)
    target_group_codes: list[str] = field(default_factory=list)
    prevention_level: str = ""
    prevention_level_label: str = ""
    place: str = ""
    times: str = ""
    is_free: bool = True
    cost: str = ""
    join_by: str = ""
    join_by_label: str = ""
    join_details: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    website: str = ""
    programme_id: int | None = None


def generation() -> int:
    """The catalogue's generation, one for every web process (one read of the shared cache)."""
    value = shared_cache().get(GENERATION_KEY)
    # Nothing written on a read (GETs write nothing): the first bump makes it 2.
    return 1 if value is None else int(value)


def bump_generation() -> None:
    """Every cached search is stale from now on, in every process."""
    shared = shared_cache()
    try:
        shared.incr(GENERATION_KEY)
    except ValueError:
        shared.set(GENERATION_KEY, 2, None)


def published_offers() -> QuerySet[Offer]:
    """Published entries with what their public row needs, in a fixed number of queries."""
    return (
        Offer.objects.filter(is_published=True)
        .select_related("municipality", "partner", "provider")
        .prefetch_related(
            Prefetch("target_groups", queryset=TargetGroup.objects.order_by("position", "code"))
        )
        .order_by("municipality__name", "title", "id")
    )


def _filtered(filters: dict[str, str]) -> QuerySet[Offer]:
    qs = published_offers()
    if filters.get("municipality"):
        qs = qs.filter(municipality__code=filters["municipality"])
    if filters.get("target_group"):
        qs = qs.filter(target_groups__code=filters["target_group"])
    for name in ("prevention_level", "kind", "join_by"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    text = (filters.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(title__icontains=text)
            | Q(summary__icontains=text)
            | Q(place__icontains=text)
            | Q(partner__name__icontains=text)
            | Q(provider__name__icontains=text)
        )
    return qs.distinct()


def public_row(offer: Offer) -> PublicOffer:
    organisation = ""
    if offer.partner_id:
        organisation = offer.partner.name
    elif offer.provider_id:
        organisation = offer.provider.name
    groups = list(offer.target_groups.all())
    return PublicOffer(
        id=offer.pk,
        municipality_code=offer.municipality.code,
        municipality_name=offer.municipality.name,
        kind=offer.kind,
        kind_label=str(offer.get_kind_display()),
        title=offer.title,
        summary=offer.summary,
        organisation=organisation or offer.municipality.name,
        target_groups=[g.name for g in groups],
        target_group_codes=[g.code for g in groups],
        prevention_level=offer.prevention_level,
        prevention_level_label=str(offer.get_prevention_level_display()),
        place=offer.place,
        times=offer.times,
        is_free=offer.is_free,
        cost=offer.cost,
        join_by=offer.join_by,
        join_by_label=str(offer.get_join_by_display()),
        join_details=offer.join_details,
        contact_phone=offer.contact_phone,
        contact_email=offer.contact_email,
        website=offer.website,
        programme_id=offer.programme_id,
    )


def _key(kind: str, payload: Any) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    return f"catalogue:{generation()}:{get_language() or 'nb'}:{kind}:{digest}"


def clean_filters(raw: Any) -> dict[str, str]:
    return {name: str(raw.get(name) or "").strip()[:100] for name in FILTERS}


def search(filters: dict[str, str]) -> list[PublicOffer]:
    """The published offers matching ``filters`` (see ``FILTERS``), cached."""
    filters = {k: v for k, v in clean_filters(filters).items() if v}

    def load() -> list[dict[str, Any]]:
        return [asdict(public_row(o)) for o in _filtered(filters)]

    rows = cache.get_or_set(_key("search", filters), load, CACHE_SECONDS)
    return [PublicOffer(**row) for row in rows]


def public_offer(pk: int) -> PublicOffer | None:
    """One published offer, cached as the searches are; None when it is not published."""

    def load() -> dict[str, Any] | bool:
        offer = published_offers().filter(pk=pk).first()
        return asdict(public_row(offer)) if offer is not None else False

    row = cache.get_or_set(_key("offer", pk), load, CACHE_SECONDS)
    return PublicOffer(**row) if row else None


def facets() -> dict[str, list[tuple[str, str]]]:
    """The choices of the search form: municipalities with published offers, target groups."""
    from kobling.tenancy.models import Municipality

    def load() -> dict[str, list[tuple[str, str]]]:
        municipalities = (
            Municipality.objects.filter(catalogue_offers__is_published=True)
            .distinct()
            .order_by("name")
            .values_list("code", "name")
        )
        groups = TargetGroup.objects.filter(is_active=True).order_by("position", "code")
        return {
            "municipalities": [list(m) for m in municipalities],
            "target_groups": [[g.code, g.name] for g in groups],
        }

    return cache.get_or_set(_key("facets", ""), load, CACHE_SECONDS)
