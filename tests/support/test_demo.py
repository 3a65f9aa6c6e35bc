"""The demo's supervision: Fjordvik's training contacts in two groups with held and planned
meetings, individual sessions, last year's pool shared out, and the coordinator's pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.demo.loader import load_demo
from kobling.support import selectors
from kobling.support.choices import MeetingStatus
from kobling.support.models import PoolRun, SupervisionEntry, SupervisionGroup, SupervisionMeeting
from kobling.tenancy.models import Programme, User
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo()


def test_fjordvik_has_supervision_groups_meetings_hours_and_a_shared_pool(demo):
    today = timezone.localdate()
    programme = Programme.objects.get(municipality__name="Fjordvik", kind="treningskontakt")
    groups = SupervisionGroup.objects.filter(programme=programme)
    assert groups.count() == 2 and demo["supervision_groups"] == 2
    meetings = SupervisionMeeting.objects.filter(group__programme=programme)
    assert meetings.filter(status=MeetingStatus.HELD).exists()
    assert meetings.filter(status=MeetingStatus.PLANNED, date__gt=today).exists()
    assert SupervisionEntry.objects.filter(programme=programme, kind="individual").count() == 3
    run = PoolRun.objects.get(programme=programme, year=today.year - 1)
    assert run.returned_hours == run.shared_hours > 0
    summary = selectors.summary(programme, today.year)
    assert 0 < summary.supervised < summary.helpers
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    client = signed_in(coordinator)
    page = client.get(reverse("web:supervision_home")).content.decode()
    assert "Veiledningsgruppe 2 (DPS)" in page
    assert client.get(reverse("web:supervision_pool", args=[programme.pk])).status_code == 200


def test_the_demo_courses_have_kirkpatrick_numbers_on_their_pages(demo):
    from kobling.courses.models import CourseRun
    from kobling.support.kirkpatrick_load import evaluation, report

    assert demo["training_answers"] > 0
    # Fjordvik's completed contact course (the HEFA coach gatherings are runs of their own).
    run = CourseRun.objects.exclude(template__code="hefa-coachutdanning").get(
        municipality__name="Fjordvik", status="completed"
    )
    found = report(evaluation([run.pk], timezone.localdate()))
    assert isinstance(found["reaction"]["answered"], int) and found["reaction"]["answered"] >= 5
    assert isinstance(found["learning"]["pairs"], int) and found["learning"]["pairs"] >= 5
    assert found["learning"]["change"] > 0
    assert isinstance(found["behaviour"]["qualified"], int)
    staff = User.objects.get(username="kurs@fjordvik.demo")
    page = signed_in(staff).get(reverse("web:support_provider_evaluation", args=[run.provider_id]))
    assert page.status_code == 200 and "1. " in page.content.decode()
    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    page = signed_in(coordinator).get(reverse("web:support_run_evaluation", args=[run.pk]))
    assert page.status_code == 200


def test_the_contact_left_out_of_supervision_shows_on_the_alerts_page(demo):
    """The demo leaves one active contact out of every group so the coordinator sees the
    alert; they became active when the demo was loaded, so it did not show for 12 weeks."""
    from kobling.core.alerts import alerts_for
    from kobling.support.alerts import NO_SUPERVISION

    coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    alerts = [a for a in alerts_for(coordinator) if a.kind == NO_SUPERVISION]
    assert len(alerts) == 1
    assert "since the helper became active" in alerts[0].text
