"""'My referrals' for a referrer: each referral they made with its status, the latest notice and
the report link — only their own referrals, the report only within the participant's consent —
and the referral page links a paired referral to its course report."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.core.choices import MessageStatus
from kobling.core.models import OutboxMessage
from kobling.followup.models import ReferrerNotice
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def paired(cast, *, first_name: str, consent: bool = True, helper=None):
    referral = s.waiting(cast.programme_a, first_name=first_name, referrer=cast.referrer_a)
    if consent:
        s.share_with_referrer(referral)
    return s.active_pair(referral, helper or f.make_active(cast.helper_a), days=40)


def notice(pairing, kind=ReferrerNotice.Kind.START, days_ago=0):
    """A notice the outbox sent ``days_ago`` days ago."""
    sent = ReferrerNotice.objects.create(
        municipality=pairing.municipality,
        pairing=pairing,
        kind=kind,
        sequence=0 if kind == ReferrerNotice.Kind.START else 1,
        recipient="henviser@a.test",
    )
    OutboxMessage.objects.create(
        purpose="referrer-notice",
        subject_key=f"referrer-notice:{sent.pk}",
        municipality=pairing.municipality,
        recipient=sent.recipient,
        status=MessageStatus.SENT,
        sent_at=timezone.now() - timezone.timedelta(days=days_ago),
    )
    return sent


def test_the_referrer_sees_status_latest_notice_and_report_link_per_referral(cast, web):
    shared = paired(cast, first_name="Ingeborg")
    notice(shared, days_ago=30)
    notice(shared, kind=ReferrerNotice.Kind.PERIODIC)
    private = paired(cast, first_name="Oddvar", consent=False, helper=f.make_active(cast.helper_a2))
    waiting = s.waiting(cast.programme_a, first_name="Sigrun", referrer=cast.referrer_a)
    someone_elses = s.waiting(cast.programme_a, first_name="Torleif")

    html = web(cast.referrer_a).get("/mine-henvisninger/").content.decode()

    assert "Ingeborg" in html and "Oddvar" in html and "Sigrun" in html
    assert "Torleif" not in html
    # The report is the course's (every pairing of it summed).
    assert f"/forlop/{shared.episode_id}/rapport/" in html
    assert f"/forlop/{private.episode_id}/rapport/" not in html
    assert "No consent to share" in html and "Not paired yet" in html
    assert "Every four weeks" in html  # the latest notice, not the first
    assert f"/henvisninger/{waiting.pk}/" in html
    assert someone_elses.pk


def test_the_menu_offers_my_referrals_to_referrers_only(cast, web):
    assert 'href="/mine-henvisninger/"' in web(cast.referrer_a).get("/").content.decode()
    assert 'href="/mine-henvisninger/"' not in web(cast.coordinator_a).get("/").content.decode()
    assert web(cast.coordinator_a).get("/mine-henvisninger/").status_code == 403
    assert web(cast.contact_user_a).get("/mine-henvisninger/").status_code == 403


def test_my_referrals_reads_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    client = signed_in(cast.referrer_a)
    notice(paired(cast, first_name="En"))
    with django_assert_max_num_queries(12) as few:
        client.get("/mine-henvisninger/")
    for i in range(6):
        helper = f.make_active(f.HelperFactory(programme=cast.programme_a))
        notice(paired(cast, first_name=f"Flere{i}", consent=bool(i % 2), helper=helper))
        s.waiting(cast.programme_a, first_name=f"Venter{i}", referrer=cast.referrer_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/mine-henvisninger/")


def test_the_referral_page_links_a_paired_referral_to_its_report_within_consent(cast, web):
    shared = paired(cast, first_name="Ingeborg")
    private = paired(cast, first_name="Oddvar", consent=False, helper=f.make_active(cast.helper_a2))
    referrer = web(cast.referrer_a)

    page = referrer.get(f"/henvisninger/{shared.referral_id}/").content.decode()
    assert f"/par/{shared.pk}/rapport/" in page
    assert referrer.get(f"/par/{shared.pk}/rapport/").status_code == 200

    page = referrer.get(f"/henvisninger/{private.referral_id}/").content.decode()
    assert f"/par/{private.pk}/rapport/" not in page
    assert "only while the participant consents" in page

    coordinator = web(cast.coordinator_a).get(f"/henvisninger/{private.referral_id}/")
    html = coordinator.content.decode()
    assert f"/par/{private.pk}/rapport/" in html and f"/par/{private.pk}/" in html
