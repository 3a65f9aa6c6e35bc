"""Allow/deny for every pay endpoint and page × every role of the cast. Invisible → 404,
visible but not allowed → 403, roles that never see the kind of record → 403 up front.

Decisions recorded here:

* Coordinators and municipal admins see, approve and export their municipality's timesheets
  and expenses; a coordinator of another municipality gets 404 on A's records (and an empty
  list or export of their own).
* A training contact sees their own timesheets and expenses (another contact's: 404), records
  and changes their own open expenses, and downloads their own receipts; approving, adjusting
  and exporting are not theirs (403).
* Referrers, course providers and the national analyst never see pay: 403.

``READS`` (API paths) and ``PAGES`` (web URL names) are what the project-wide coverage guards
read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.followup.models import Pairing
from kobling.pay import services
from kobling.pay.models import Expense, Timesheet
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.pay import builders as b

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


def matrix(*codes):
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


LISTS = matrix(200, 200, 403, 200, 200, 403, 403)
OWN = matrix(200, 200, 403, 200, 404, 403, 403)  # contact_a's own record in A
OTHERS = matrix(200, 200, 403, 404, 404, 403, 403)  # another contact's record in A
MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)

READS = {
    "/api/v1/timesheets/": LISTS,
    "/api/v1/timesheets/?month={month}": LISTS,
    "/api/v1/timesheets/{timesheet}/": OWN,
    "/api/v1/timesheets/{timesheet_a2}/": OTHERS,
    "/api/v1/timesheets/{timesheet}/pdf": OWN,
    "/api/v1/timesheets/export.csv?month={month}": MANAGERS,
    "/api/v1/expenses/": LISTS,
    "/api/v1/expenses/{expense}/": OWN,
    "/api/v1/expenses/{expense_a2}/": OTHERS,
    "/api/v1/expenses/{expense}/receipt": OWN,
}

# (method, path, body, expected per role in ROLES order)
WRITES = {
    "approve": (
        "post",
        "/api/v1/timesheets/approve",
        {"ids": ["{timesheet}"]},
        (200, 200, 403, 403, 400, 403, 403),
    ),
    "note": (
        "patch",
        "/api/v1/timesheets/{timesheet}/",
        {"note": "Sjekket", "version": 1},
        (200, 200, 403, 403, 404, 403, 403),
    ),
    "adjustment": (
        "post",
        "/api/v1/timesheets/{timesheet}/adjustments",
        {"minutes": 15, "reason": "Kjøring"},
        (201, 201, 403, 403, 404, 403, 403),
    ),
    "record an expense": (
        "post",
        "/api/v1/expenses/",
        {"helper": "{helper_a}", "category": "gym_fee", "amount": "300", "date": "{day}"},
        (201, 201, 403, 201, 400, 403, 403),
    ),
    "change an open expense": (
        "patch",
        "/api/v1/expenses/{expense}/",
        {"amount": "90", "version": 1},
        (200, 200, 403, 200, 404, 403, 403),
    ),
    "approve an expense": (
        "post",
        "/api/v1/expenses/{expense}/approve",
        {"version": 1},
        (200, 200, 403, 403, 404, 403, 403),
    ),
    "correct an approved expense": (
        "post",
        "/api/v1/expenses/{approved_expense}/correct",
        {"amount": "-10", "description": "Feil"},
        (201, 201, 403, 403, 404, 403, 403),
    ),
}

GET_OWN = (200, 200, 403, 200, 404, 403, 403)
POST_MANAGERS_A = (302, 302, 403, 403, 404, 403, 403)
# name → (id argument or None, method, body, expected per role in ROLES order)
PAGES = {
    "pay_month": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    "pay_approve": (
        None,
        "post",
        {"ids": "{timesheet}", "month": "{month}"},
        (302, 302, 403, 403, 302, 403, 403),
    ),
    "pay_export": (None, "get", {"month": "{month}"}, (200, 200, 403, 403, 200, 403, 403)),
    "pay_settings": (None, "get", None, (200, 200, 403, 403, 200, 403, 403)),
    "timesheet_detail": ("timesheet", "get", None, GET_OWN),
    "timesheet_pdf": ("timesheet", "get", None, GET_OWN),
    "timesheet_adjust": ("timesheet", "post", {"minutes": "10", "reason": "x"}, POST_MANAGERS_A),
    "timesheet_note": ("timesheet", "post", {"note": "x", "version": 1}, POST_MANAGERS_A),
    "expense_list": (None, "get", None, (200, 200, 403, 200, 200, 403, 403)),
    "expense_create": (None, "get", None, (200, 200, 403, 200, 200, 403, 403)),
    "expense_detail": ("expense", "get", None, GET_OWN),
    "expense_edit": ("expense", "get", None, GET_OWN),
    "expense_receipt": ("expense", "get", None, GET_OWN),
    "expense_approve": ("expense", "post", {"version": 1}, POST_MANAGERS_A),
    "expense_correct": (
        "approved_expense",
        "post",
        {"amount": "-1", "description": "x"},
        POST_MANAGERS_A,
    ),
    "my_hours": (None, "get", None, (403, 403, 403, 200, 403, 403, 403)),
}


def _pairing(helper):
    referral = f.ReferralFactory(programme=helper.programme)
    return Pairing.objects.create(
        municipality=helper.municipality,
        programme=helper.programme,
        referral=referral,
        participant=referral.participant,
        helper=helper,
        slot=0,
        status="active",
        confirmed_at=timezone.now(),
    )


@pytest.fixture
def ids(cast, settings, tmp_path):
    """Last month's open timesheets of contact_a (helper_a) and of helper_a2, an open expense
    of each, and an approved expense of helper_a."""
    settings.MEDIA_ROOT = tmp_path / "media"
    m1 = b.last_month()
    for helper in (cast.helper_a, cast.helper_a2, cast.helper_b):
        b.held(_pairing(helper), b.day(m1, 5), 60)
    services.timesheet_roll_up(
        helper_ids=[cast.helper_a.pk, cast.helper_a2.pk, cast.helper_b.pk], by=None, month=m1
    )

    def expense(helper, by):
        return services.expense_create(
            helper=helper,
            by=by,
            date=b.day(m1, 6),
            category="equipment",
            amount="100",
            receipt=b.receipt("png"),
        )

    approved = services.expense_approve(
        expense=expense(cast.helper_a, cast.contact_user_a), by=cast.coordinator_a
    )
    return {
        "month": f"{m1:%Y-%m}",
        "day": str(b.day(m1, 9)),
        "helper_a": cast.helper_a.pk,
        "timesheet": Timesheet.objects.get(helper=cast.helper_a, month=m1).pk,
        "timesheet_a2": Timesheet.objects.get(helper=cast.helper_a2, month=m1).pk,
        "expense": expense(cast.helper_a, cast.contact_user_a).pk,
        "expense_a2": expense(cast.helper_a2, cast.coordinator_a).pk,
        "approved_expense": approved.pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_pay_read_endpoint_allows_or_denies_each_role(cast, ids, api, url, role, expected):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, getattr(response, "data", response.content[:200])


@pytest.mark.parametrize("url", list(READS))
def test_anonymous_callers_get_401_on_every_pay_endpoint(ids, api, url):
    assert api().get(url.format(**ids)).status_code == 401


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, code)
        for name, (*_rest, codes) in WRITES.items()
        for role, code in zip(ROLES, codes, strict=True)
    ],
)
def test_every_pay_write_allows_or_denies_each_role(cast, ids, api, name, role, expected):
    method, url, body, _codes = WRITES[name]
    data = _fill(body, ids)
    if name == "approve":
        data = {"ids": [int(i) for i in data["ids"]]}
    before = (Timesheet.objects.filter(status="approved").count(), Expense.objects.count())
    if name == "record an expense":
        data["receipt"] = b.receipt("pdf")
        response = api(cast.roles[role]).post(url.format(**ids), data, format="multipart")
    else:
        response = getattr(api(cast.roles[role]), method)(url.format(**ids), data, format="json")
    assert response.status_code == expected, getattr(response, "data", None)
    if expected >= 400:
        after = (Timesheet.objects.filter(status="approved").count(), Expense.objects.count())
        assert after == before


def _page(name, ids, role_client):
    arg, method, body, _codes = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[arg]] if arg else [])
    data = _fill(body, ids) if body else None
    if method == "get":
        return role_client.get(url, data or {})
    return role_client.post(url, data or {})


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(n, r, c) for n, (*_rest, codes) in PAGES.items() for r, c in zip(ROLES, codes, strict=True)],
)
def test_every_pay_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    response = _page(name, ids, signed_in(cast.roles[role]))
    assert response.status_code == expected, (name, role)


@pytest.mark.parametrize("name", list(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in_from_every_pay_page(ids, name):
    response = _page(name, ids, Client())
    assert response.status_code == 302 and response["Location"].startswith("/konto/logg-inn/")


def test_reads_of_timesheets_and_expenses_are_audited(cast, ids, api):
    client = api(cast.coordinator_a)
    client.get("/api/v1/timesheets/")
    client.get(f"/api/v1/timesheets/{ids['timesheet']}/")
    client.get("/api/v1/expenses/")
    client.get(f"/api/v1/expenses/{ids['expense']}/")
    views = AuditEntry.objects.filter(action="view", user=cast.coordinator_a)
    assert views.filter(object_type="pay.timesheet", object_id=str(ids["timesheet"])).exists()
    assert views.filter(object_type="pay.timesheet", object_repr__startswith="list").exists()
    assert views.filter(object_type="pay.expense", object_id=str(ids["expense"])).exists()
    assert views.filter(object_type="pay.expense", object_repr__startswith="list").exists()
    signed_in(cast.contact_user_a).get(reverse("web:expense_detail", args=[ids["expense"]]))
    assert AuditEntry.objects.filter(
        action="view", user=cast.contact_user_a, object_id=str(ids["expense"])
    ).exists()


def test_every_pay_route_and_page_has_a_matrix_row():
    from django.urls import get_resolver

    from kobling.api.urls import router

    prefixes = {p for p, _v, _b in router.registry if p in {"timesheets", "expenses"}}
    covered = {p.split("/")[3] for p in READS}
    assert prefixes <= covered
    names = {
        key
        for key in get_resolver().namespace_dict["web"][1].reverse_dict
        if isinstance(key, str) and key in PAGES
    }
    pay_names = {
        pattern.name
        for pattern in __import__("kobling.pay.urls", fromlist=["urlpatterns"]).urlpatterns
    }
    assert pay_names == set(PAGES) == names
