"""The main menu is grouped (people, referrals and pairs, follow-up, money, evaluation,
administration) so that a coordinator's dozen destinations fit on one row at 1366 px, where the
flat menu wrapped to three. Every destination the flat menu had is still in it, for every role;
roles with a few links keep a flat menu."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

# What the flat menu linked to, per role of the cast (URL names, from the old base.html).
COORDINATOR = [
    "helper_list",
    "helper_overview",
    "referral_list",
    "course_list",
    "matching",
    "pairing_list",
    "alerts",
    "followup_list",
    "partner_list",
    "outbox_list",
    "dashboard_home",
    "pay_month",
]
BEFORE = {
    "coordinator_a": COORDINATOR,
    "admin_a": [
        *COORDINATOR,
        "membership_list",
        "settings",
        "audit_list",
        "research_export_list",
    ],
    "referrer_a": ["my_referrals", "referral_list"],
    "contact_a": ["my_participants", "helper_list", "my_hours"],
    "provider": ["course_list", "provider_trainees"],
    "analyst": ["national_overview", "profiles_compare", "pilot_list", "rehab_participation"],
}


# Destinations the grouped menu added: the coordinators' list of courses (forløp), group
# offers, activity providers, grants to organisations and reimbursement claims (under Money),
# premises lending and the meeting calendar with the organisations (after Partners), the
# catalogue of offers, workplace coaching.
ADDED = {
    "coordinator_a": [
        "episode_list",
        "group_offer_list",
        "workplace_assignment_list",
        "provider_list",
        "grant_scheme_list",
        "claim_list",
        "premises_list",
        "meeting_list",
        "catalogue_manage",
        "supervision_home",
    ],
    "admin_a": [
        "episode_list",
        "group_offer_list",
        "workplace_assignment_list",
        "access_review",
        "provider_list",
        "grant_scheme_list",
        "claim_list",
        "premises_list",
        "meeting_list",
        "catalogue_manage",
        "supervision_home",
    ],
    "contact_a": ["supervision_home"],
}


def nav_html(html: str) -> str:
    return re.search(r'<nav class="k-menu".*?</nav>', html, re.S).group(0)


def menu_hrefs(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', nav_html(html))


@pytest.mark.parametrize("role", list(BEFORE))
def test_every_destination_of_the_flat_menu_is_still_in_the_menu(cast, role):
    html = signed_in(cast.roles[role]).get("/").content.decode()
    hrefs = menu_hrefs(html)
    expected = [*BEFORE[role], *ADDED.get(role, [])]
    assert sorted(hrefs) == sorted(reverse(f"web:{name}") for name in expected)
    assert len(hrefs) == len(set(hrefs)), "a destination is listed twice"


def test_the_coordinator_gets_five_top_level_entries_and_the_admin_six(cast):
    for role, expected in (("coordinator_a", 5), ("admin_a", 6)):
        nav = nav_html(signed_in(cast.roles[role]).get("/").content.decode())
        top_level = re.sub(r"<details.*?</details>", "<details></details>", nav, flags=re.S)
        assert top_level.count("<li>") == expected, role
        assert nav.count('name="k-menu"') == nav.count("<summary>") >= 3


@pytest.mark.parametrize("role", ["referrer_a", "contact_a", "provider", "analyst"])
def test_roles_with_a_few_links_keep_a_flat_menu(cast, role):
    assert "<details" not in nav_html(signed_in(cast.roles[role]).get("/").content.decode())


def test_the_current_page_and_its_group_are_marked(cast):
    html = signed_in(cast.coordinator_a).get("/kontakter/oversikt/").content.decode()
    nav = nav_html(html)
    assert nav.count('aria-current="page"') == 1
    assert '<a href="/kontakter/oversikt/" aria-current="page">' in nav
    group = re.search(r"<details[^>]*data-current[^>]*>.*?</details>", nav, re.S).group(0)
    assert "/kontakter/oversikt/" in group


def test_activity_provider_staff_get_the_providers_portal_phone_screen_and_claims(cast):
    from kobling.providers.services import provider_create, staff_add
    from tests import factories as f

    gym = provider_create(
        by=None,
        municipality=cast.a,
        data={"name": "Gym", "organisation_number": "974760673", "kind": "gym"},
    )
    user = f.UserFactory(username="gym@test")
    staff_add(by=None, provider=gym, user=user)
    hrefs = menu_hrefs(signed_in(user).get("/").content.decode())
    assert sorted(hrefs) == sorted(
        reverse(f"web:{name}")
        for name in ("provider_list", "provider_portal", "provider_phone", "claim_list")
    )


def test_the_workplace_coaching_roles_get_their_assignments(cast):
    from kobling.tenancy.choices import Role
    from tests import factories as f

    for role in (Role.IA_ADVISER, Role.WORKPLACE_COACH, Role.WORKPLACE_LEADER):
        user = f.member(f.UserFactory(), cast.a, role)
        hrefs = menu_hrefs(signed_in(user).get("/").content.decode())
        assert reverse("web:workplace_assignment_list") in hrefs, role
