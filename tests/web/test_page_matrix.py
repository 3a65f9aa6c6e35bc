"""Every page × every role, as the access matrix does for the API. Municipal admins are signed in
with two-factor passed. The guard at the bottom fails when a named page has no row."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)

# name → (args from the cast, expected status per role in ROLES order)
PAGES = {
    "home": ((), (200, 200, 200, 200, 200, 200, 200)),
    "helper_list": ((), (200, 200, 403, 200, 200, 403, 403)),
    "helper_overview": ((), (200, 200, 403, 403, 200, 403, 403)),
    "helper_create": ((), (200, 200, 403, 403, 200, 403, 403)),
    "helper_import": ((), (200, 200, 403, 403, 200, 403, 403)),
    "helper_export": ((), (200, 200, 403, 403, 200, 403, 403)),
    "helper_detail": (("helper_a",), (200, 200, 403, 200, 404, 403, 403)),
    "helper_edit": (("helper_a",), (200, 200, 403, 403, 404, 403, 403)),
    "helper_status": (("helper_a",), (200, 200, 403, 403, 404, 403, 403)),
    "audit_list": ((), (200, 403, 403, 403, 403, 403, 403)),
    "access_review": ((), (200, 403, 403, 403, 403, 403, 403)),
    # Another municipality's coordinator gets the page, without A's rows (tests/core).
    "outbox_list": ((), (200, 200, 403, 403, 200, 200, 403)),
    "membership_list": ((), (200, 403, 403, 403, 403, 403, 403)),
    "settings": ((), (200, 403, 403, 403, 403, 403, 403)),
    "two_factor": ((), (200, 200, 200, 200, 200, 200, 200)),
    "my_referrals": ((), (403, 403, 200, 403, 403, 403, 403)),
}

# Pages covered by other modules' matrices, and pages open to everyone by design.
COVERED_ELSEWHERE = {
    # tests/courses/test_pages.py PAGE_ACCESS and its POST tests
    "course_list",
    "course_template_list",
    "course_run_detail",
    "course_run_edit",
    "course_run_enrol",
    "course_run_create",
    "provider_trainees",
    "module_attendance_all",
    "enrolment_attendance",
    "enrolment_assess",
    "enrolment_complete",
    "enrolment_withdraw",
}
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "readyz",
    "password_reset",
    "password_reset_done",
    "password_set",
    "password_reset_complete",
    "helper_signup",  # tests/helpers/test_signup.py
    "checkin_answer",  # tests/helpers/test_checkins.py: signed, single-use token
}


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(n, r, c) for n, (_a, codes) in PAGES.items() for r, c in zip(ROLES, codes, strict=True)],
)
def test_every_page_allows_or_denies_each_role(cast, name, role, expected):
    args = [getattr(cast, a).pk for a in PAGES[name][0]]
    response = signed_in(cast.roles[role]).get(reverse(f"web:{name}", args=args))
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in(cast):
    for name, (arg_names, _codes) in PAGES.items():
        args = [getattr(cast, a).pk for a in arg_names]
        response = Client().get(reverse(f"web:{name}", args=args))
        assert response.status_code == 302 and response["Location"].startswith(
            "/konto/logg-inn/"
        ), name


def test_every_named_page_is_covered_by_a_matrix():
    import importlib

    from tests.tenancy.test_access_matrix import ACCESS_MODULES

    elsewhere: set[str] = set()
    for name in ACCESS_MODULES:
        module = importlib.import_module(name)
        # PAGES: the app's page matrix; PUBLIC: its pages reached without signing in (links).
        elsewhere |= set(getattr(module, "PAGES", {})) | set(getattr(module, "PUBLIC", set()))
    names = {
        key for key in get_resolver().namespace_dict["web"][1].reverse_dict if isinstance(key, str)
    }
    uncovered = sorted(names - set(PAGES) - COVERED_ELSEWHERE - PUBLIC - elsewhere)
    assert not uncovered, f"pages without an access matrix: {uncovered}"
