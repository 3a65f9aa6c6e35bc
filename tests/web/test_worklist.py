"""The home page's work list for each role: counts of what waits for the user, each linking to
the list that shows those rows, read in a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from kobling.followup.models import Session
from kobling.pay.models import Timesheet
from kobling.referrals import services as referral_services
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def items(html: str) -> dict[str, tuple[int, str]]:
    """{key: (count, link)} of the work list on the home page."""
    return {
        key: (int(count), url.replace("&amp;", "&"))
        for key, url, count in re.findall(
            r'<li data-key="(\w+)"><a class="ds-link" href="([^"]+)"><span class="k-stat">(\d+)',
            html,
        )
    }


def world(cast, n: int) -> None:
    """``n`` of everything the work lists count, in A."""
    for i in range(n):
        f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a)
        s.waiting(cast.programme_a, first_name=f"Venter{i}", referrer=cast.referrer_a)
        helper = f.make_active(f.HelperFactory(programme=cast.programme_a))
        referral = s.waiting(cast.programme_a, first_name=f"Par{i}", referrer=cast.referrer_a)
        s.share_with_referrer(referral)
        pairing = s.active_pair(referral, helper, days=30)
        s.log(pairing, days_ago=2, minutes=45)


def test_the_coordinator_sees_what_waits_with_links_to_the_filtered_lists(cast):
    granted = s.waiting(cast.programme_a, first_name="Gunn")
    granted.granted_at = timezone.now() - dt.timedelta(days=12)
    granted.save(update_fields=["granted_at"])
    f.ReferralFactory(programme=cast.programme_a)  # received
    f.ReferralFactory(programme=cast.programme_b)  # another municipality's
    Timesheet.objects.create(
        municipality=cast.a,
        helper=cast.helper_a,
        month=(timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1),
    )
    client = signed_in(cast.coordinator_a)
    html = client.get("/").content.decode()
    found = items(html)

    assert found["awaiting_decision"] == (1, "/henvisninger/?status=received&status=more_info")
    assert found["waiting"][0] == 1 and found["waiting"][1] == "/venteliste/"
    assert "longest wait 12 days" in html
    assert found["timesheets"][0] == 1 and found["timesheets"][1].startswith("/lonn/?month=")
    assert {"proposals", "alerts", "reviews_due"} <= set(found)
    # The link shows the rows counted.
    listed = client.get(found["awaiting_decision"][1]).content.decode()
    assert "1 referral" in listed


def test_the_contact_and_the_referrer_see_their_own_work(cast):
    referral = s.waiting(cast.programme_a, first_name="Ingeborg", referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    pairing = s.active_pair(referral, f.make_active(cast.helper_a), days=30)
    s.log(pairing, days_ago=0, minutes=30)
    s.log(pairing, days_ago=3, minutes=60)
    referral_services.referral_decide(
        referral=f.ReferralFactory(programme=cast.programme_a, referrer=cast.referrer_a),
        by=cast.coordinator_a,
        outcome="more_info",
        reasons="Trenger mer.",
    )

    contact = items(signed_in(cast.contact_user_a).get("/").content.decode())
    assert contact["participants"] == (1, "/mine-deltakere/")
    assert contact["sessions_today"][0] == 1
    assert contact["unconfirmed"][0] == Session.objects.filter(confirmed_at__isnull=True).count()
    assert "awaiting_decision" not in contact

    referrer = items(signed_in(cast.referrer_a).get("/").content.decode())
    assert referrer["reports"] == (1, "/mine-henvisninger/")
    assert referrer["new_decisions"][0] >= 1
    assert referrer["awaiting_decision_mine"][0] == 1
    assert "waiting" not in referrer


def test_roles_without_a_work_list_see_none(cast):
    for user in (cast.analyst, cast.provider_user):
        assert items(signed_in(user).get("/").content.decode()) == {}


@pytest.mark.parametrize("role", ["coordinator_a", "contact_a", "referrer_a"])
def test_the_home_page_reads_a_fixed_number_of_queries(cast, role, django_assert_max_num_queries):
    client = signed_in(cast.roles[role])
    world(cast, 1)
    client.get("/")  # warm the caches a first request fills
    with django_assert_max_num_queries(60) as few:
        client.get("/")
    world(cast, 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


def test_a_helper_who_leads_a_group_sees_the_meetings_waiting_for_attendance(cast):
    from kobling.groups import services
    from tests.groups.test_groups import leader, make_offer

    before = items(signed_in(cast.contact_user_a).get("/").content.decode())
    assert "group_meetings" not in before  # leads no group: the list is as it was
    offer = make_offer(cast, leaders=[leader(cast, user=cast.contact_user_a)], weeks_back=2)
    services.meetings_generate(offer=offer, by=cast.coordinator_a)
    after = items(signed_in(cast.contact_user_a).get("/").content.decode())
    expected = offer.meetings.filter(date__lte=timezone.localdate()).count()
    assert after["group_meetings"] == (expected, "/grupper/") and expected >= 3
