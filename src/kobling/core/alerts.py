"""The coordinators' alerts page, as a registry: each app that knows something needing a look
adds a *provider* — a function ``(municipality_ids, today) -> list[Alert]`` running a fixed
number of queries, however many rows there are — with :func:`register_alert_provider` in its
``AppConfig.ready`` (followup: pairs without sessions, no-shows, unavailable contacts; outcomes:
goal reviews due; partners: agreements to follow up). :func:`alerts_for` runs them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kobling.tenancy.choices import MANAGER_ROLES

# Kind → label, filled by the apps that provide the kinds.
KIND_LABELS: dict[str, Any] = {}


@dataclass(frozen=True)
class Alert:
    kind: str
    # The followup pairing it is about, when it is about a pair.
    pairing: Any | None
    since: dt.date | None
    text: str
    # Alerts about something other than a pair (an agreement with a partner, from the partners
    # app) have no pairing: they name what it is about and link to it.
    subject: str = ""
    url: str = ""
    # The participant's course (forløp) it is about, when it is about a course; a course without
    # a pairing (a group, a provider) names itself through ``subject`` and ``url``.
    episode: Any | None = None

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


AlertProvider = Callable[[list[int], dt.date], list[Alert]]

# In registration order (INSTALLED_APPS order of the apps' ready()).
ALERT_PROVIDERS: list[AlertProvider] = []


def register_alert_provider(provider: AlertProvider) -> AlertProvider:
    """Add a kind of alert (idempotent; usable as a decorator). The provider gets the
    municipality ids the reader manages and today's date and must run a fixed number of
    queries."""
    if provider not in ALERT_PROVIDERS:
        ALERT_PROVIDERS.append(provider)
    return provider


def alerts_for(
    user: Any,
    municipality_ids: Iterable[int] | None = None,
    *,
    today: dt.date | None = None,
    providers: Iterable[AlertProvider] | None = None,
) -> list[Alert]:
    """The alerts a coordinator or municipal admin should see, for the municipalities among
    ``municipality_ids`` (all they manage when ``None``) that they manage; oldest first within
    each kind. Nobody else gets any."""
    managed = user.municipality_ids(*MANAGER_ROLES)
    wanted = sorted(managed if municipality_ids is None else managed & set(municipality_ids))
    if not wanted:
        return []
    today = today or timezone.localdate()
    found: list[Alert] = []
    for provider in ALERT_PROVIDERS if providers is None else providers:
        found.extend(provider(wanted, today))
    return found
