"""The coach's meeting log in a real headless Chromium on a phone (390×844): the form fits
without sideways scrolling, saving logs the meeting, the assignment's page shows the chart, no
console errors, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.workplace.models import CoachingMeeting
from tests.a11y.test_axe_crawl import _session_cookie
from tests.groups.test_browser import _serious

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_coach_logs_a_meeting_on_a_phone(live_server, hefa, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nb-NO")
    context.add_cookies([_session_cookie(live_server, hefa.coach_user_a)])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/arbeidsplass/oppdrag/{hefa.assignment_a.pk}/mote/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(page) == []
    page.fill("#id_held_on", timezone.localdate().isoformat())
    page.fill("#id_participants", "leder, coach")
    page.fill("#id_scale_low", "6")
    page.fill("#id_scale_high", "7")
    page.fill("#id_homework", "Medarbeidersamtaler")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    assert CoachingMeeting.objects.filter(assignment=hefa.assignment_a).count() == 2
    assert page.locator("main svg.k-chart").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(page) == []
    assert errors == []
    context.close()
