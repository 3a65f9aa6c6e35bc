"""The coach training as a course run with its qualification, the ranked proposal of coaches,
and the assignments a trained coach carries as Kirkpatrick level 3 for their course run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.courses.models import Qualification
from kobling.support.kirkpatrick_load import SPELL_SOURCES, run_behaviour
from kobling.tenancy.choices import ProgrammeKind
from kobling.workplace import services
from kobling.workplace.models import Assignment
from kobling.workplace.proposals import propose_coaches
from kobling.workplace.training import assignment_spells, is_trained
from tests import factories as f
from tests.workplace.conftest import coach

pytestmark = pytest.mark.django_db


def _request(hefa, workplace=None):  # noqa: ANN001, ANN202
    return services.assignment_request(
        by=hefa.adviser_a, workplace=workplace or hefa.workplace_a, request="Mye fravær"
    )


def test_only_a_coach_qualified_by_the_coach_training_can_be_linked(hefa):
    untrained = coach(hefa.programme, trained=False, first_name="Ulf", last_name="Ulært")
    assert not is_trained(untrained)
    a = _request(hefa)
    with pytest.raises(ValidationError, match="not a trained workplace coach"):
        services.assignment_link(
            by=hefa.adviser_a, assignment=a, coach=untrained, expected_version=a.version
        )
    assert untrained.pk not in {p.helper.pk for p in propose_coaches(a)}
    # An expired qualification does not count either.
    expired = coach(hefa.programme, trained=False, first_name="Eva", last_name="Utløpt")
    q = f.qualify(expired, on=timezone.localdate() - dt.timedelta(days=800))
    q.valid_until = timezone.localdate() - dt.timedelta(days=1)
    q.save()
    assert not is_trained(expired)
    f.qualify(untrained)
    linked = services.assignment_link(
        by=hefa.adviser_a, assignment=a, coach=untrained, expected_version=a.version
    )
    assert linked.coach_id == untrained.pk and linked.linked_on == timezone.localdate()


def test_the_proposals_are_ranked_by_open_assignments_and_leave_out_the_full_and_the_leader(
    cast, hefa
):
    # coach_a and coach_a2 carry one open assignment each (capacity 2).
    fresh = coach(hefa.programme, first_name="Frida", last_name="Fersk", capacity=1)
    full = coach(hefa.programme, first_name="Finn", last_name="Full", capacity=1)
    a_full = _request(hefa, hefa.workplace_a2)
    services.assignment_link(
        by=hefa.adviser_a, assignment=a_full, coach=full, expected_version=a_full.version
    )
    leading = coach(hefa.programme, hefa.leader_a, first_name="Lise", last_name="Leder", capacity=3)
    a = _request(hefa)
    proposals = propose_coaches(a)
    ranked = [p.helper.pk for p in proposals]
    assert ranked[0] == fresh.pk  # no open assignment
    assert set(ranked[1:]) == {hefa.coach_a.pk, hefa.coach_a2.pk}
    # coach_a has coached this workplace before: ahead of coach_a2 at the same load.
    assert ranked[1] == hefa.coach_a.pk and proposals[1].knows_workplace
    assert full.pk not in ranked and leading.pk not in ranked
    assert hefa.coach_b.pk not in ranked  # another municipality
    assert [p.rank for p in proposals] == [1, 2, 3]
    with pytest.raises(ValidationError, match="workplace they lead"):
        services.assignment_link(
            by=hefa.adviser_a, assignment=a, coach=leading, expected_version=a.version
        )


def test_the_proposals_api_is_the_advisers_and_the_page_shows_them(hefa, api):
    a = _request(hefa)
    rows = api(hefa.adviser_a).get(f"/api/v1/workplace-assignments/{a.pk}/proposals/").json()
    assert [r["helper"] for r in rows] == [p.helper.pk for p in propose_coaches(a)]
    assert rows[0]["free"] == 1 and rows[0]["reasons"]
    from tests.conftest import signed_in

    page = signed_in(hefa.adviser_a).get(f"/arbeidsplass/oppdrag/{a.pk}/").content.decode()
    assert "k-proposals" in page and hefa.coach_a.full_name in page


def test_assignments_are_a_kirkpatrick_spell_source_for_the_coach_training(cast, hefa):
    assert assignment_spells in SPELL_SOURCES
    template = f.CourseTemplateFactory(programme_kind=ProgrammeKind.WORKPLACE_COACHING)
    today = timezone.localdate()
    run = f.CourseRunFactory(
        template=template,
        programme=hefa.programme,
        starts_on=today - dt.timedelta(days=300),
        ends_on=today - dt.timedelta(days=240),
    )
    trainees = [
        coach(hefa.programme, trained=False, first_name=n, last_name="Kursdeltaker")
        for n in ("Astrid", "Bent")
    ]
    for helper in trainees:
        enrolment = f.EnrolmentFactory(run=run, helper=helper)
        Qualification.objects.create(
            helper=helper,
            municipality=cast.a,
            programme=hefa.programme,
            enrolment=enrolment,
            template=template,
            qualified_on=today - dt.timedelta(days=240),
        )
    assert all(is_trained(h) for h in trainees)
    a = _request(hefa)
    services.assignment_link(
        by=hefa.adviser_a, assignment=a, coach=trainees[0], expected_version=a.version
    )
    # linked today: not within 3 months of the qualification, but started (one placed spell).
    spells = list(assignment_spells({trainees[0].pk}))
    assert spells == [(trainees[0].pk, today, None)]
    # Linked a month after the training: placed within 3 months, still carrying it.
    Assignment.objects.filter(pk=a.pk).update(linked_on=today - dt.timedelta(days=210))
    result = run_behaviour(run, today)
    assert (result.qualified, result.judged_placed, result.placed) == (2, 2, 1)


def test_a_coachs_page_links_to_their_assignments_and_supervision(cast, hefa):
    from tests.conftest import signed_in

    client = signed_in(cast.coordinator_a)
    page = client.get(f"/kontakter/{hefa.coach_a.pk}/").content.decode()
    assert f"/arbeidsplass/?coach={hefa.coach_a.pk}" in page
    assert f"/veiledning/hjelpere/{hefa.coach_a.pk}/" in page
    listed = client.get(f"/arbeidsplass/?coach={hefa.coach_a.pk}").context["assignments"]
    assert [a.pk for a in listed] == [hefa.assignment_a.pk]
