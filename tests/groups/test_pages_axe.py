"""The group programmes' other pages in a real headless Chromium, as a coordinator, on a laptop
and on a phone: a group and its change form, a meeting's substitute, a course's timeline with its
conversation and review forms, the benefit check, and the yearly report — axe-core finds no
serious or critical violation, none scrolls sideways on the phone, no console errors. (The
leader's attendance screen and the new-group form: test_browser.py; the participant's card:
test_card.py.)"""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import Meeting
from tests.a11y.test_axe_crawl import SIZES, _session_cookie
from tests.groups.test_browser import _serious
from tests.groups.test_groups import course, leader, make_offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_group_pages_pass_axe_on_a_laptop_and_a_phone(live_server, cast, browser):
    cast.programme_a.delivery = "group"
    cast.programme_a.uses_conversations = True
    cast.programme_a.save(update_fields=["delivery", "uses_conversations"])
    offer = make_offer(cast, leaders=[leader(cast)])
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    joined = course(cast, first_name="Astrid")
    services.enrolment_create(offer=offer, episode=joined, by=cast.coordinator_a)
    coming = Meeting.objects.filter(offer=offer, date__gt=timezone.localdate()).first()
    pages = [
        f"/grupper/{offer.pk}/",
        f"/grupper/{offer.pk}/endre/",
        f"/samlinger/{coming.pk}/vikar/",
        f"/forlop/{joined.pk}/",
        f"/forlop/{joined.pk}/samtale/",
        f"/forlop/{joined.pk}/evaluering/ny/",
        f"/henvisninger/{joined.referral_id}/ytelse/",
        f"/evaluering/{cast.programme_a.pk}/arsrapport/",
    ]
    found: dict[str, list[str]] = {}
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="nb-NO")
        context.add_cookies([_session_cookie(live_server, cast.coordinator_a)])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (path, response)
            problems = _serious(page)
            if size == "phone" and page.evaluate("document.documentElement.scrollWidth") > 390:
                problems.append("scrolls sideways")
            if problems:
                found[f"{size} {path}"] = problems
        if errors:
            found[f"{size} console"] = errors
        context.close()
    assert found == {}
