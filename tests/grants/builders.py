"""Builders for grant tests, through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.core import outbox
from kobling.grants import notices, services
from kobling.grants.models import Application, GrantRound, GrantScheme, OrganisationContact

ORGNR = "988077917"  # a valid organisation number (mod 11)
ORGNR_2 = "974760673"
ORGNR_3 = "923609016"


def scheme(
    municipality,
    by,
    *,
    name: str = "Frivillighetsmidler",
    threshold: int = 50000,
    budget: int = 200000,
    **data: Any,
) -> GrantScheme:  # noqa: ANN001
    made = services.scheme_create(
        by=by,
        municipality=municipality,
        data={
            "name": name,
            "purpose": "Aktivitet og likepersonsarbeid",
            "eligibility": "Frivillige lag og foreninger i kommunen",
            "budget": Decimal(budget),
            "round_kind": "yearly",
            "agreement_threshold": Decimal(threshold),
            **data,
        },
    )
    services.criterion_add(scheme=made, by=by, name="Målgruppe", weight=3)
    services.criterion_add(scheme=made, by=by, name="Gjennomførbarhet", weight=1)
    return made


def open_round(
    s: GrantScheme, by, *, days_left: int = 10, budget: int | None = None, name: str = "2026"
) -> GrantRound:  # noqa: ANN001
    now = timezone.now()
    return services.round_create(
        scheme=s,
        by=by,
        data={
            "name": name,
            "opens_on": timezone.localdate() - dt.timedelta(days=5),
            "deadline": now + dt.timedelta(days=days_left),
            "budget": Decimal(budget) if budget is not None else None,
        },
    )


def contact(
    municipality,
    *,
    orgnr: str = ORGNR,
    org: str = "Aby Turlag",
    name: str = "Kari Nordmann",
    email: str = "kari@turlag.test",
) -> OrganisationContact:  # noqa: ANN001
    """A contact who asked for a link and used it (so linked to a partner)."""
    made = services.contact_request(
        municipality=municipality,
        data={"organisation_number": orgnr, "organisation_name": org, "name": name, "email": email},
    )
    link = outbox.link_live(
        purpose=notices.SIGNIN, subject=outbox.subject_key(notices.SIGNIN, made.pk)
    )
    outbox.link_use(link=link)
    return services.contact_sign_in(contact=made)


def org_client(
    municipality,
    *,
    orgnr: str = ORGNR,
    org: str = "Aby Turlag",
    email: str = "kari@turlag.test",
) -> tuple[Client, OrganisationContact]:  # noqa: ANN001
    """A client signed in as an organisation's contact person through the real sign-in link
    (the page a contact reaches from the e-mail), and the contact."""
    made = services.contact_request(
        municipality=municipality,
        data={
            "organisation_number": orgnr,
            "organisation_name": org,
            "name": "Kari",
            "email": email,
        },
    )
    link = outbox.link_live(
        purpose=notices.SIGNIN, subject=outbox.subject_key(notices.SIGNIN, made.pk)
    )
    client = Client()
    response = client.post(reverse("web:grant_signin", args=[outbox.link_token(link)]))
    assert response.status_code == 302, response
    made.refresh_from_db()
    return client, made


def submitted(
    grant_round: GrantRound,
    who: OrganisationContact,
    *,
    title: str = "Turgruppe",
    lines=((" Leie", 20000), ("Utstyr", 10000)),
) -> Application:  # noqa: ANN001
    draft = services.application_create(grant_round=grant_round, contact=who, data={"title": title})
    return services.application_save(
        application=draft,
        contact=who,
        data={
            "purpose": "Ukentlige turer",
            "prevention_level": "selective",
            "target_groups": "Eldre",
            "expected_participants": 20,
        },
        lines=[{"description": d, "amount": a} for d, a in lines],
        expected_version=draft.version,
        submit=True,
    )


def close(grant_round: GrantRound) -> GrantRound:
    GrantRound.objects.filter(pk=grant_round.pk).update(
        deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    grant_round.refresh_from_db()
    return grant_round
