"""The simulated users of `kobling bench load` (locust, run by kobling.web.load.driver in a
process of its own: locust's gevent patches the interpreter, and this module imports no Django).

Each reads its accounts from the plan (kobling.web.load.data.Plan, a JSON file named by
``KOBLING_LOAD_PLAN``) and takes them in turn. They come as the trusted reverse proxy passes
them on (over HTTPS, from a client address), with the session cookie or the API token prepared
up front. A request counts as failed unless it has exactly the expected status: a redirect to
the sign-in page is a failure, not a page."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
from http.cookiejar import DefaultCookiePolicy
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

# Seconds between a user's requests (``bench load --think``): by default 0.5–1.5 s, as the issue's
# outside measurement.
_low, _high = (float(s) for s in os.environ.get("KOBLING_LOAD_THINK", "0.5,1.5").split(","))
THINK = between(_low, _high)
# As the documented nginx (docs/deploy.md) passes a request on: over a connection of its own,
# closed after the response (nginx speaks HTTP/1.0 to its upstream unless told to keep
# connections). A kept connection would stay with the web process that accepted it, so the
# processes' shares of the users would be fixed at the start, however uneven.
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Connection": "close"}

_plan: dict[str, Any] | None = None
_turns: dict[str, Any] = {}


def plan() -> dict[str, Any]:
    global _plan
    if _plan is None:
        with open(os.environ["KOBLING_LOAD_PLAN"], encoding="utf-8") as f:
            _plan = json.load(f)
    return _plan


def _next_account(kind: str) -> dict[str, Any]:
    if kind not in _turns:
        _turns[kind] = itertools.cycle(plan()[kind])
    return next(_turns[kind])


class _KoblingUser(FastHttpUser):
    abstract = True
    wait_time = THINK
    kind = ""

    def on_start(self) -> None:
        # Cookies are ours to send: the server's are Secure (production) and we speak plain
        # HTTP to it, so a cookie jar would drop or replace them.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.account = _next_account(self.kind)
        self.headers = dict(PROXY)
        if "session" in self.account:
            p = plan()
            self.headers["Cookie"] = (
                f"{p['session_cookie']}={self.account['session']}; "
                f"{p['csrf_cookie']}={self.account['csrf']}"
            )
        if "token" in self.account:
            self.headers["Authorization"] = f"Token {self.account['token']}"

    def fetch(self, name: str, url: str, expected: int = 200) -> None:
        with self.client.get(
            url, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expected:
                response.failure(f"{response.status_code} (expected {expected})")


class Coordinator(_KoblingUser):
    """Browses the lists, the waiting list and the dashboard of their municipality."""

    weight = 4
    kind = "coordinators"

    @task(3)
    def referrals(self) -> None:
        self.fetch("referral list", self.account["pages"]["referral list"])

    @task(1)
    def referrals_next(self) -> None:
        self.fetch("referral list", self.account["pages"]["referral list p2"])

    @task(3)
    def helpers(self) -> None:
        self.fetch("helper list", self.account["pages"]["helper list"])

    @task(3)
    def pairings(self) -> None:
        self.fetch("pairing list", self.account["pages"]["pairing list"])

    @task(2)
    def waiting(self) -> None:
        self.fetch("waiting list", self.account["pages"]["waiting list"])

    @task(1)
    def dashboard(self) -> None:
        self.fetch("dashboard", self.account["pages"]["dashboard"])


class Contact(_KoblingUser):
    """A training contact on the phone: the list of their participants, and now and then a
    session logged from it (the form posts and redirects)."""

    weight = 3
    kind = "contacts"

    @task(3)
    def my_participants(self) -> None:
        self.fetch("my participants", "/mine-deltakere/")

    @task(1)
    def log_session(self) -> None:
        pairing = random.choice(self.account["pairings"])
        host = self.host.split("://", 1)[-1].rstrip("/")
        headers = {**self.headers, "Origin": f"https://{host}"}
        data = {
            "csrfmiddlewaretoken": self.account["csrf"],
            "date": dt.date.today().isoformat(),
            "minutes": "60",
            "status": "held",
            "intensity": "moderate",
            "next": "/mine-deltakere/",
        }
        with self.client.post(
            f"/par/{pairing}/okter/",
            name="log session",
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} (expected 302)")


class Referrer(_KoblingUser):
    """A GP or NAV adviser reading the reports on the people they referred."""

    weight = 1
    kind = "referrers"

    @task(1)
    def my_referrals(self) -> None:
        self.fetch("my referrals", "/mine-henvisninger/")

    @task(2)
    def report(self) -> None:
        pairing = random.choice(self.account["pairings"])
        self.fetch("referrer report", f"/par/{pairing}/rapport/")


class ApiClient(_KoblingUser):
    """A municipal system reading the registers through the API with a token."""

    weight = 2
    kind = "api_clients"

    @task(3)
    def referrals(self) -> None:
        self.fetch("api referrals", self.account["pages"]["api referrals"])

    @task(1)
    def referrals_next(self) -> None:
        self.fetch("api referrals", self.account["pages"]["api referrals p2"])

    @task(2)
    def helpers(self) -> None:
        self.fetch("api helpers", self.account["pages"]["api helpers"])

    @task(2)
    def pairings(self) -> None:
        self.fetch("api pairings", self.account["pages"]["api pairings"])

    @task(1)
    def waiting(self) -> None:
        self.fetch("api waiting list", self.account["pages"]["api waiting list"])


class Monitor(_KoblingUser):
    """The load balancer's health check, once a second: the floor of the response times (a
    request that touches the database once), measured under the same load."""

    fixed_count = 1
    wait_time = between(1, 1)
    kind = ""

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.headers = dict(PROXY)

    @task
    def healthz(self) -> None:
        self.fetch("healthz", "/healthz")
