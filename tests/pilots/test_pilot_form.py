"""Setting a pilot up and changing it on its page (the national analyst's), and the pilot's
attendance counting group meetings where a participating programme delivers in groups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.groups import services as groups
from kobling.groups.models import GroupEnrolment, Meeting
from kobling.pilots.models import Pilot
from kobling.pilots.selectors import load_rows, pilot_report
from kobling.pilots.services import pilot_create
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.groups.test_groups import course, leader, make_offer

pytestmark = pytest.mark.django_db


def _form(cast, **over):
    today = timezone.localdate()
    data = {
        "name": "Aktivitet på resept – pilot",
        "description": "Fem kommuner.",
        "municipalities": [cast.a.pk, cast.b.pk],
        "programmes": [cast.programme_a.pk],
        "period_start": f"{today - dt.timedelta(days=365):%Y-%m-%d}",
        "period_end": f"{today:%Y-%m-%d}",
        "owners": "forsker@test",
    }
    data.update(over)
    return data


def test_the_analyst_sets_up_a_pilot_with_municipalities_programmes_period_and_owner(cast):
    owner = f.UserFactory(username="forsker@test")
    client = signed_in(cast.analyst)
    assert client.get(reverse("web:pilot_create")).status_code == 200
    response = client.post(reverse("web:pilot_create"), _form(cast))
    pilot = Pilot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:pilot_detail", args=[pilot.pk])
    assert set(pilot.municipalities.all()) == {cast.a, cast.b}
    assert list(pilot.programmes.all()) == [cast.programme_a]
    assert list(pilot.owners.all()) == [owner]
    assert AuditEntry.objects.filter(user=cast.analyst, action="create").exists()
    # The owner now reaches it; the list offers the analyst a new pilot, not the owner.
    assert signed_in(owner).get(reverse("web:pilot_detail", args=[pilot.pk])).status_code == 200
    assert reverse("web:pilot_create") in client.get(reverse("web:pilot_list")).content.decode()
    assert reverse("web:pilot_create") not in (
        signed_in(owner).get(reverse("web:pilot_list")).content.decode()
    )


def test_the_form_names_what_is_wrong_and_saves_nothing(cast):
    f.UserFactory(username="forsker@test")
    client = signed_in(cast.analyst)
    today = timezone.localdate()
    cases = [
        ({"owners": "ingen@test"}, "ingen@test"),
        ({"municipalities": []}, "This field is required"),
        ({"municipalities": [cast.b.pk]}, "A programme must belong"),
        ({"period_end": f"{today - dt.timedelta(days=400):%Y-%m-%d}"}, "end on or after"),
    ]
    for change, text in cases:
        response = client.post(reverse("web:pilot_create"), _form(cast, **change))
        assert response.status_code == 200, change
        body = response.content.decode()
        assert text in body, change
    assert not Pilot.objects.exists()


def test_the_analyst_changes_a_pilot_with_the_version_read(cast):
    owner = f.UserFactory(username="forsker@test", email="forsker@uni.test")
    today = timezone.localdate()
    pilot = pilot_create(
        by=cast.analyst,
        name="Pilot",
        municipalities=[cast.a],
        period_start=today - dt.timedelta(days=30),
        period_end=today,
    )
    client = signed_in(cast.analyst)
    page = client.get(reverse("web:pilot_edit", args=[pilot.pk])).content.decode()
    assert 'name="version" value="1"' in page
    data = _form(cast, name="Pilot 2", owners="FORSKER@uni.test", version=1)
    response = client.post(reverse("web:pilot_edit", args=[pilot.pk]), data)
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.name, pilot.version) == ("Pilot 2", 2)
    assert set(pilot.municipalities.all()) == {cast.a, cast.b}
    assert list(pilot.owners.all()) == [owner]
    # A form from before that change is refused, not saved over it.
    stale = client.post(
        reverse("web:pilot_edit", args=[pilot.pk]), _form(cast, name="Pilot 3", version=1)
    )
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    pilot.refresh_from_db()
    assert pilot.name == "Pilot 2"
    # The owner reads the pilot but cannot change it.
    assert (
        signed_in(owner).post(reverse("web:pilot_edit", args=[pilot.pk]), data).status_code == 403
    )


def test_group_meetings_count_in_the_pilots_attendance(cast):
    """Programme A delivers in groups: Anne came to every held meeting, Bjørn to the first only;
    the pilot's attendance and attended count read the entries that stand."""
    offer = make_offer(cast, leaders=[leader(cast)])
    anne, bjorn = course(cast, first_name="Anne"), course(cast, first_name="Bjørn")
    for member in (anne, bjorn):
        groups.enrolment_create(offer=offer, episode=member, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    groups.meetings_generate(offer=offer, by=cast.coordinator_a)
    past = list(Meeting.objects.filter(offer=offer, date__lt=timezone.localdate()).order_by("date"))
    assert len(past) >= 4
    for n, meeting in enumerate(past):
        came = {anne.pk} | ({bjorn.pk} if n == 0 else set())
        groups.attendance_record(meeting=meeting, by=cast.coordinator_a, came=came)
    # A correction stands instead of the entry it corrects: Bjørn came to the second, too.
    groups.attendance_record(
        meeting=Meeting.objects.get(pk=past[1].pk),
        by=cast.coordinator_a,
        came={anne.pk, bjorn.pk},
        expected_version=Meeting.objects.get(pk=past[1].pk).version,
    )
    today = timezone.localdate()
    pilot = pilot_create(
        by=cast.analyst,
        name="Grupper",
        municipalities=[cast.a],
        programmes=[cast.programme_a],
        period_start=today - dt.timedelta(days=365),
        period_end=today,
    )
    rows = {(r.attended, r.recorded) for r in load_rows(pilot)}
    n = len(past)
    assert rows == {(n, n), (2, n)}
    report = pilot_report(pilot)
    attended = next(line for line in report.lines if line.key == "attended")
    # Two participants: a count describing fewer than 5 persons is suppressed.
    assert attended.cells[-1].value == "<5"
