"""Changing a group offer (page and API PATCH, with the version read): leaders checked as when it
is made, places never below those enrolled (more places go to the waiting list), a shorter term
removes the planned meetings outside it but is refused while a held one would fall outside, a
longer term gets its meetings; and a meeting's substitute, named by a coordinator, leads it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from kobling.groups import services
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting
from kobling.lib.errors import ConflictError
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.groups.test_groups import course, leader, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(cast):
    made = make_offer(cast, capacity=3, weeks_back=2, weeks_ahead=6)
    services.meetings_generate(offer=made, by=cast.coordinator_a)
    return made


def _update(cast, offer, **data):
    offer.refresh_from_db()
    leaders = data.pop("leaders", None)
    return services.offer_update(
        offer=offer,
        by=cast.coordinator_a,
        data=data,
        leaders=leaders,
        expected_version=offer.version,
    )


def test_places_cannot_go_below_those_enrolled_and_more_places_take_the_waiting(cast, offer):
    people = [course(cast, first_name=n) for n in ("A", "B", "C", "D")]
    for person in people:
        services.enrolment_create(offer=offer, episode=person, by=cast.coordinator_a)
    with pytest.raises(ValidationError) as refused:
        _update(cast, offer, capacity=2)
    assert "3 courses are enrolled" in str(refused.value)
    assert GroupOffer.objects.get(pk=offer.pk).capacity == 3
    _update(cast, offer, capacity=4)
    assert GroupEnrolment.objects.filter(offer=offer, status="enrolled").count() == 4


def test_a_stale_version_or_a_stranger_is_refused(cast, offer):
    with pytest.raises(ConflictError):
        services.offer_update(
            offer=offer,
            by=cast.coordinator_a,
            data={"title": "Ny"},
            expected_version=offer.version - 1 if offer.version > 1 else 99,
        )
    with pytest.raises(PermissionDenied):
        services.offer_update(
            offer=offer, by=cast.coordinator_b, data={"title": "Ny"}, expected_version=None
        )
    with pytest.raises(ValidationError):
        _update(cast, offer, leaders=[leader(cast, kind="training_contact")])
    with pytest.raises(ValidationError):
        _update(cast, offer, leaders=[])
    with pytest.raises(ValidationError):
        _update(cast, offer, programme=cast.programme_b)
    assert GroupOffer.objects.get(pk=offer.pk).title == "Trening i gruppe"


def test_a_shorter_term_removes_planned_meetings_and_keeps_held_ones_inside(cast, offer):
    today = timezone.localdate()
    person = course(cast)
    services.enrolment_create(offer=offer, episode=person, by=cast.coordinator_a)
    GroupEnrolment.objects.update(enrolled_on=offer.term_start)
    first = Meeting.objects.filter(offer=offer).order_by("date").first()
    services.attendance_record(meeting=first, by=cast.coordinator_a, came={person.pk})
    # Starting the term after a held meeting is refused, naming its date.
    with pytest.raises(ValidationError) as refused:
        _update(cast, offer, term_start=first.date + dt.timedelta(days=1))
    assert first.date.strftime("%d.%m.%Y") in str(refused.value)
    before = Meeting.objects.filter(offer=offer).count()
    new_end = today + dt.timedelta(weeks=2)
    _update(cast, offer, term_end=new_end)
    assert not Meeting.objects.filter(offer=offer, date__gt=new_end).exists()
    assert Meeting.objects.filter(offer=offer).count() < before
    assert Meeting.objects.filter(pk=first.pk, status="held").exists()
    # A longer term gets its meetings again from the weekly times.
    _update(cast, offer, term_end=today + dt.timedelta(weeks=6))
    assert Meeting.objects.filter(offer=offer).count() == before
    assert AuditEntry.objects.filter(
        object_type="groups.groupoffer", object_id=str(offer.pk), action="update"
    ).exists()


def test_the_page_changes_a_group_and_a_stale_form_is_refused(cast, offer):
    client = signed_in(cast.coordinator_a)
    url = f"/grupper/{offer.pk}/endre/"
    assert url in client.get(f"/grupper/{offer.pk}/").content.decode()
    form = {
        "leaders": [h.pk for h in offer.leaders.all()],
        "title": "Styrke for alle",
        "topic": "training",
        "place": "Hallen",
        "term_start": offer.term_start.isoformat(),
        "term_end": offer.term_end.isoformat(),
        "capacity": "10",
        "minimum_size": "0",
        "is_active": "on",
        "version": str(offer.version),
    }
    enrolled = [course(cast, first_name=n) for n in ("A", "B")]
    for person in enrolled:
        services.enrolment_create(offer=offer, episode=person, by=cast.coordinator_a)
    too_few = client.post(url, {**form, "capacity": "1"})
    assert too_few.status_code == 200
    assert "2 courses are enrolled" in too_few.content.decode()
    done = client.post(url, form)
    assert done.status_code == 302
    offer.refresh_from_db()
    assert (offer.title, offer.capacity, offer.place) == ("Styrke for alle", 10, "Hallen")
    stale = client.post(url, {**form, "title": "Gammel"})
    assert stale.status_code == 200 and "Someone else changed this" in stale.content.decode()
    assert GroupOffer.objects.get(pk=offer.pk).title == "Styrke for alle"


def test_the_api_patches_a_group_with_the_version_and_409_when_stale(cast, api, offer):
    client = api(cast.coordinator_a)
    url = f"/api/v1/group-offers/{offer.pk}/"
    version = client.get(url).json()["version"]
    assert client.patch(url, {"capacity": 8}, format="json").status_code == 400
    done = client.patch(url, {"capacity": 8, "version": version}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["capacity"] == 8 and done.json()["version"] == version + 1
    assert client.patch(url, {"capacity": 9, "version": version}, format="json").status_code == 409
    backwards = client.patch(
        url,
        {"term_end": str(offer.term_start - dt.timedelta(days=1)), "version": version + 1},
        format="json",
    )
    assert backwards.status_code == 400 and "term_end" in backwards.json()
    assert (
        api(cast.coordinator_b)
        .patch(url, {"capacity": 9, "version": version + 1}, format="json")
        .status_code
        == 404
    )
    assert (
        api(cast.referrer_a)
        .patch(url, {"capacity": 9, "version": version + 1}, format="json")
        .status_code
        == 403
    )


def test_a_substitute_is_named_for_a_meeting_and_may_record_it(cast, api, offer):
    today = timezone.localdate()
    sub = leader(cast, kind="instructor", user=cast.contact_user_a)
    planned = Meeting.objects.filter(offer=offer, date__lte=today).order_by("-date").first()
    client = api(cast.coordinator_a)
    url = f"/api/v1/meetings/{planned.pk}/substitute/"
    wrong = leader(cast, kind="training_contact")
    refused = client.post(url, {"substitute": wrong.pk, "version": planned.version}, format="json")
    assert refused.status_code == 400
    done = client.post(url, {"substitute": sub.pk, "version": planned.version}, format="json")
    assert done.status_code == 200 and done.json()["substitute"] == sub.pk
    stale = client.post(url, {"substitute": None, "version": planned.version}, format="json")
    assert stale.status_code == 409
    # The substitute (not one of the group's leaders) now sees and records that meeting.
    planned.refresh_from_db()
    services.attendance_record(meeting=planned, by=cast.contact_user_a, came=set())
    assert Meeting.objects.get(pk=planned.pk).status == "held"
    # On the page: a coordinator names or clears the substitute of another planned meeting.
    later = Meeting.objects.filter(offer=offer, date__gt=today).first()
    page = signed_in(cast.coordinator_a)
    assert f"/samlinger/{later.pk}/vikar/" in page.get(f"/grupper/{offer.pk}/").content.decode()
    saved = page.post(
        f"/samlinger/{later.pk}/vikar/", {"substitute": sub.pk, "version": later.version}
    )
    assert saved.status_code == 302
    assert Meeting.objects.get(pk=later.pk).substitute_id == sub.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_fewer_places_racing_an_enrolment_never_leaves_more_enrolled_than_places(cast):
    small = make_offer(cast, capacity=2)
    services.enrolment_create(
        offer=small, episode=course(cast, first_name="Ola"), by=cast.coordinator_a
    )
    newcomer = course(cast, first_name="Kari")
    version = GroupOffer.objects.get(pk=small.pk).version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol():
        from django.db import connection as conn

        try:
            barrier.wait(timeout=10)
            row = services.enrolment_create(offer=small, episode=newcomer, by=cast.coordinator_a)
            outcomes.append(row.status)
        finally:
            conn.close()

    def shrink():
        from django.db import connection as conn

        try:
            barrier.wait(timeout=10)
            services.offer_update(
                offer=small, by=cast.coordinator_a, data={"capacity": 1}, expected_version=version
            )
            outcomes.append("shrunk")
        except ValidationError:
            outcomes.append("refused")
        finally:
            conn.close()

    threads = [threading.Thread(target=enrol), threading.Thread(target=shrink)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    offer = GroupOffer.objects.get(pk=small.pk)
    enrolled = GroupEnrolment.objects.filter(offer=small, status="enrolled").count()
    assert enrolled <= offer.capacity
    assert sorted(outcomes) in (["enrolled", "refused"], ["shrunk", "waiting"])
