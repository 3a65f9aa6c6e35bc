"""The pilot's health account end to end, and who may see it.

Decisions recorded here: the national analyst sees every pilot; a user the pilot names as its
owner sees that pilot only; everyone else (the municipalities' own staff included) gets 403 —
a pilot shows aggregates across municipalities, never a person, and is not the municipality's
own evaluation (that is the dashboards)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.outcomes import services as outcomes
from kobling.pilots.services import pilot_create
from kobling.providers import services as providers
from kobling.referrals import episodes
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.providers.builders import gym, placed, provider_course, provider_programme

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
    "owner",
    "other_owner",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    return list(zip(ROLES, codes, strict=True))


LIST = matrix(403, 403, 403, 403, 403, 200, 403, 200, 200)
ROW = matrix(403, 403, 403, 403, 403, 200, 403, 200, 404)

READS = {
    "/api/v1/pilots/": LIST,
    "/api/v1/pilots/{pilot}/": ROW,
    "/api/v1/pilots/{pilot}/account/": ROW,
}
PAGES = {
    "pilot_list": ((), LIST),
    "pilot_detail": (("pilot",), ROW),
    "pilot_csv": (("pilot",), ROW),
    "pilot_pdf": (("pilot",), ROW),
    # Setting a pilot up and changing it: the national analyst's only (an owner reads).
    "pilot_create": ((), matrix(403, 403, 403, 403, 403, 200, 403, 403, 403)),
    "pilot_edit": (("pilot",), matrix(403, 403, 403, 403, 403, 200, 403, 403, 403)),
}


def _score(course, kind, on, minutes, health):
    outcomes.review_record(
        course=course,
        by=None,
        kind=kind,
        date=on,
        scores=[
            outcomes.ScoreInput(instrument="activity_minutes", value=Decimal(minutes)),
            outcomes.ScoreInput(instrument="self_rated_health", value=Decimal(health)),
        ],
    )


@pytest.fixture
def pilot(cast):
    today = timezone.localdate()
    programme = provider_programme(cast)
    provider = gym(cast)
    for i in range(6):
        course = provider_course(cast, programme, provider, first_name=f"Deltaker{i}")
        placement = placed(cast, course, provider)
        for day in range(4):
            providers.visit_record(
                placement=placement,
                visited_on=placement.starts_on + dt.timedelta(days=7 * day),
                minutes=60,
                source="api",
            )
        _score(course, "start", placement.starts_on, 60 + i, 2)
        if i < 5:
            _score(course, "end", today, 150 + i, 4)
            episodes.episode_end(
                episode=course, by=cast.coordinator_a, ended_on=today, end_reason="goal_reached"
            )
    # Another programme of A that the pilot does not count.
    other = f.ProgrammeFactory(municipality=cast.a, name="Frisklivsresept")
    owner = f.UserFactory(username="forsker@test")
    other_owner = f.UserFactory(username="forsker2@test")
    made = pilot_create(
        by=cast.analyst,
        name="Aktivitet på resept – pilot",
        municipalities=[cast.a, cast.b],
        programmes=[programme],
        period_start=today - dt.timedelta(days=365),
        period_end=today,
        owners=[owner],
    )
    pilot_create(
        by=cast.analyst,
        name="Another pilot",
        municipalities=[cast.b],
        period_start=today,
        period_end=today,
        owners=[other_owner],
    )
    assert other.pk
    cast.roles.update(owner=owner, other_owner=other_owner)
    return made


@pytest.mark.parametrize(
    ("url", "role", "expected"), [(u, r, c) for u, pairs in READS.items() for r, c in pairs]
)
def test_every_pilot_endpoint_allows_or_denies_each_role(cast, api, pilot, url, role, expected):
    response = api(cast.roles[role]).get(url.format(pilot=pilot.pk))
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("name", "role", "expected"), [(n, r, c) for n, (_a, pairs) in PAGES.items() for r, c in pairs]
)
def test_every_pilot_page_allows_or_denies_each_role(cast, pilot, name, role, expected):
    args = [pilot.pk for _ in PAGES[name][0]]
    assert (
        signed_in(cast.roles[role]).get(reverse(f"web:{name}", args=args)).status_code == expected
    )


def test_the_account_counts_the_pilots_courses_with_intervals_and_suppression(cast, api, pilot):
    data = api(cast.analyst).get(f"/api/v1/pilots/{pilot.pk}/account/").json()
    figures = {line["figure"]: line["cells"] for line in data["figures"]}
    groups = [c["group"] for c in figures["participants"]]
    assert groups == ["Aby", "Bestad", "All"]
    assert [c["value"] for c in figures["participants"]] == [6, 0, 6]
    completion = figures["completion"][2]
    assert completion["n"] == 5 and completion["value"] == 100.0
    assert completion["ci95_low"] < 100 <= completion["ci95_high"] + 1e-9
    change = figures["change_activity_minutes"][0]
    assert change["n"] == 5 and change["value"] == 90.0
    health = figures["change_self_rated_health"][2]
    assert health["value"] == 2.0
    attendance = figures["attendance"][2]
    assert attendance["n"] == 6 and attendance["value"] == 100.0
    assert figures["attended"][2]["value"] == 24
    # Nothing followed up yet: no value, no interval, n 0.
    assert figures["still_active_6m"][2]["value"] is None


def test_a_pilot_whose_period_holds_no_start_counts_nothing(cast, api, pilot):
    empty = pilot_create(
        by=cast.analyst,
        name="Liten",
        municipalities=[cast.a],
        programmes=list(pilot.programmes.all()),
        period_start=timezone.localdate() - dt.timedelta(days=365),
        period_end=timezone.localdate() - dt.timedelta(days=60),
    )
    data = api(cast.analyst).get(f"/api/v1/pilots/{empty.pk}/account/").json()
    assert data["courses_counted"] == 0
    assert {c["value"] for line in data["figures"] for c in line["cells"]} <= {0, 0.0, None}


def test_the_csv_is_long_format_numbers_as_numbers_and_formula_safe(cast, pilot):
    from kobling.pilots.models import Pilot

    Pilot.objects.filter(pk=pilot.pk).update(name="=HYPERLINK(1)")
    response = signed_in(cast.analyst).get(reverse("web:pilot_csv", args=[pilot.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["pilot", "group", "municipality_code", "figure"]
    assert all(r[0] == "'=HYPERLINK(1)" for r in rows[1:])
    participants = [r for r in rows if r[3] == "participants"]
    assert [(r[1], r[7]) for r in participants] == [("Aby", "6"), ("Bestad", "0"), ("All", "6")]
    negative = [r for r in rows if r[8].startswith("'")]
    assert not negative, "numbers must stay numbers"
    assert AuditEntry.objects.filter(user=cast.analyst, action="export").exists()


def test_the_pdf_and_the_page_show_the_account(cast, pilot):
    client = signed_in(cast.roles["owner"])
    page = client.get(reverse("web:pilot_detail", args=[pilot.pk])).content.decode()
    assert "Aby" in page and "Bestad" in page and "Deltaker" not in page
    pdf = client.get(reverse("web:pilot_pdf", args=[pilot.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_only_the_analyst_sets_up_a_pilot(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        pilot_create(
            by=cast.coordinator_a,
            name="X",
            municipalities=[cast.a],
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
        )


def test_the_list_queries_do_not_grow_with_the_pilots(
    cast, api, pilot, django_assert_max_num_queries
):
    for i in range(5):
        pilot_create(
            by=cast.analyst,
            name=f"P{i}",
            municipalities=[cast.a, cast.b],
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
        )
    with django_assert_max_num_queries(8):
        assert api(cast.analyst).get("/api/v1/pilots/").status_code == 200
