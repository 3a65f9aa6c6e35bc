"""The monthly newsletter: started and closed in the month, the scale's mean movement, networks
that met, the quarter's IA figures under the small-cell rule; page and PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.tenancy.choices import Role
from kobling.workplace import ia, newsletter, services
from kobling.workplace.choices import Decision
from tests import factories as f
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_month_in_numbers(cast, hefa):
    today = timezone.localdate()
    # Assignment A: 4–5 two weeks ago → 7 today (+2.5); A2 has only one meeting (not counted).
    services.meeting_log(
        by=hefa.coach_user_a,
        assignment=hefa.assignment_a,
        data={"held_on": today, "participants": "leder, coach", "scale_low": 7},
    )
    a2 = hefa.assignment_a2
    a2.refresh_from_db()
    services.assignment_decide(
        by=hefa.adviser_a, assignment=a2, decision=Decision.CLOSE, expected_version=a2.version
    )
    quarter = (today.month - 1) // 3 + 1
    ia.figures_save(
        by=hefa.adviser_a,
        municipality=cast.a,
        values={
            "year": today.year,
            "quarter": quarter,
            "active_sick_leave": 40,
            "graded_sick_leave": 3,
            "vocational_rehabilitation": 12,
            "grants_applied": 9,
            "grants_approved": 6,
            "grants_rejected": 0,
        },
    )
    letter = newsletter.build(cast.a, today)
    assert (letter.started, letter.closed) == (2, 1)
    assert (letter.moved, letter.movement) == (1, 2.5)
    values = dict(letter.ia)
    assert values["active sick leave"] == 40 and values["graded sick leave"] == "<5"
    assert values["adaptation grants rejected"] == 0
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    assert newsletter.build(cast.a, last_month).closed == 0
    client = signed_in(hefa.adviser_a)
    page = client.get("/arbeidsplass/nyhetsbrev/").content.decode()
    assert "+2.5" in page and "&lt;5" in page
    pdf = client.get(f"/arbeidsplass/nyhetsbrev/?month={today:%Y-%m}&format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_an_adviser_of_two_municipalities_chooses_which_one_the_staff_pages_are_about(cast, hefa):
    """The newsletter, the IA figures and a new leader network were always about the first of
    the user's municipalities; ``?m=`` (a picker on the page) now chooses among theirs."""
    adviser = f.member(hefa.adviser_a, cast.b, Role.IA_ADVISER)
    client = signed_in(adviser)
    first = client.get("/arbeidsplass/nyhetsbrev/").content.decode()
    assert "· Aby" in first and 'name="m"' in first  # first by name, and the picker
    chosen = client.get(f"/arbeidsplass/nyhetsbrev/?m={cast.b.pk}").content.decode()
    assert "· Bestad" in chosen and f"?m={cast.b.pk}&amp;month=" in chosen  # the PDF follows
    pdf = client.get(f"/arbeidsplass/nyhetsbrev/?m={cast.b.pk}&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    foreign = f.MunicipalityFactory(code="9003", name="Andeby")
    assert "· Aby" in client.get(f"/arbeidsplass/nyhetsbrev/?m={foreign.pk}").content.decode()

    figures = client.get(f"/arbeidsplass/ia-tall/?m={cast.b.pk}").content.decode()
    assert "· Bestad" in figures

    network = client.get(f"/arbeidsplass/nettverk/ny/?m={cast.b.pk}").content.decode()
    assert "Bjørn Coach" in network and "Sentrum sykehjem" not in network  # B's coaches
    assert "Sentrum sykehjem" in client.get("/arbeidsplass/nettverk/ny/").content.decode()


def test_an_adviser_of_one_municipality_sees_no_picker(cast, hefa):
    page = signed_in(hefa.adviser_a).get("/arbeidsplass/nyhetsbrev/").content.decode()
    assert "· Aby" in page and 'name="m"' not in page
