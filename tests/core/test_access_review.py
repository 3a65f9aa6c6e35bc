"""The access-log review page (Normen): the municipal admin sees who touched which person, with
the flags; filters never change a row's flags; the page's own reads, the export and the monthly
review are audited; the query count does not grow with the rows; another municipality's admin
sees none of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.core import access_review
from kobling.core.models import AccessReview
from kobling.referrals.models import Episode
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db
URL = reverse("web:access_review")


def at(days_ago: int = 1, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def entry(user, obj, *, when: dt.datetime | None = None, action: str = "view") -> AuditEntry:
    return AuditEntry.objects.create(
        at=when or at(),
        user=user,
        username=user.username if user else "",
        municipality_id=obj.municipality_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        via="GET test",
    )


@pytest.fixture
def world(cast):
    helper = f.make_active(cast.helper_a)
    paired = s.active_pair(s.waiting(cast.programme_a, first_name="Paula"), helper)
    referred = s.waiting(cast.programme_a, first_name="Rita", referrer=cast.referrer_a)
    stranger = s.waiting(cast.programme_a, first_name="Sven")
    return paired, referred, stranger


def rows_of(response) -> list:
    """The page's rows from this test's own entries (building the world writes some too)."""
    return [r for r in response.context["page"] if r.via == "GET test"]


def period() -> dict[str, str]:
    return {
        "start": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
        "end": timezone.localdate().isoformat(),
    }


def test_reads_outside_the_caseload_are_flagged_per_role(cast, world):
    paired, referred, stranger = world
    entry(cast.contact_user_a, paired)  # their own pair
    entry(cast.contact_user_a, stranger)  # someone else's
    entry(cast.referrer_a, referred)  # their own referral
    entry(cast.referrer_a, stranger)  # not theirs
    entry(cast.coordinator_a, stranger)  # the coordinator sees the municipality
    response = signed_in(cast.admin_a).get(URL, period())
    assert response.status_code == 200
    flagged = {
        (r.username, r.person_name.split()[0]): "outside_caseload" in r.flags
        for r in rows_of(response)
        if r.person[0] == "participant"
    }
    assert flagged == {
        ("kontakt@a.test", "Paula"): False,
        ("kontakt@a.test", "Sven"): True,
        ("henviser@a.test", "Rita"): False,
        ("henviser@a.test", "Sven"): True,
        ("koordinator@a.test", "Sven"): False,
    }
    # A pairing names the helper too: the contact's own record is in their caseload.
    helper_rows = [r for r in rows_of(response) if r.person == ("helper", cast.helper_a.pk)]
    assert helper_rows and not any(r.flags for r in helper_rows)
    html = response.content.decode()
    assert "Outside caseload" in html and "Paula" in html


def test_list_reads_name_each_person_and_night_and_after_course_are_flagged(cast, world):
    paired, referred, stranger = world
    AuditEntry.objects.create(
        at=at(hour=23, minute=30),
        user=cast.coordinator_a,
        username=cast.coordinator_a.username,
        municipality_id=cast.a.pk,
        action="view",
        object_type="referrals.referral",
        object_repr="list (2)",
        via="GET test",
        changes={"ids": [str(referred.pk), str(stranger.pk)]},
    )
    long_ago = timezone.localdate() - dt.timedelta(days=500)
    Episode.objects.filter(participant=paired.participant).update(
        opened_on=long_ago - dt.timedelta(days=90),
        started_on=long_ago - dt.timedelta(days=80),
        ended_on=long_ago,
        status="ended",
    )
    entry(cast.coordinator_a, paired.participant)
    rows = rows_of(signed_in(cast.admin_a).get(URL, period()))
    by_name = {r.person_name.split()[0]: r.flags for r in rows if r.person[0] == "participant"}
    assert by_name == {"Rita": {"night"}, "Sven": {"night"}, "Paula": {"after_course"}}


def test_filters_pick_rows_but_never_change_their_flags(cast, world, settings):
    paired, referred, stranger = world
    settings.KOBLING_REVIEW_BURST_PERSONS = 3
    settings.KOBLING_REVIEW_BURST_MINUTES = 10
    for i, ref in enumerate([paired, referred, stranger]):
        entry(cast.coordinator_a, ref.participant, when=at(minute=i))
    entry(cast.referrer_a, referred, action="update")
    client = signed_in(cast.admin_a)
    everything = rows_of(client.get(URL, period()))
    assert sum("many_persons" in r.flags for r in everything) == 3
    only_sven = rows_of(client.get(URL, {**period(), "person": "sven", "user": "koordinator"}))
    assert [r.person_name.split()[0] for r in only_sven] == ["Sven"]
    assert only_sven[0].flags == {"many_persons"}
    updates = rows_of(client.get(URL, {**period(), "action": "update"}))
    assert {r.username for r in updates} == {"henviser@a.test"}
    course = Episode.objects.get(participant=paired.participant)
    by_course = rows_of(client.get(URL, {**period(), "course": course.pk}))
    assert {r.person for r in by_course} == {("participant", paired.participant_id)}
    flagged = rows_of(client.get(URL, {**period(), "flag": "any"}))
    assert all(r.flags for r in flagged) and len(flagged) == 3


def test_the_page_costs_the_same_queries_for_one_row_or_many(cast, world):
    paired, referred, stranger = world
    client = signed_in(cast.admin_a)
    entry(cast.contact_user_a, paired)
    entry(cast.referrer_a, referred)
    client.get(URL, period())  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL, period())
    for i in range(30):
        for ref in (paired, referred, stranger):
            entry(cast.contact_user_a, ref, when=at(days_ago=2, minute=i))
            entry(cast.referrer_a, ref.participant, when=at(days_ago=3, minute=i))
        entry(cast.coordinator_a, paired.participant, when=at(days_ago=4, minute=i))
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, period())
    assert len(response.context["page"]) == 50  # one page
    assert len(many) <= len(few) + 3, [q["sql"][:120] for q in many.captured_queries]


def test_reading_the_page_and_exporting_are_audited(cast, world):
    paired, referred, stranger = world
    entry(cast.contact_user_a, stranger)
    client = signed_in(cast.admin_a)
    client.get(URL, period())
    shown = AuditEntry.objects.get(user=cast.admin_a, object_type="referrals.participant")
    assert str(stranger.participant_id) in shown.changes["ids"]
    assert shown.object_repr == f"access review ({len(shown.changes['ids'])})"
    response = client.get(URL, {**period(), "export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("at,username,action,record_type")
    assert "kontakt@a.test" in body and "outside_caseload" in body and "Sven" in body
    assert AuditEntry.objects.filter(
        user=cast.admin_a, action="export", object_repr="access-review.csv"
    ).exists()


def test_the_monthly_review_is_recorded_once_per_month_and_listed(cast, world):
    client = signed_in(cast.admin_a)
    month = timezone.localdate().replace(day=1)
    data = {
        "month": f"{month:%Y-%m}",
        "findings": "Én lesing utenfor kontaktens par; avklart med koordinator.",
        "flags_checked": ["outside_caseload", "night"],
    }
    response = client.post(URL, data)
    assert response.status_code == 302
    record = AccessReview.objects.get()
    assert (record.municipality, record.month, record.reviewed_by) == (cast.a, month, cast.admin_a)
    assert record.flags_checked == ["outside_caseload", "night"]
    assert AuditEntry.objects.filter(action="create", object_type="core.accessreview").exists()
    page = client.get(URL).content.decode()
    assert "avklart med koordinator" in page
    again = client.post(URL, data)
    assert again.status_code == 200
    assert "already been reviewed" in again.content.decode()
    assert AccessReview.objects.count() == 1


def test_another_municipalitys_admin_sees_none_of_it(cast, world):
    paired, referred, stranger = world
    entry(cast.contact_user_a, stranger)
    admin_b = f.member(f.UserFactory(username="admin@b.test"), cast.b, Role.MUNICIPAL_ADMIN)
    client = signed_in(admin_b)
    assert rows_of(client.get(URL, period())) == []
    # Asking for A by number is refused by the form, not answered.
    refused = client.get(URL, {**period(), "municipality": cast.a.pk})
    assert refused.status_code == 400 and rows_of(refused) == []
    with pytest.raises(Exception, match="administrator"):
        access_review.access_review_record(
            municipality=cast.a,
            month=timezone.localdate(),
            by=admin_b,
            findings="x",
            flags_checked=[],
        )


def test_a_period_too_long_is_refused_with_a_message(cast):
    response = signed_in(cast.admin_a).get(URL, {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.status_code == 400
    assert "at most 93 days" in response.content.decode()
