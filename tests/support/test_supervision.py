"""Supervision groups, meetings and attendance, individual sessions and corrections, the
allowance and the pool, the alert, and the quality checklist's evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.core.alerts import alerts_for
from kobling.helpers.models import Helper
from kobling.support import selectors, services
from kobling.support.alerts import NO_SUPERVISION, no_supervision
from kobling.support.choices import EntryKind, MeetingStatus, PoolEntryKind
from kobling.support.models import PoolEntry, SupervisionEntry, SupervisionSettings
from tests import factories as f
from tests.conftest import signed_in
from tests.support.helpers import activate, make_group

pytestmark = pytest.mark.django_db


def hours(cast, helper, year=None):  # noqa: ANN001, ANN201
    year = year or timezone.localdate().year
    return selectors.hours_for([Helper.objects.get(pk=helper.pk)], year)[0]


def test_attendance_gives_each_present_member_the_meetings_hours(cast):
    _group, meeting = make_group(cast)
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={cast.helper_a.pk})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert hours(cast, cast.helper_a).used == D("1.50")
    assert hours(cast, cast.helper_a2).used == 0
    assert hours(cast, cast.helper_a).remaining == D("4.50")


def test_correcting_attendance_adds_lines_and_never_changes_one(cast):
    _group, meeting = make_group(cast)
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={cast.helper_a.pk})
    first = SupervisionEntry.objects.get()
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={cast.helper_a2.pk})
    kinds = sorted(SupervisionEntry.objects.values_list("helper_id", "kind", "hours"))
    assert kinds == sorted(
        [
            (cast.helper_a.pk, EntryKind.GROUP, D("1.50")),
            (cast.helper_a.pk, EntryKind.CORRECTION, D("-1.50")),
            (cast.helper_a2.pk, EntryKind.GROUP, D("1.50")),
        ]
    )
    assert selectors.meeting_present(meeting) == {cast.helper_a2.pk}
    assert hours(cast, cast.helper_a).used == 0
    # The same list again changes nothing.
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={cast.helper_a2.pk})
    assert SupervisionEntry.objects.count() == 3
    with pytest.raises(ValidationError):
        first.hours = D(3)
        first.save()
    with pytest.raises(ValidationError):
        first.delete()


def test_only_members_and_only_past_meetings_are_recorded(cast):
    group, meeting = make_group(cast)
    with pytest.raises(ValidationError):
        services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={999999})
    future = services.meeting_plan(
        group=group, by=cast.coordinator_a, date=timezone.localdate() + dt.timedelta(days=3)
    )
    with pytest.raises(ValidationError):
        services.attendance_record(meeting=future, by=cast.coordinator_a, present=set())
    services.meeting_cancel(meeting=future, by=cast.coordinator_a)
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=future, by=cast.coordinator_a)


def test_the_groups_leader_records_but_a_member_cannot(cast):
    group, meeting = make_group(cast, leader=cast.contact_user_a)
    services.attendance_record(meeting=meeting, by=cast.contact_user_a, present={cast.helper_a.pk})
    # helper_a2 has no sign-in; a plain member (not the leader) may not record.
    member_user = f.member(f.UserFactory(), cast.a, "training_contact")
    Helper.objects.filter(pk=cast.helper_a2.pk).update(user=member_user)
    group.leader = cast.coordinator_a
    group.save()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.attendance_record(meeting=meeting, by=member_user, present=set())


def test_a_group_needs_a_leader_and_members_of_its_programme(cast):
    activate(cast.helper_a)
    with pytest.raises(ValidationError) as err:
        services.group_create(
            by=cast.coordinator_a,
            programme=cast.programme_a,
            data={"name": "X", "leader": None, "leader_name": ""},
            members=[],
        )
    assert "leader_name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.group_create(
            by=cast.coordinator_a,
            programme=cast.programme_a,
            data={"name": "X", "leader_name": "Psykolog Dahl"},
            members=[cast.helper_b],
        )
    assert "members" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.group_create(
            by=cast.coordinator_a,
            programme=cast.programme_a,
            data={"name": "X", "leader": cast.coordinator_b},
            members=[],
        )
    assert "leader" in err.value.message_dict


def test_individual_sessions_and_their_correction(cast):
    activate(cast.helper_a)
    today = timezone.localdate()
    entry = services.session_record(
        helper=cast.helper_a, by=cast.coordinator_a, date=today, hours=D("1.25"), supervisor="Dahl"
    )
    assert hours(cast, cast.helper_a).used == D("1.25")
    services.entry_correct(entry=entry, by=cast.coordinator_a)
    assert hours(cast, cast.helper_a).used == 0
    with pytest.raises(ValidationError):
        services.entry_correct(entry=entry, by=cast.coordinator_a)
    with pytest.raises(ValidationError):
        services.session_record(
            helper=cast.helper_a,
            by=cast.coordinator_a,
            date=today + dt.timedelta(days=1),
            hours=D(1),
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.session_record(helper=cast.helper_a, by=cast.coordinator_b, date=today, hours=D(1))


def test_the_pool_returns_unused_hours_and_shares_them_by_use(cast):
    """Allowance 4 h (programme setting). helper_a used 3, helper_a2 1, a third helper 0:
    returned 1 + 3 + 4 = 8 h; shared 8·3/4 = 6 and 8·1/4 = 2."""
    third = f.HelperFactory(programme=cast.programme_a, first_name="Tredje")
    activate(cast.helper_a, cast.helper_a2, third)
    services.settings_save(
        programme=cast.programme_a,
        by=cast.coordinator_a,
        data={"allowance_hours": D(4)},
        expected_version=None,
    )
    year = 2025
    on = dt.date(year, 9, 1)
    services.session_record(
        helper=cast.helper_a, by=cast.coordinator_a, date=dt.date(year, 3, 1), hours=D(3)
    )
    services.session_record(
        helper=cast.helper_a2, by=cast.coordinator_a, date=dt.date(year, 4, 1), hours=D(1)
    )
    # After the set date: does not count for the share-out.
    services.session_record(
        helper=cast.helper_a2, by=cast.coordinator_a, date=dt.date(year, 10, 1), hours=D(1)
    )
    run = services.pool_share_out(
        programme=cast.programme_a, year=year, by=cast.coordinator_a, on=on
    )
    assert (run.returned_hours, run.shared_hours) == (D("8.00"), D("8.00"))
    lines = {(e.helper_id, e.kind): e.hours for e in PoolEntry.objects.filter(run=run)}
    assert lines == {
        (cast.helper_a.pk, PoolEntryKind.RETURNED): D("-1.00"),
        (cast.helper_a2.pk, PoolEntryKind.RETURNED): D("-3.00"),
        (third.pk, PoolEntryKind.RETURNED): D("-4.00"),
        (cast.helper_a.pk, PoolEntryKind.SHARED): D("6.00"),
        (cast.helper_a2.pk, PoolEntryKind.SHARED): D("2.00"),
    }
    a, a2, t = selectors.hours_for(
        list(
            Helper.objects.filter(pk__in=[cast.helper_a.pk, cast.helper_a2.pk, third.pk]).order_by(
                "pk"
            )
        ),
        year,
    )
    assert (a.allowance, a.used, a.remaining) == (D("9.00"), D("3.00"), D("6.00"))
    assert (a2.allowance, a2.used, a2.remaining) == (D("3.00"), D("2.00"), D("1.00"))
    assert (t.allowance, t.remaining) == (D("0.00"), D("0.00"))
    with pytest.raises(ValidationError):
        services.pool_share_out(programme=cast.programme_a, year=year, by=cast.coordinator_a, on=on)
    with pytest.raises(ValidationError):
        PoolEntry.objects.first().delete()


def test_the_scheduler_shares_out_at_the_set_date_once(cast):
    activate(cast.helper_a, cast.helper_a2)
    today = timezone.localdate()
    services.session_record(
        helper=cast.helper_a, by=cast.coordinator_a, date=dt.date(today.year, 1, 1), hours=D(2)
    )
    SupervisionSettings.objects.create(
        programme=cast.programme_a, municipality=cast.a, return_month=12, return_day=28
    )
    assert services.pools_due(dt.date(today.year, 12, 27)) == {"pools_shared": 0}
    assert services.pools_due(dt.date(today.year, 12, 28)) == {"pools_shared": 1}
    assert services.pools_due(dt.date(today.year, 12, 29)) == {"pools_shared": 0}
    # helper_a2 returned 6, helper_a 4; helper_a alone used supervision: gets all 10.
    assert PoolEntry.objects.filter(kind=PoolEntryKind.SHARED).get().hours == D("10.00")


def test_settings_need_the_version_read(cast):
    from kobling.lib.errors import ConflictError

    made = services.settings_save(
        programme=cast.programme_a,
        by=cast.coordinator_a,
        data={"alert_weeks": 8},
        expected_version=None,
    )
    with pytest.raises(ConflictError):
        services.settings_save(
            programme=cast.programme_a,
            by=cast.coordinator_a,
            data={"alert_weeks": 4},
            expected_version=made.version + 1,
        )
    services.settings_save(
        programme=cast.programme_a,
        by=cast.coordinator_a,
        data={"alert_weeks": 4},
        expected_version=made.version,
    )
    assert SupervisionSettings.objects.get().alert_weeks == 4


def test_an_active_helper_without_supervision_shows_as_an_alert(cast):
    activate(cast.helper_a, cast.helper_a2)
    today = timezone.localdate()
    long_ago = timezone.now() - dt.timedelta(weeks=20)
    Helper.objects.filter(pk__in=[cast.helper_a.pk, cast.helper_a2.pk]).update(
        status_since=long_ago
    )
    services.session_record(
        helper=cast.helper_a, by=cast.coordinator_a, date=today - dt.timedelta(weeks=2), hours=D(1)
    )
    found = no_supervision([cast.a.pk], today)
    assert [a.subject for a in found] == [cast.helper_a2.full_name]
    assert found[0].kind == NO_SUPERVISION and found[0].url.endswith(f"/{cast.helper_a2.pk}/")
    # The programme's period: 1 week → helper_a too; 0 → no alert at all.
    SupervisionSettings.objects.create(
        programme=cast.programme_a, municipality=cast.a, alert_weeks=1
    )
    assert len(no_supervision([cast.a.pk], today)) == 2
    SupervisionSettings.objects.filter(programme=cast.programme_a).update(alert_weeks=0)
    assert no_supervision([cast.a.pk], today) == []
    # Only managers get alerts, only of their municipality.
    assert alerts_for(cast.coordinator_b, providers=[no_supervision]) == []


def test_the_alert_runs_a_fixed_number_of_queries(cast):
    activate(cast.helper_a, cast.helper_a2)
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as few:
        no_supervision([cast.a.pk], today)
    for _ in range(5):
        h = f.HelperFactory(programme=cast.programme_a)
        activate(h)
    with CaptureQueriesContext(connection) as many:
        no_supervision([cast.a.pk], today)
    assert len(many) == len(few)


def test_the_quality_checklist_shows_supervision_beside_training_and_support(cast):
    from kobling.quality.selectors import evidence

    _group, meeting = make_group(cast)
    services.attendance_record(
        meeting=meeting, by=cast.coordinator_a, present={cast.helper_a.pk, cast.helper_a2.pk}
    )
    found = evidence(cast.programme_a, meeting.date.year)["training.support"]
    assert "2 of 2 helpers" in found.text and "3.00 hours" in found.text
    assert "1 group meetings" in found.text
    assert found.url.startswith(reverse("web:supervision_home"))


def test_pages_work_end_to_end_for_the_coordinator_and_the_helper(cast):
    group, meeting = make_group(cast)
    coordinator = signed_in(cast.coordinator_a)
    url = reverse("web:supervision_meeting", args=[meeting.pk])
    page = coordinator.get(url)
    assert page.status_code == 200 and cast.helper_a.full_name in page.content.decode()
    done = coordinator.post(url, {"present": [str(cast.helper_a.pk)]})
    assert done.status_code == 302
    assert hours(cast, cast.helper_a).used == D("1.50")
    helper_page = reverse("web:supervision_helper", args=[cast.helper_a2.pk])
    posted = coordinator.post(helper_page, {"date": str(timezone.localdate()), "hours": "1"})
    assert posted.status_code == 302 and hours(cast, cast.helper_a2).used == D("1.00")
    bad = coordinator.post(helper_page, {"date": str(timezone.localdate()), "hours": "0"})
    assert bad.status_code == 200 and hours(cast, cast.helper_a2).used == D("1.00")
    # The helper sees their own hours and group, not the other helper's.
    own = signed_in(cast.contact_user_a).get(reverse("web:supervision_home")).content.decode()
    assert cast.helper_a.full_name in own and cast.helper_a2.full_name not in own
    assert group.name in own
    assert signed_in(cast.contact_user_a).get(helper_page).status_code == 404
    # The pool page: settings and a share-out now.
    pool = reverse("web:supervision_pool", args=[cast.programme_a.pk])
    saved = coordinator.post(
        pool, {"allowance_hours": "6", "return_month": "9", "return_day": "1", "alert_weeks": "10"}
    )
    assert saved.status_code == 302
    assert SupervisionSettings.objects.get().alert_weeks == 10
    assert coordinator.post(pool, {"share_out": "1"}).status_code == 302
    assert "10" in coordinator.get(pool).content.decode()


def test_the_overview_page_runs_a_fixed_number_of_queries(cast):
    group, meeting = make_group(cast)
    services.attendance_record(meeting=meeting, by=cast.coordinator_a, present={cast.helper_a.pk})
    client = signed_in(cast.coordinator_a)
    url = reverse("web:supervision_home")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        h = f.HelperFactory(programme=cast.programme_a)
        activate(h)
        services.session_record(
            helper=h, by=cast.coordinator_a, date=timezone.localdate(), hours=D(1)
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
