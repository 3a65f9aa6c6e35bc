"""The monthly newsletter: started and closed in the month, the scale's mean movement, networks
that met, the quarter's IA figures under the small-cell rule; page and PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.workplace import ia, newsletter, services
from kobling.workplace.choices import Decision
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
