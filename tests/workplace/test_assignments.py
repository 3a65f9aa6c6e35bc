"""An assignment's course from the leader's request to the closing evaluation, through the
services; each rule refuses what it should."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kobling.helpers.choices import HelperKind, HelperStatus
from kobling.lib.errors import ConflictError
from kobling.tenancy.models import AuditEntry
from kobling.workplace import services
from kobling.workplace.choices import AssignmentStatus, Decision
from kobling.workplace.models import Assignment
from tests import factories as f
from tests.workplace.conftest import coach

pytestmark = pytest.mark.django_db


def test_the_source_case_runs_from_request_to_evaluation(cast, hefa):
    """The HEFA case: ordered with target 8–9 and 7 meetings, 4–5 → 6–7, closed, evaluated."""
    leader = hefa.leader_a
    a = services.assignment_request(by=leader, workplace=hefa.workplace_a, request="Hjelp")
    assert a.status == AssignmentStatus.REQUESTED and a.adviser is None
    a = services.assignment_link(
        by=hefa.adviser_a, assignment=a, coach=hefa.coach_a, expected_version=a.version
    )
    assert a.status == AssignmentStatus.LINKED and a.adviser == hefa.adviser_a
    a = services.assignment_order(
        by=hefa.coach_user_a,
        assignment=a,
        goals="Mål",
        success="Suksess",
        target_low=8,
        target_high=9,
        planned_meetings=7,
        expected_version=a.version,
    )
    assert a.status == AssignmentStatus.ORDERED and a.target_text == "8–9"
    today = timezone.localdate()
    for days, scale in ((20, (4, 5)), (6, (6, 7))):
        services.meeting_log(
            by=hefa.coach_user_a,
            assignment=a,
            data={
                "held_on": today - dt.timedelta(days=days),
                "participants": "leder, coach",
                "scale_low": scale[0],
                "scale_high": scale[1],
            },
        )
    a.refresh_from_db()
    assert a.status == AssignmentStatus.IN_PROGRESS
    assert [m.scale_text for m in a.meetings.order_by("held_on")] == ["4–5", "6–7"]
    a = services.assignment_decide(
        by=hefa.coach_user_a, assignment=a, decision=Decision.CONTINUE, expected_version=a.version
    )
    assert a.status == AssignmentStatus.IN_PROGRESS
    a = services.assignment_decide(
        by=hefa.adviser_a, assignment=a, decision=Decision.CLOSE, expected_version=a.version
    )
    assert a.status == AssignmentStatus.CLOSED and a.closed_on == today
    with pytest.raises(PermissionDenied):
        services.assignment_evaluate(by=hefa.adviser_a, assignment=a, reaction=5, usefulness=5)
    a = services.assignment_evaluate(by=leader, assignment=a, reaction=5, usefulness=4)
    assert (a.reaction, a.usefulness, a.evaluated_on) == (5, 4, today)
    with pytest.raises(ValidationError, match="already been evaluated"):
        services.assignment_evaluate(by=leader, assignment=a, reaction=1, usefulness=1)
    with pytest.raises(ValidationError):
        services.meeting_log(
            by=hefa.coach_user_a,
            assignment=a,
            data={"held_on": today, "participants": "x", "scale_low": 5},
        )
    assert (
        AuditEntry.objects.filter(object_type="workplace.assignment", object_id=a.pk).count() == 6
    )


def test_only_a_trained_coach_of_the_municipality_with_a_free_place_is_linked(cast, hefa):
    a = services.assignment_request(by=hefa.adviser_a, workplace=hefa.workplace_a, request="x")
    untrained = coach(hefa.programme, status=HelperStatus.IN_TRAINING)
    contact = f.HelperFactory(programme=hefa.programme, status=HelperStatus.QUALIFIED)
    for helper in (untrained, contact, hefa.coach_b):
        with pytest.raises(ValidationError) as err:
            services.assignment_link(
                by=hefa.adviser_a, assignment=a, coach=helper, expected_version=a.version
            )
        assert "coach" in err.value.message_dict
    assert contact.kind == HelperKind.TRAINING_CONTACT
    full = coach(hefa.programme, capacity=1)
    services.assignment_link(by=hefa.adviser_a, assignment=a, coach=full, expected_version=1)
    other = services.assignment_request(by=hefa.adviser_a, workplace=hefa.workplace_a2, request="y")
    with pytest.raises(ValidationError, match="no free place"):
        services.assignment_link(
            by=hefa.adviser_a, assignment=other, coach=full, expected_version=other.version
        )
    assert full not in services.available_coaches(cast.a.pk)
    assert hefa.coach_a in services.available_coaches(cast.a.pk)


def test_a_stale_edit_is_refused_and_changes_nothing(hefa):
    a = hefa.assignment_a
    with pytest.raises(ConflictError):
        services.assignment_order(
            by=hefa.coach_user_a,
            assignment=a,
            goals="Annet",
            success="",
            target_low=7,
            planned_meetings=5,
            expected_version=a.version - 1,
        )
    meeting = hefa.meeting_a
    services.meeting_update(
        by=hefa.coach_user_a,
        meeting=meeting,
        data={"scale_low": 5, "scale_high": 6},
        expected_version=meeting.version,
    )
    with pytest.raises(ConflictError):
        services.meeting_update(
            by=hefa.adviser_a,
            meeting=meeting,
            data={"homework": "x"},
            expected_version=meeting.version,
        )
    a.refresh_from_db()
    assert a.goals == "Bedre samarbeid i personalgruppa"
    meeting.refresh_from_db()
    assert (meeting.scale_text, meeting.homework) == ("5–6", "Kartlegge oppgaver")


def test_scale_values_and_ranges_are_checked(hefa):
    a = hefa.assignment_a
    for data in ({"scale_low": 11}, {"scale_low": 0}, {"scale_low": 6, "scale_high": 5}):
        with pytest.raises(ValidationError):
            services.meeting_log(
                by=hefa.coach_user_a,
                assignment=a,
                data={"held_on": timezone.localdate(), "participants": "x", **data},
            )
    with pytest.raises(ValidationError, match="once it has been held"):
        services.meeting_log(
            by=hefa.coach_user_a,
            assignment=a,
            data={
                "held_on": timezone.localdate() + dt.timedelta(days=1),
                "participants": "x",
                "scale_low": 5,
            },
        )


def test_only_the_assignments_people_act_on_it(cast, hefa):
    a = hefa.assignment_a
    # The other coach, the other leader, B's adviser, A's coordinator can't log or evaluate.
    for user in (hefa.coach_user_a2, hefa.leader_a, hefa.adviser_b, cast.contact_user_a):
        with pytest.raises(PermissionDenied):
            services.meeting_log(
                by=user,
                assignment=a,
                data={"held_on": timezone.localdate(), "participants": "x", "scale_low": 5},
            )
    with pytest.raises(PermissionDenied):
        services.assignment_request(by=hefa.leader_a2, workplace=hefa.workplace_a, request="x")
    with pytest.raises(PermissionDenied):
        services.assignment_link(
            by=hefa.coach_user_a, assignment=a, coach=hefa.coach_a, expected_version=a.version
        )
    with pytest.raises(PermissionDenied):
        services.workplace_create(by=hefa.adviser_b, municipality=cast.a, name="Inntrenger")
    with pytest.raises(ValidationError, match="leader role"):
        services.workplace_create(
            by=hefa.adviser_a, municipality=cast.a, name="Ny", leader=hefa.coach_user_a
        )


def test_notes_are_for_the_coach_and_the_adviser_only(cast, hefa):
    a = Assignment.objects.select_related("coach").get(pk=hefa.assignment_a.pk)
    assert a.may_read_notes(hefa.coach_user_a) and a.may_read_notes(hefa.adviser_a)
    for user in (hefa.leader_a, cast.coordinator_a, cast.admin_a, hefa.coach_user_a2):
        assert not a.may_read_notes(user)
