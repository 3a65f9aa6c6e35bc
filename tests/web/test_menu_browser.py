"""The grouped main menu in a real headless Chromium: at 1366×900 the coordinator's and the
admin's menu is one row (the flat one wrapped to three), each group opens from the keyboard and
shows its links, every destination of the flat menu is reachable by opening its group, and at
phone width the open group stays on the screen."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import signed_in
from tests.web.test_menu import ADDED, BEFORE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _page(browser, live_server, user, viewport):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport=viewport, locale="nb-NO")
    client = signed_in(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "nb", "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("role", ["coordinator_a", "admin_a"])
def test_the_menu_fits_one_row_at_1366_and_every_destination_is_reachable(
    live_server, cast, browser, role
):
    context, page = _page(browser, live_server, cast.roles[role], LAPTOP)
    tops = page.eval_on_selector_all(
        "header .k-nav > li", "items => items.map(li => Math.round(li.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, f"the menu wraps: {tops}"
    # The whole header (brand, menu, language, sign out) is one row too.
    header = page.eval_on_selector(".k-header__inner", "el => el.getBoundingClientRect().height")
    assert header < 70, header

    reached: set[str] = set()
    for i in range(page.locator("header .k-nav > li > details").count()):
        group = page.locator("header .k-nav > li > details").nth(i)
        summary = group.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert group.get_attribute("open") is not None
        links = group.locator("a")
        for j in range(links.count()):
            assert links.nth(j).is_visible()
            reached.add(links.nth(j).get_attribute("href"))
        # Tab reaches the first link of the open group.
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.activeElement.getAttribute('href')"
        ) == links.first.get_attribute("href")
        summary.focus()
        page.keyboard.press("Enter")
        assert group.get_attribute("open") is None
    direct = page.eval_on_selector_all(
        "header .k-nav > li > a", "links => links.map(a => a.getAttribute('href'))"
    )
    reached |= set(direct)
    assert reached == {reverse(f"web:{name}") for name in [*BEFORE[role], *ADDED.get(role, [])]}
    context.close()


def test_at_phone_width_an_open_group_stays_on_the_screen(live_server, cast, browser):
    context, page = _page(browser, live_server, cast.admin_a, PHONE)
    for i in range(page.locator("header .k-nav > li > details").count()):
        group = page.locator("header .k-nav > li > details").nth(i)
        group.locator("summary").click()
        for box in group.locator("a").evaluate_all(
            "links => links.map(a => a.getBoundingClientRect().toJSON())"
        ):
            assert box["left"] >= 0 and box["right"] <= PHONE["width"], box
        widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
        assert widths[0] <= widths[1], widths
    context.close()
