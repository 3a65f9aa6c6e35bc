"""The workplace-coaching demo on the demo's two towns: every state, the source's scale path,
a network that met, two years of IA figures; the adviser's pages open."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.utils import timezone

from kobling.courses.models import CourseTemplate, ModuleAttendance, Qualification
from kobling.demo.workplace import load_workplace_demo
from kobling.support.models import PoolRun
from kobling.tenancy.models import Municipality, User
from kobling.workplace.choices import AssignmentStatus
from kobling.workplace.models import Assignment, IAFigures, LeaderNetwork
from tests import factories as f
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_state_the_source_case_a_network_and_two_years_of_figures():
    for code, name in (("4650", "Fjordvik"), ("5560", "Nordby")):
        f.MunicipalityFactory(code=code, name=name)
    counts = load_workplace_demo(timezone.localdate())
    assert counts == {
        "coaching_assignments": 20,
        "leader_networks": 8,
        "ia_quarters": 40,
        "trained_coaches": 59,
    }
    programme = Assignment.objects.values_list("status", flat=True)
    assert set(programme) == set(AssignmentStatus.values)
    assert Municipality.objects.filter(programmes__kind="workplace_coaching").count() == 5
    # Every coach is qualified by the coach training: 5 gatherings, 10 days.
    template = CourseTemplate.objects.get(code="hefa-coachutdanning")
    assert template.modules.count() == 5 and template.total_hours == 75
    assert Qualification.objects.filter(template=template).count() == 59
    assert ModuleAttendance.objects.filter(attended=True).count() == 59 * 5
    # The pool after its share-out, in every municipality of the programme.
    assert PoolRun.objects.filter(year=timezone.localdate().year - 1).count() == 5
    assert all(
        n == 2
        for n in LeaderNetwork.objects.annotate(n=Count("facilitators")).values_list("n", flat=True)
    )
    fjordvik = Assignment.objects.filter(municipality__name="Fjordvik")
    assert set(fjordvik.values_list("status", flat=True)) == set(AssignmentStatus.values)
    case = fjordvik.filter(status=AssignmentStatus.IN_PROGRESS).order_by("pk").first()
    assert case.target_text == "8–9" and case.planned_meetings == 7
    assert [m.scale_text for m in case.meetings.order_by("held_on")] == ["4–5", "5–6", "6–7"]
    assert fjordvik.get(status=AssignmentStatus.CLOSED).usefulness == 4
    network = LeaderNetwork.objects.filter(municipality__name="Fjordvik").first()
    assert network.facilitators.count() == 2 and network.meetings.filter(held=True).exists()
    assert IAFigures.objects.filter(municipality__name="Nordby").count() == 8
    adviser = signed_in(User.objects.get(username="ia@fjordvik.demo"))
    assert adviser.get(f"/arbeidsplass/oppdrag/{case.pk}/").status_code == 200
    assert adviser.get("/arbeidsplass/ia-tall/").status_code == 200
    region = adviser.get("/arbeidsplass/ia-tall/region/")
    assert [r.municipality.name for r in region.context["figures"].rows] == [
        "Dalsbygd",
        "Fjordvik",
        "Havøy",
        "Nesvik",
    ]
    assert adviser.get("/arbeidsplass/nyhetsbrev/").status_code == 200
    leader = signed_in(case.workplace.leader)
    assert "Kort notat" not in leader.get(f"/arbeidsplass/oppdrag/{case.pk}/").content.decode()
