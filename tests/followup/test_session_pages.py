"""Session pages: the contact's "My participants" with a one-tap log form per pair (sensible
defaults), logging and its errors, the history with corrections struck through and unconfirmed
sessions marked, corrections and in-person confirmation on the page, the pairing page for
coordinators (sessions, hand-over on ending), audited reads and fixed query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.followup import services
from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing, Session
from kobling.followup.sessions import session_correct
from kobling.helpers.models import Activity
from kobling.tenancy.models import AuditEntry, User
from tests import factories as f
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def day(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def helper(cast):
    helper = f.make_active(cast.helper_a)
    helper.capacity = 20
    helper.save()
    return helper


@pytest.fixture
def pair(cast, helper):
    return s.active_pair(s.waiting(cast.programme_a, first_name="Per"), helper)


def sessions_url(pairing) -> str:
    return reverse("web:pairing_sessions", args=[pairing.pk])


def test_my_participants_lists_open_pairs_with_last_session_and_this_months_count(
    cast, helper, pair
):
    s.log(pair, date=timezone.localdate().replace(day=1))
    s.log(pair, days_ago=0, minutes=75, activity=Activity.objects.get(code="walking"))
    paused = s.active_pair(s.waiting(cast.programme_a, first_name="Kari"), helper)
    services.pairing_pause(pairing=paused, by=None)
    ended = s.active_pair(s.waiting(cast.programme_a, first_name="Zelda"), helper)
    services.pairing_end(pairing=ended, by=None, reason="moved", handover_destination="none")
    other = s.active_pair(
        s.waiting(cast.programme_a, first_name="Yngvild"), s.contact(cast.programme_a)
    )

    html = signed_in(cast.contact_user_a).get(reverse("web:my_participants")).content.decode()
    assert "Per" in html and "Kari" in html
    assert "Zelda" not in html and "Yngvild" not in html
    assert "2 this month" in html
    assert pair.participant.last_name not in html  # the contact sees the first name only
    assert "The pair is paused" in html
    # Defaults: today, the pair's usual minutes (the last held session's), held.
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert 'value="75"' in html
    assert other.participant.first_name not in html


def test_a_new_pair_defaults_to_sixty_minutes_and_moderate(cast, pair):
    html = signed_in(cast.contact_user_a).get(reverse("web:my_participants")).content.decode()
    assert 'name="minutes" value="60"' in html
    assert 'value="moderate" class="ds-input" id="s' in html and "checked" in html


def test_my_participants_reads_are_audited_and_queries_do_not_grow(cast, helper):
    def queries() -> int:
        client = signed_in(User.objects.get(pk=cast.contact_user_a.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:my_participants")).status_code == 200
        return len(captured)

    for _ in range(2):
        s.log(s.active_pair(s.waiting(cast.programme_a), helper), days_ago=1)
    few = queries()
    for _ in range(8):
        s.log(s.active_pair(s.waiting(cast.programme_a), helper), days_ago=1)
    assert queries() == few
    entry = AuditEntry.objects.filter(action="view", object_type="followup.pairing").latest("pk")
    assert entry.user == cast.contact_user_a and len(entry.changes["ids"]) == 10


def test_logging_from_my_participants_shows_it_in_the_history(cast, pair):
    client = signed_in(cast.contact_user_a)
    response = client.post(
        sessions_url(pair),
        {"date": day(0).isoformat(), "minutes": "50", "status": "held", "intensity": "light"},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == sessions_url(pair)
    assert "The session is logged." in html and "50 min" in html and "Unconfirmed" in html
    session = Session.objects.get()
    assert (session.minutes, session.intensity, session.logged_by) == (
        50,
        "light",
        cast.contact_user_a,
    )


def test_a_cancellation_from_the_page_keeps_who_and_notice(cast, pair):
    signed_in(cast.contact_user_a).post(
        sessions_url(pair),
        {
            "date": day(1).isoformat(),
            "minutes": "60",
            "status": "cancelled",
            "intensity": "moderate",
            "cancelled_by": "participant",
            "with_notice": "no",
        },
    )
    session = Session.objects.get()
    assert (session.status, session.cancelled_by, session.with_notice, session.intensity) == (
        "cancelled",
        "participant",
        False,
        "",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"date": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "in the future"),
        ({"minutes": "0"}, "between 1 and 600"),
        ({"minutes": "700"}, "between 1 and 600"),
        ({"intensity": ""}, "Borg rating"),
        ({"borg": "40", "intensity": ""}, "between 6 and 20"),
        ({"status": "cancelled"}, "Say who cancelled"),
        ({"minutes": "lots"}, "Enter a whole number"),
    ],
)
def test_a_bad_log_on_the_page_shows_the_error_and_saves_nothing(cast, pair, body, message):
    values = {"date": day(1).isoformat(), "minutes": "60", "status": "held", "intensity": "light"}
    response = signed_in(cast.contact_user_a).post(sessions_url(pair), {**values, **body})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Session.objects.exists()


def test_after_logging_the_page_goes_back_where_it_came_from_only_on_this_site(cast, pair):
    client = signed_in(cast.coordinator_a)
    values = {"date": day(1).isoformat(), "minutes": "60", "status": "held", "intensity": "light"}
    detail = reverse("web:pairing_detail", args=[pair.pk])
    assert client.post(sessions_url(pair), {**values, "next": detail})["Location"] == detail
    values["date"] = day(2).isoformat()
    evil = client.post(sessions_url(pair), {**values, "next": "https://evil.example/"})
    assert evil["Location"] == sessions_url(pair)


def test_the_history_strikes_through_corrections_and_marks_what_is_unconfirmed(cast, pair):
    corrected = s.log(pair, days_ago=3, minutes=60)
    session_correct(session=corrected, by=None, reason="Var kortere", minutes=40)
    withdrawn = s.log(pair, days_ago=2)
    session_correct(session=withdrawn, by=None, reason="Feil par", void=True)
    s.log(pair, days_ago=1)
    html = signed_in(cast.contact_user_a).get(sessions_url(pair)).content.decode()
    assert html.count("<del>") == 3  # the corrected entry, the withdrawn one and its withdrawal
    assert "Corrected" in html and "Withdrawn" in html
    assert "Correction: Var kortere" in html
    assert html.count(">Unconfirmed<") == 2  # the correction (40 min) and the newest
    assert AuditEntry.objects.filter(
        action="view", object_type="followup.pairing", object_id=str(pair.pk)
    ).exists()


def test_confirming_in_person_on_the_page(cast, pair):
    session = s.log(pair, days_ago=1)
    client = signed_in(cast.contact_user_a)
    response = client.post(reverse("web:session_confirm_in_person", args=[session.pk]))
    assert response["Location"] == sessions_url(pair)
    session.refresh_from_db()
    assert session.confirmed_via == "in_person"
    no_show = s.log(pair, days_ago=2, status="no_show")
    response = client.post(reverse("web:session_confirm_in_person", args=[no_show.pk]), follow=True)
    assert "Only held sessions are confirmed." in response.content.decode()


def test_correcting_on_the_page_starts_from_the_entry_and_adds_a_new_one(cast, pair):
    session = s.log(pair, days_ago=2, minutes=60, note="Tur i skogen")
    client = signed_in(cast.coordinator_a)
    page = client.get(reverse("web:session_correct", args=[session.pk])).content.decode()
    assert 'value="60"' in page and "Tur i skogen" in page
    response = client.post(
        reverse("web:session_correct", args=[session.pk]),
        {
            "reason": "Var 45 minutter",
            "date": session.date.isoformat(),
            "minutes": "45",
            "status": "held",
            "intensity": "moderate",
            "note": "Tur i skogen",
        },
    )
    assert response["Location"] == sessions_url(pair)
    fixed = Session.objects.current().get()
    assert (fixed.minutes, fixed.supersedes_id, fixed.correction_reason) == (
        45,
        session.pk,
        "Var 45 minutter",
    )
    # The old entry can no longer be corrected.
    again = client.get(reverse("web:session_correct", args=[session.pk]), follow=True)
    assert "Only the newest entry" in again.content.decode()


def test_a_correction_without_a_reason_is_refused_on_the_page(cast, pair):
    session = s.log(pair, days_ago=2)
    response = signed_in(cast.contact_user_a).post(
        reverse("web:session_correct", args=[session.pk]),
        {"date": session.date.isoformat(), "minutes": "30", "status": "held", "intensity": "light"},
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert Session.objects.count() == 1


def test_withdrawing_on_the_page(cast, pair):
    session = s.log(pair, days_ago=2)
    signed_in(cast.contact_user_a).post(
        reverse("web:session_correct", args=[session.pk]), {"reason": "Dobbelt", "void": "on"}
    )
    assert not Session.objects.current().exists()


def test_the_pairing_page_shows_sessions_to_coordinators_and_the_contact_only(cast, helper):
    referral = s.waiting(cast.programme_a, referrer=cast.referrer_a)
    s.share_with_referrer(referral)
    pairing = s.active_pair(referral, helper)
    s.log(pairing, days_ago=1, note="Hemmelig notat")
    detail = reverse("web:pairing_detail", args=[pairing.pk])
    for user in (cast.coordinator_a, cast.contact_user_a):
        html = signed_in(user).get(detail).content.decode()
        assert "Log session" in html and "Hemmelig notat" in html and "Unconfirmed" in html
    html = signed_in(cast.referrer_a).get(detail).content.decode()
    assert "Log session" not in html and "Hemmelig notat" not in html


def test_ending_on_the_page_needs_a_hand_over_and_shows_it(cast, pair):
    client = signed_in(cast.coordinator_a)
    end = reverse("web:pairing_end", args=[pair.pk])
    refused = client.post(
        end, {"reason": "goal_reached", "version": pair.version}, follow=True
    ).content.decode()
    assert "Handed over to" in refused
    pair.refresh_from_db()
    assert pair.status == PairingStatus.ACTIVE
    client.post(
        end,
        {
            "reason": "goal_reached",
            "handover_destination": "sports_club",
            "handover_note": "Turlaget, tirsdager kl 18",
            "version": pair.version,
        },
    )
    pair.refresh_from_db()
    assert (pair.status, pair.handover_destination, pair.handover_note) == (
        PairingStatus.ENDED,
        "sports_club",
        "Turlaget, tirsdager kl 18",
    )
    html = client.get(reverse("web:pairing_detail", args=[pair.pk])).content.decode()
    assert "Sports club or team" in html and "Turlaget, tirsdager kl 18" in html


def test_the_end_service_and_api_require_the_hand_over(cast, api, pair):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.pairing_end(pairing=pair, by=None, reason="moved")
    assert "handover_destination" in caught.value.message_dict
    response = api(cast.coordinator_a).post(
        f"/api/v1/pairings/{pair.pk}/end",
        {"reason": "moved", "version": pair.version},
        format="json",
    )
    assert response.status_code == 400 and "handover_destination" in response.data
    ok = api(cast.coordinator_a).post(
        f"/api/v1/pairings/{pair.pk}/end",
        {
            "reason": "moved",
            "handover_destination": "gym",
            "handover_note": "SATS",
            "version": pair.version,
        },
        format="json",
    )
    assert ok.status_code == 200
    assert (ok.json()["handover_destination"], ok.json()["handover_note"]) == ("gym", "SATS")
    assert Pairing.objects.get(pk=pair.pk).handover_destination == "gym"


def test_the_contact_finds_my_participants_from_home_and_the_menu(cast):
    html = signed_in(cast.contact_user_a).get(reverse("web:home")).content.decode()
    link = reverse("web:my_participants")
    assert f'<li><a href="{link}">' in html  # the menu
    assert f'<a class="ds-card" data-variant="tinted" href="{link}">' in html  # the tile
    manager = signed_in(cast.coordinator_a).get(reverse("web:home")).content.decode()
    assert reverse("web:my_participants") not in manager
    assert reverse("web:alerts") in manager
