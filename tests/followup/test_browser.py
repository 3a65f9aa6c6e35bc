"""The session log on a phone-sized screen, in a real headless Chromium (Playwright): a training
contact signs in, opens My participants, logs a session in a few taps, sees it in the history,
and has the participant confirm it on the phone — with no horizontal scrolling and no script or
style blocked by the content security policy.

The browser: ``KOBLING_CHROMIUM`` (a path), else the system's ``chromium`` (Debian's package),
else Playwright's own download. If none can be launched the test **fails** with a message
saying what to install — unless ``KOBLING_SKIP_BROWSER=1`` says to skip it on purpose."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from kobling.followup.models import Session
from kobling.helpers.models import Activity
from tests import factories as f
from tests.followup import scenario as s

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "kontakt-passord-123"


@pytest.fixture
def contacts_pair(cast):
    user = cast.contact_user_a
    user.set_password(PASSWORD)
    user.preferred_language = "en"
    user.save()
    helper = f.make_active(cast.helper_a)
    pairing = s.active_pair(s.waiting(cast.programme_a, first_name="Per"), helper)
    s.log(
        pairing,
        days_ago=7,
        minutes=45,
        activity=Activity.objects.get(code="walking"),
        intensity="light",
    )
    return pairing


def no_horizontal_overflow(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"the page scrolls sideways: {widths}"


def test_a_contact_logs_a_session_on_a_phone(live_server, contacts_pair, cast, browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/konto/logg-inn/")
    page.fill("input[name=username]", cast.contact_user_a.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    language = page.locator("button[name=language][value=en]")
    if language.count():  # the site opens in bokmål; the assertions read English
        with page.expect_navigation():
            language.first.click()

    page.get_by_role("link", name="My participants").first.click()
    page.wait_for_url("**/mine-deltakere/")
    card = page.locator("section.k-participant").filter(has_text="Per")
    assert card.count() == 1
    no_horizontal_overflow(page)

    # Sensible defaults: today, the pair's usual minutes and activity, held, its intensity.
    today = timezone.localdate()
    assert card.locator("input[name=date]").input_value() == today.isoformat()
    assert card.locator("input[name=minutes]").input_value() == "45"
    assert card.locator("select[name=activity] option:checked").inner_text().strip() != "—"
    assert card.locator("input[name=status][value=held]").is_checked()

    # A cancellation's fields appear only when "cancelled" is chosen (CSS, no script).
    cancelled_by = card.locator("input[name=cancelled_by]").first
    assert not cancelled_by.is_visible()
    card.locator("label.ds-chip", has_text="Cancelled").tap()
    assert cancelled_by.is_visible()
    assert not card.locator("input[name=intensity]").first.is_visible()
    card.locator("label.ds-chip", has_text="Held").tap()
    assert not cancelled_by.is_visible()

    # A few taps: minutes, intensity, log.
    card.locator("input[name=minutes]").fill("50")
    card.locator("label.ds-chip", has_text="Vigorous").tap()
    with page.expect_navigation():
        card.get_by_role("button", name="Log session").tap()
    page.wait_for_url("**/par/*/okter/")

    assert "The session is logged." in page.locator("main").inner_text()
    history = page.locator("[data-testid=session-history]")
    newest = history.locator("li").first
    assert "50 min" in newest.inner_text()
    assert "Vigorous" in newest.inner_text()
    assert "Unconfirmed" in newest.inner_text()
    no_horizontal_overflow(page)

    # The participant confirms in person, on the contact's phone.
    with page.expect_navigation():
        newest.get_by_role("button", name="Confirm in person").tap()
    assert "Confirmed" in page.locator("[data-testid=session-history] li").first.inner_text()
    no_horizontal_overflow(page)

    shots = os.environ.get("KOBLING_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "sessions-phone.png"), full_page=True)
    context.close()

    assert problems == [], problems  # no CSP violations or script errors
    session = Session.objects.current().get(pairing=contacts_pair, date=today)
    assert (session.minutes, session.status, session.intensity) == (50, "held", "vigorous")
    assert session.logged_by_id == cast.contact_user_a.pk
    assert session.confirmed_via == "in_person"
    assert session.date - dt.timedelta(days=7) == Session.objects.exclude(pk=session.pk).get().date
