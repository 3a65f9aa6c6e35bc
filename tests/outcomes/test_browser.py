"""The contact's review form and the participant's follow-up questionnaire on a phone-sized
screen, in a real headless Chromium: filled in with taps, no sideways scrolling, and nothing
blocked by the content security policy.

The browser: ``KOBLING_CHROMIUM`` (a path), else the system's ``chromium``, else Playwright's own
download. If none can be launched the test fails saying what to install — unless
``KOBLING_SKIP_BROWSER=1`` says to skip it on purpose."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from kobling.outcomes import followups, services
from kobling.outcomes.models import FollowUp, Review
from tests import factories as f
from tests.outcomes import builders as b

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "kontakt-passord-123"


def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page, problems


def no_horizontal_overflow(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"the page scrolls sideways: {widths}"


def screenshot(page, name: str) -> None:
    shots = os.environ.get("KOBLING_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / name), full_page=True)


def test_a_contact_records_a_review_on_a_phone(browser, live_server, cast):
    user = cast.contact_user_a
    user.set_password(PASSWORD)
    user.preferred_language = "en"
    user.save()
    contact = b.roomy(f.make_active(cast.helper_a))
    pairing = b.pairing(cast.programme_a, contact, started_days_ago=3)
    goal = services.goal_create(pairing=pairing, by=None, text="Gå til postkassen og tilbake")

    context, page, problems = phone(browser)
    page.goto(f"{live_server.url}/konto/logg-inn/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    language = page.locator("button[name=language][value=en]")
    if language.count():
        with page.expect_navigation():
            language.first.click()

    page.goto(f"{live_server.url}/par/{pairing.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Record review").tap()
    no_horizontal_overflow(page)
    assert page.locator("select[name=kind] option:checked").inner_text().strip() == "Start"
    page.locator("input[name=score_activity_minutes]").fill("90")
    page.select_option("select[name=score_self_rated_health]", "3")
    page.select_option("select[name=score_mastery]", "6")
    page.select_option(f"select[name=goal_{goal.pk}]", "-1")
    screenshot(page, "review-phone.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the review").tap()

    assert "The review was saved." in page.locator("main").inner_text()
    assert "Below the recommendation" in page.locator("main").inner_text()
    no_horizontal_overflow(page)
    context.close()
    assert problems == [], problems
    review = Review.objects.get()
    assert (review.kind, review.recorded_by_id, review.scores.count()) == ("start", user.pk, 4)


def test_a_participant_answers_the_follow_up_on_a_phone(browser, live_server, cast):
    contact = b.roomy(f.make_active(cast.helper_a))
    today = timezone.localdate()
    days = (today - followups.add_months(today, -3)).days + 1
    pairing = b.pairing(
        cast.programme_a,
        contact,
        confirmed_days_ago=days + 100,
        started_days_ago=days + 90,
        ended_days_ago=days,
        email="deltaker@example.test",
    )
    followups.followups_create_missing(now=timezone.now())
    followup = pairing.follow_ups.get(months=3)
    FollowUp.objects.filter(pk=followup.pk).update(
        status="sent", sent_at=timezone.now(), expires_at=timezone.now() + followups.LINK_VALID
    )
    path = urlsplit(followups.followup_link(followup)).path

    context, page, problems = phone(browser)
    page.goto(f"{live_server.url}{path}")
    no_horizontal_overflow(page)
    page.get_by_label("Yes").tap()
    page.locator("input[name=minutes_per_week]").fill("120")
    page.get_by_label("Sports club or team").tap()
    screenshot(page, "followup-phone.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answers").tap()
    assert "We have received your answers" in page.locator("main").inner_text()
    no_horizontal_overflow(page)
    context.close()
    assert problems == [], problems
    followup.refresh_from_db()
    assert (followup.status, followup.minutes_per_week, followup.where) == (
        "answered",
        120,
        "sports_club",
    )
