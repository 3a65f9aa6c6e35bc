"""The leader's attendance page in a real headless Chromium on a phone (390×844): a group of 15
fits without sideways scrolling, one tap ticks a person, saving works, no console errors, and
axe-core finds no serious or critical violation on it or on the new-group form."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import Attendance, GroupEnrolment, Meeting
from tests.a11y.test_axe_crawl import AXE, AXE_OPTIONS, _session_cookie
from tests.groups.test_groups import course, leader, make_offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _serious(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [v["id"] for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def test_the_leader_ticks_fifteen_people_on_a_phone(live_server, cast, browser):
    offer = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)])
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    for n in range(15):
        services.enrolment_create(
            offer=offer,
            episode=course(cast, first_name=f"Ingrid-Marie {n:02d}"),
            by=cast.coordinator_a,
        )
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    meeting = Meeting.objects.filter(offer=offer, date__lte=timezone.localdate()).last()

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    context.add_cookies([_session_cookie(live_server, cast.contact_user_a)])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/samlinger/{meeting.pk}/")
    boxes = page.locator("main .k-tick")
    assert boxes.count() == 15
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Everyone on the list is on the first screen below the heading (no scrolling to find them).
    last = boxes.nth(14).bounding_box()
    assert last["y"] + last["height"] <= 844, last
    assert _serious(page) == []
    for n in range(0, 15, 2):
        boxes.nth(n).click()  # one tap on the name ticks the person
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    assert errors == []
    assert Attendance.objects.current().filter(attended=True).count() == 8

    context_admin = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    context_admin.add_cookies([_session_cookie(live_server, cast.coordinator_a)])
    form = context_admin.new_page()
    form.goto(f"{live_server.url}/grupper/ny/")
    assert form.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(form) == []
    context.close()
    context_admin.close()
