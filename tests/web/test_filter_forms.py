"""Every filter form on every list page shows what the list applies: an optional choice shows an
explicit "All" that is its default, and pressing "Show" without changing anything keeps the
list as it was (the waiting list once showed "High" as chosen, and "Show" then hid everyone
else)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests import factories as f

pytestmark = pytest.mark.django_db

LIST_PAGES = {
    "coordinator_a": [
        "/kontakter/",
        "/kontakter/oversikt/",
        "/henvisninger/",
        "/venteliste/",
        "/tilbud-og-behov/",
        "/kurs/",
        "/par/",
        "/matching/",
        "/partnere/",
        "/lonn/utgifter/",
        "/lonn/",
        "/oppfolging-etter-slutt/",
        "/evaluering/",
    ],
    "admin_a": ["/revisjon/", "/kontakter/", "/henvisninger/"],
    "referrer_a": ["/henvisninger/"],
    "contact_a": ["/par/", "/lonn/utgifter/"],
    "provider": ["/kurs/", "/kurs/kursholder/deltakere/"],
    "analyst": ["/nasjonalt/"],
}


class _GetForms(HTMLParser):
    """The fields of each ``<form method="get">``: selects with their options, and inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = {"selects": [], "inputs": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "select":
            self._select = {"name": a.get("name"), "multiple": "multiple" in a, "options": []}
            self._form["selects"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value", ""), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "input" and a.get("name") and a.get("type") not in {"submit", "checkbox"}:
            self._form["inputs"].append((a["name"], a.get("value") or ""))
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self._form["inputs"].append((a["name"], a.get("value") or "on"))

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None


def get_forms(html: str) -> list[dict]:
    parser = _GetForms()
    parser.feed(html)
    return parser.forms


def submitted_unchanged(form: dict) -> str:
    """The query a browser sends when "Show" is pressed without touching the form."""
    pairs = list(form["inputs"])
    for select in form["selects"]:
        chosen = [o for o in select["options"] if o["selected"]]
        if not chosen and not select["multiple"] and select["options"]:
            chosen = select["options"][:1]  # what the browser shows, and sends
        pairs += [(select["name"], o["value"]) for o in chosen]
    return urlencode(pairs)


def listing(html: str) -> str:
    """What the list shows: the table bodies and the counts above them."""
    bodies = re.findall(r"<tbody>.*?</tbody>", html, flags=re.S)
    counts = re.findall(r'<p class="ds-paragraph k-muted">[^<]*</p>', html)
    return "\n".join(bodies + counts)


@pytest.fixture
def lists(cast):
    """A little of everything the lists show, at every priority and status."""
    for priority in (1, 2, 3):
        f.ReferralFactory(
            programme=cast.programme_a,
            status="waiting",
            priority=priority,
            granted_at=timezone.now() - dt.timedelta(days=priority * 10),
        )
    f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a)
    return cast


@pytest.mark.parametrize(
    ("role", "url"), [(role, url) for role, urls in LIST_PAGES.items() for url in urls]
)
def test_every_filter_form_shows_all_by_default_and_show_changes_nothing(lists, web, role, url):
    client = web(lists.roles[role])
    response = client.get(url, follow=True)  # /evaluering/ opens a programme's page
    assert response.status_code == 200, url
    url = response.request["PATH_INFO"]
    html = response.content.decode()
    forms = get_forms(html)
    assert forms, f"{url} has no filter form"
    assert "---------" not in html, f"{url} shows Django's empty placeholder"
    for form in forms:
        for select in form["selects"]:
            if select["multiple"] or any(o["selected"] for o in select["options"]):
                continue
            # Nothing chosen: the browser shows the first choice, so it must be the one that
            # applies nothing.
            first = select["options"][0] if select["options"] else None
            assert first is not None and first["value"] in {"", "unknown"}, (
                f"{url}: the {select['name']} filter shows {first and first['text']!r} "
                "as chosen while the list applies no such filter"
            )
            assert first["text"].strip().startswith("All"), (url, select["name"], first)
    # Pressing "Show" on the form as it stands keeps the list as it is.
    unchanged = client.get(f"{url}?{submitted_unchanged(forms[0])}")
    assert unchanged.status_code == 200
    assert listing(unchanged.content.decode()) == listing(html), url


def test_show_on_the_waiting_list_keeps_everyone_waiting(lists, web):
    client = web(lists.coordinator_a)
    html = client.get("/venteliste/").content.decode()
    assert "3 waiting" in html
    priority = next(s for s in get_forms(html)[0]["selects"] if s["name"] == "priority")
    assert (priority["options"][0]["value"], priority["options"][0]["text"]) == ("", "All")

    after = client.get(f"/venteliste/?{submitted_unchanged(get_forms(html)[0])}&area=")
    assert "3 waiting" in after.content.decode()
    assert "1 waiting" in client.get("/venteliste/?priority=1").content.decode()


def test_a_yes_no_filter_offers_all_yes_and_no(lists, web):
    html = web(lists.coordinator_a).get("/kontakter/").content.decode()
    unconfirmed = next(s for s in get_forms(html)[0]["selects"] if s["name"] == "unconfirmed")
    assert [(o["value"], o["text"]) for o in unconfirmed["options"]] == [
        ("unknown", "All"),
        ("true", "Yes"),
        ("false", "No"),
    ]
