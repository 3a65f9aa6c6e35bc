"""The issue's "Done when": the public catalogue searched by target group, in a real headless
Chromium, without signing in; then the offer's page and back to the municipality's page."""

from __future__ import annotations

import pytest

from tests.catalogue import builders as b

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_searches_the_public_catalogue_by_target_group(live_server, cast, browser):
    b.offer(cast.a, cast.coordinator_a, title="Turvenn for eldre", target_groups=("elderly",))
    b.offer(
        cast.a,
        cast.coordinator_a,
        title="Ungdomstrening i hallen",
        target_groups=("youth",),
        join_by="refer",
    )
    b.offer(
        cast.b,
        cast.coordinator_b,
        title="Bading for unge i Bestad",
        kind="peer_group",
        partner=b.partner(cast.b, "Bestad Svømmeklubb"),
        target_groups=("youth",),
    )
    b.offer(
        cast.a, cast.coordinator_a, title="Ikke publisert", target_groups=("youth",), publish=False
    )
    context = browser.new_context(locale="en")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/tilbud/")
    cards = page.locator("main li.k-offer h2")
    assert sorted(cards.all_inner_texts()) == [
        "Bading for unge i Bestad",
        "Turvenn for eldre",
        "Ungdomstrening i hallen",
    ]
    page.select_option("select[name=target_group]", "youth")
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    assert "target_group=youth" in page.url
    assert sorted(cards.all_inner_texts()) == [
        "Bading for unge i Bestad",
        "Ungdomstrening i hallen",
    ]
    assert "2 offers" in page.locator("main").inner_text()
    # Narrowed to the municipality, then the offer's own page.
    page.select_option("select[name=municipality]", cast.a.code)
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    assert cards.all_inner_texts() == ["Ungdomstrening i hallen"]
    with page.expect_navigation():
        page.get_by_role("link", name="Ungdomstrening i hallen").click()
    main = page.locator("main").inner_text()
    assert "Ungdomstrening i hallen" in main and "By referral" in main and "Free" in main
    with page.expect_navigation():
        page.get_by_role("link", name="Offers in Aby").click()
    assert cards.all_inner_texts() == ["Turvenn for eldre", "Ungdomstrening i hallen"]
    assert not problems, problems
    context.close()
