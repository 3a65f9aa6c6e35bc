"""Builders for catalogue tests, through the real services."""

from __future__ import annotations

from typing import Any

from kobling.catalogue import services
from kobling.catalogue.models import Offer
from kobling.helpers.models import TargetGroup
from kobling.partners.models import Partner


def groups(*codes: str) -> list[TargetGroup]:
    return list(TargetGroup.objects.filter(code__in=codes))


def offer(
    municipality,
    by,
    *,
    title: str = "Turgruppe",
    kind: str = "programme",
    target_groups: tuple[str, ...] = ("mental_health",),
    publish: bool = True,
    partner: Partner | None = None,
    **data: Any,
) -> Offer:  # noqa: ANN001
    made = services.offer_create(
        by=by,
        municipality=municipality,
        kind=kind,
        partner=partner,
        data={
            "title": title,
            "summary": "Ukentlig aktivitet sammen med andre.",
            "prevention_level": "selective",
            "place": "Aby idrettshall",
            "times": "Tirsdager 18:00",
            "join_by": "come",
            **data,
        },
        target_groups=groups(*target_groups),
    )
    if publish:
        made = services.offer_publish(
            offer=made, by=by, publish=True, expected_version=made.version
        )
    return made


def partner(municipality, name: str = "Aby Mental Helse") -> Partner:  # noqa: ANN001
    return Partner.objects.get_or_create(
        municipality=municipality, name=name, defaults={"kind": "volunteer"}
    )[0]
