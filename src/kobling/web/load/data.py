"""The data behind `kobling bench load`: a large municipality as `bench dashboard` builds it
(kobling.dashboards.bench.build), ``small`` small ones beside it, and the people who use them —
coordinators, training contacts with their phone screen, referrers with consented reports and
API clients — each signed in up front (a server-side session, or an API token), so that the load
measures the pages and not the password hashing of a sign-in.

Written to the configured database and left there: the servers of the run read it from another
process. `kobling bench load` runs this on a scratch database of its own; the CI smoke test on
its test database. No role here needs two-factor (municipal admins do; none is made)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import string
import time
from dataclasses import asdict, dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

# The model backend signs the sessions in (axes' backend only guards password checks).
_BACKEND = "kobling.tenancy.backends.ModelBackend"


@dataclass
class Plan:
    """What the simulated users do, as plain data for the load generator (another process,
    which imports no Django): their cookies or tokens and the addresses they visit."""

    session_cookie: str
    csrf_cookie: str
    coordinators: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    referrers: list[dict[str, Any]] = field(default_factory=list)
    api_clients: list[dict[str, Any]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    build_s: float = 0.0
    # The servers' SECRET_KEY: the sessions are signed with it (never written to the plan file).
    secret_key: str = field(default="", repr=False)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "secret_key"}


def _csrf_secret() -> str:
    # Django accepts the cookie's secret itself as the form's token (32 letters and digits).
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def _signed_in(user: Any) -> dict[str, str]:
    """A session for ``user`` as a sign-in would leave it, and a CSRF secret for its forms."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = _BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # A run lasts minutes; the session must outlive it whatever SESSION_COOKIE_AGE says.
    store.set_expiry(6 * 3600)
    store.create()
    return {"session": store.session_key, "csrf": _csrf_secret()}


def _user(username: str, municipality: Any, role: str) -> Any:
    from kobling.tenancy.models import Membership, User

    user = User.objects.create(username=username, first_name="Last", last_name=username[:20])
    Membership.objects.create(user=user, municipality=municipality, role=role)
    return user


def _waiting(programme: Any, count: int, rng: random.Random, coordinator: Any) -> None:
    """Granted referrals still waiting for a contact: the waiting list."""
    from kobling.referrals.models import Decision, Participant, Referral

    municipality = programme.municipality
    now = timezone.now()
    people = Participant.objects.bulk_create(
        [
            Participant(
                municipality=municipality,
                alternative_id="other",
                alternative_id_note="bench",
                first_name="Venter",
                last_name=str(i),
                birth_date=dt.date(rng.randint(1950, 2005), rng.randint(1, 12), 1),
                gender=rng.choice(("female", "male")),
                postcode="6800",
            )
            for i in range(count)
        ]
    )
    referrals = Referral.objects.bulk_create(
        [
            Referral(
                municipality=municipality,
                programme=programme,
                participant=person,
                source="gp",
                status="waiting",
                priority=rng.choice((1, 2, 3)),
                received_at=now - dt.timedelta(days=rng.randint(30, 120)),
                granted_at=now - dt.timedelta(days=rng.randint(1, 29)),
            )
            for person in people
        ]
    )
    Decision.objects.bulk_create(
        [
            Decision(
                referral=r,
                municipality=municipality,
                outcome="granted",
                reasons="bench",
                decided_by=coordinator,
                decided_on=timezone.localdate(r.granted_at),
            )
            for r in referrals
        ]
    )


def _contacts(programme: Any, count: int, tag: str) -> list[dict[str, Any]]:
    """Training contacts with a user account, each with the active pairs they log sessions on."""
    from kobling.followup.models import Pairing
    from kobling.helpers.models import Helper
    from kobling.tenancy.choices import Role

    pairs: dict[int, list[int]] = {}
    for helper_id, pairing_id in (
        Pairing.objects.filter(programme=programme, status="active")
        .order_by("helper_id", "pk")
        .values_list("helper_id", "pk")
    ):
        if helper_id in pairs or len(pairs) < count:
            pairs.setdefault(helper_id, []).append(pairing_id)
    out = []
    for n, (helper_id, pairing_ids) in enumerate(pairs.items()):
        user = _user(
            f"kontakt-{tag}-{n}@bench.invalid", programme.municipality, Role.TRAINING_CONTACT
        )
        Helper.objects.filter(pk=helper_id).update(user=user)
        out.append({**_signed_in(user), "pairings": pairing_ids})
    return out


def _referrers(programme: Any, count: int, per: int, tag: str) -> list[dict[str, Any]]:
    """Referrers who made ``per`` referrals each, with the participant's consent to share."""
    from kobling.followup.models import Pairing
    from kobling.referrals.models import Consent, Referral
    from kobling.tenancy.choices import Role

    rows = list(
        Pairing.objects.filter(programme=programme)
        .order_by("pk")
        .values_list("pk", "referral_id", "started_on")[: count * per]
    )
    out = []
    consents = []
    for n in range(count):
        mine = rows[n * per : (n + 1) * per]
        if not mine:
            break
        user = _user(f"henviser-{tag}-{n}@bench.invalid", programme.municipality, Role.REFERRER)
        Referral.objects.filter(pk__in=[r for _p, r, _s in mine]).update(referrer=user)
        consents += [
            Consent(
                referral_id=referral_id,
                municipality_id=programme.municipality_id,
                scope="share_with_referrer",
                given_on=started_on - dt.timedelta(days=10),
                given_by="participant",
            )
            for _p, referral_id, started_on in mine
        ]
        out.append({**_signed_in(user), "pairings": [p for p, _r, _s in mine]})
    Consent.objects.bulk_create(consents)
    return out


def _referrals(programme: Any) -> int:
    from kobling.referrals.models import Referral

    return Referral.objects.filter(municipality_id=programme.municipality_id).count()


def _coordinator_pages(programme: Any, year: int) -> dict[str, str]:
    referrals = reverse("web:referral_list")
    # The next page where there is one (50 rows a page): a page past the end is a 404.
    second = 2 if _referrals(programme) > 50 else 1
    return {
        "referral list": referrals,
        "referral list p2": f"{referrals}?page={second}",
        "helper list": reverse("web:helper_list"),
        "pairing list": reverse("web:pairing_list"),
        "waiting list": reverse("web:waiting_list"),
        "dashboard": reverse("web:dashboard", args=[programme.pk]) + f"?year={year}",
    }


def _api_pages(programme: Any) -> dict[str, str]:
    second = 2 if _referrals(programme) > 25 else 1
    return {
        "api referrals": "/api/v1/referrals/?page_size=25",
        "api helpers": "/api/v1/helpers/?page_size=25",
        "api pairings": "/api/v1/pairings/?page_size=25",
        "api waiting list": "/api/v1/waiting-list/?page_size=25",
        "api referrals p2": f"/api/v1/referrals/?page_size=25&page={second}",
    }


def generate(
    *,
    participants: int = 5000,
    contacts: int = 1500,
    sessions: int = 100_000,
    small: int = 20,
    seed: int = 0,
    people: int = 100,
) -> Plan:
    """Build the municipalities and sign the simulated people in. ``people`` bounds how many
    distinct accounts of each kind are made (the load generator reuses them round-robin)."""
    from rest_framework.authtoken.models import Token

    from kobling.dashboards.bench import build
    from kobling.dashboards.refresh import refresh_municipality
    from kobling.tenancy.choices import Role

    started = time.perf_counter()
    rng = random.Random(seed)
    run = f"{int(time.time()) % 10**4:04d}"  # municipality codes have 8 characters
    plan = Plan(
        secret_key=secrets.token_urlsafe(50),
        session_cookie=settings.SESSION_COOKIE_NAME,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        sizes={
            "participants": participants,
            "contacts": contacts,
            "sessions": sessions,
            "small": small,
        },
    )
    # (programme, coordinator, year, weight): the large municipality gets half of the traffic.
    places: list[tuple[Any, Any, int, int]] = []
    with transaction.atomic():
        programme, coordinator, year = build(participants, contacts, sessions, seed, tag=f"L{run}")
        _waiting(programme, max(participants // 10, 10), rng, coordinator)
        places.append((programme, coordinator, year, max(small, 1)))
        size = max(participants // 100, 20)
        for i in range(small):
            p, c, y = build(size, max(size // 3, 3), size * 10, seed + i + 1, tag=f"S{run}{i:02d}")
            _waiting(p, max(size // 10, 2), rng, c)
            places.append((p, c, y, 1))
    if connection.vendor == "postgresql":
        # As a database in use has long been: vacuumed (hint bits set, visibility map made) and
        # analysed. Left to itself, autovacuum would do it during the measured minutes. (VACUUM
        # cannot run inside a transaction: there, the statistics only.)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    for programme, *_rest in places:
        refresh_municipality(programme.municipality_id)

    big, big_coordinator, big_year, _w = places[0]
    share = max(people // 4, 1)
    # The production servers refuse the development key: the sessions are signed with theirs.
    with transaction.atomic(), override_settings(SECRET_KEY=plan.secret_key):
        for n, (programme, coordinator, year, weight) in enumerate(places):
            pages = _coordinator_pages(programme, year)
            accounts = [coordinator] + [
                _user(
                    f"koord-{run}-{n}-{k}@bench.invalid", programme.municipality, Role.COORDINATOR
                )
                for k in range(min(weight, share) - 1)
            ]
            plan.coordinators += [{**_signed_in(u), "pages": pages} for u in accounts]
            api_user = _user(
                f"api-{run}-{n}@bench.invalid", programme.municipality, Role.COORDINATOR
            )
            token = Token.objects.create(user=api_user)
            plan.api_clients += [{"token": token.key, "pages": _api_pages(programme)}] * weight
        tag = f"{run}"
        plan.contacts = _contacts(big, share, tag)
        plan.referrers = _referrers(big, max(share // 2, 1), 5, tag)
    plan.build_s = time.perf_counter() - started
    return plan
