"""The workplace-coaching cast on top of the common one: an IA adviser, two coaches and two
workplace leaders in municipality A, an adviser in B; an assignment in progress for each of A's
workplaces (one per coach) with a logged meeting."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.workplace import services
from tests import factories as f


def coach(programme, user=None, *, trained=True, **extra):  # noqa: ANN001, ANN003, ANN201
    """A workplace coach; ``trained`` gives the qualification of the coach training."""
    helper = f.HelperFactory(
        programme=programme,
        user=user,
        kind=HelperKind.WORKPLACE_COACH,
        **{"status": HelperStatus.QUALIFIED, "capacity": 2, **extra},
    )
    if trained:
        f.qualify(helper, on=timezone.localdate() - dt.timedelta(days=60))
    return helper


def in_progress(*, adviser, coach_helper, workplace, scale=(4, 5)):  # noqa: ANN001, ANN201
    """An assignment taken through request → link → order → one meeting."""
    a = services.assignment_request(by=adviser, workplace=workplace, request="Høyt sykefravær")
    a = services.assignment_link(
        by=adviser,
        assignment=a,
        coach=coach_helper,
        co_coach="Bedriftshelsetjenesten",
        pre_meeting_on=timezone.localdate() - dt.timedelta(days=30),
        expected_version=a.version,
    )
    a = services.assignment_order(
        by=adviser,
        assignment=a,
        goals="Bedre samarbeid i personalgruppa",
        success="Færre konflikter",
        target_low=8,
        target_high=9,
        planned_meetings=7,
        expected_version=a.version,
    )
    services.meeting_log(
        by=adviser,
        assignment=a,
        data={
            "held_on": timezone.localdate() - dt.timedelta(days=14),
            "participants": "leder, coach, bedriftshelsetjenesten",
            "notes": "Fortrolig notat",
            "scale_low": scale[0],
            "scale_high": scale[1],
            "homework": "Kartlegge oppgaver",
        },
    )
    a.refresh_from_db()
    return a


@pytest.fixture
def hefa(cast):
    programme = f.ProgrammeFactory(
        municipality=cast.a, kind=ProgrammeKind.WORKPLACE_COACHING, name="HEFA"
    )
    programme_b = f.ProgrammeFactory(
        municipality=cast.b, kind=ProgrammeKind.WORKPLACE_COACHING, name="HEFA"
    )
    adviser_a = f.member(f.UserFactory(username="ia@a.test"), cast.a, Role.IA_ADVISER)
    adviser_b = f.member(f.UserFactory(username="ia@b.test"), cast.b, Role.IA_ADVISER)
    coach_user_a = f.member(f.UserFactory(username="coach@a.test"), cast.a, Role.WORKPLACE_COACH)
    coach_user_a2 = f.member(f.UserFactory(username="coach2@a.test"), cast.a, Role.WORKPLACE_COACH)
    leader_a = f.member(f.UserFactory(username="leder@a.test"), cast.a, Role.WORKPLACE_LEADER)
    leader_a2 = f.member(f.UserFactory(username="leder2@a.test"), cast.a, Role.WORKPLACE_LEADER)
    coach_a = coach(programme, coach_user_a, first_name="Cecilie", last_name="Coach")
    coach_a2 = coach(programme, coach_user_a2, first_name="Carl", last_name="Coach")
    coach_b = coach(programme_b, first_name="Bjørn", last_name="Coach")
    workplace_a = services.workplace_create(
        by=adviser_a, municipality=cast.a, name="Sentrum sykehjem", leader=leader_a
    )
    workplace_a2 = services.workplace_create(
        by=adviser_a, municipality=cast.a, name="Aby skole", leader=leader_a2
    )
    workplace_b = services.workplace_create(
        by=adviser_b, municipality=cast.b, name="Bestad barnehage"
    )
    assignment_a = in_progress(adviser=adviser_a, coach_helper=coach_a, workplace=workplace_a)
    assignment_a2 = in_progress(adviser=adviser_a, coach_helper=coach_a2, workplace=workplace_a2)
    assignment_b = in_progress(adviser=adviser_b, coach_helper=coach_b, workplace=workplace_b)
    roles = {
        **cast.roles,
        "adviser_a": adviser_a,
        "coach_a": coach_user_a,
        "leader_a": leader_a,
        "leader_a2": leader_a2,
    }
    return SimpleNamespace(
        programme=programme,
        adviser_a=adviser_a,
        adviser_b=adviser_b,
        coach_user_a=coach_user_a,
        coach_user_a2=coach_user_a2,
        leader_a=leader_a,
        leader_a2=leader_a2,
        coach_a=coach_a,
        coach_a2=coach_a2,
        coach_b=coach_b,
        workplace_a=workplace_a,
        workplace_a2=workplace_a2,
        workplace_b=workplace_b,
        assignment_a=assignment_a,
        assignment_a2=assignment_a2,
        assignment_b=assignment_b,
        meeting_a=assignment_a.meetings.get(),
        roles=roles,
    )


@pytest.fixture
def network(cast, hefa):
    """A leader network in A: leaders A and A2 and three more, coach A facilitating, a meeting
    two weeks ago and one planned."""
    from kobling.workplace import networks

    more = [
        services.workplace_create(
            by=hefa.adviser_a,
            municipality=cast.a,
            name=f"Avdeling {n}",
            leader=f.member(f.UserFactory(), cast.a, Role.WORKPLACE_LEADER),
        )
        for n in range(3)
    ]
    today = timezone.localdate()
    return networks.network_create(
        by=hefa.adviser_a,
        municipality=cast.a,
        name="Ledernettverk helse",
        members=[hefa.workplace_a, hefa.workplace_a2, *more],
        facilitators=[hefa.coach_a],
        meeting_plan=[
            (today - dt.timedelta(days=14), "Nærværsarbeid"),
            (today + dt.timedelta(days=14), "Tilrettelegging"),
        ],
    )
