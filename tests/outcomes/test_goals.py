"""Goals set with the participant, in their own words: written down by the pair's contact or a
coordinator, changed with a version guard, and refused with a clear message when empty or on an
ended pairing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kobling.lib.errors import ConflictError
from kobling.outcomes import services
from kobling.outcomes.models import Goal
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db


def test_the_contact_writes_down_a_goal_in_the_participants_words(cast, api, pair):
    response = api(cast.contact_user_a).post(
        f"/api/v1/pairings/{pair.pk}/goals/",
        {"text": "  Gå til jobben tre dager i uka  ", "target_date": "2031-06-01"},
        format="json",
    )
    assert response.status_code == 201, response.data
    goal = Goal.objects.get()
    assert (goal.text, goal.target_date, goal.status) == (
        "Gå til jobben tre dager i uka",
        dt.date(2031, 6, 1),
        "open",
    )
    assert goal.created_by == cast.contact_user_a and goal.municipality == cast.a
    assert response.data["status"] == "open" and response.data["version"] == 1
    entry = AuditEntry.objects.get(object_type="outcomes.goal", action="create")
    assert entry.user == cast.contact_user_a
    # The participant's words stay out of the audit log.
    assert "jobben" not in str(entry.changes)


def test_the_goal_field_says_the_participant_chooses(cast):
    help_text = str(Goal._meta.get_field("text").help_text)
    assert "participant chooses" in help_text and "own words" in help_text


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_an_empty_or_too_long_goal_is_refused_and_nothing_is_saved(cast, api, pair, text):
    response = api(cast.coordinator_a).post(
        f"/api/v1/pairings/{pair.pk}/goals/", {"text": text}, format="json"
    )
    assert response.status_code == 400 and "text" in response.data
    assert not Goal.objects.exists()


def test_no_goal_on_an_ended_pairing(cast, contact):
    ended = b.pairing(cast.programme_a, contact, ended_days_ago=10)
    with pytest.raises(ValidationError) as error:
        services.goal_create(pairing=ended, by=None, text="Svømme")
    assert "pairing" in error.value.message_dict
    assert not Goal.objects.exists()


def test_a_target_date_before_the_pairing_was_confirmed_is_refused(cast, pair):
    with pytest.raises(ValidationError) as error:
        services.goal_create(pairing=pair, by=None, text="Gå", target_date=b.days_ago(365))
    assert "target_date" in error.value.message_dict


def test_a_goal_is_changed_with_its_version_and_a_stale_version_is_409(cast, api, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    client = api(cast.contact_user_a)
    first = client.patch(
        f"/api/v1/goals/{goal.pk}/", {"status": "partly", "version": 1}, format="json"
    )
    assert first.status_code == 200 and first.data["status"] == "partly"
    assert first.data["version"] == 2
    stale = client.patch(
        f"/api/v1/goals/{goal.pk}/", {"status": "achieved", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    goal.refresh_from_db()
    assert (goal.status, goal.version) == ("partly", 2)


def test_an_unknown_status_or_empty_text_is_400_and_changes_nothing(cast, api, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    client = api(cast.coordinator_a)
    assert (
        client.patch(
            f"/api/v1/goals/{goal.pk}/", {"status": "done", "version": 1}, format="json"
        ).status_code
        == 400
    )
    response = client.patch(f"/api/v1/goals/{goal.pk}/", {"text": " ", "version": 1}, format="json")
    assert response.status_code == 400 and "text" in response.data
    goal.refresh_from_db()
    assert (goal.text, goal.status, goal.version) == ("Gå", "open", 1)


def test_an_unchanged_goal_is_not_a_new_version(cast, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    same = services.goal_update(goal=goal, by=None, text="Gå", status="open")
    assert same.version == 1
    with pytest.raises(ConflictError):
        services.goal_update(goal=goal, by=None, status="achieved", expected_version=7)


def test_reads_of_goals_are_audited(cast, api, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    client = api(cast.coordinator_a)
    client.get(f"/api/v1/pairings/{pair.pk}/goals/")
    client.get(f"/api/v1/goals/{goal.pk}/")
    views = AuditEntry.objects.filter(user=cast.coordinator_a, action="view")
    assert views.filter(object_type="outcomes.goal", object_id=str(goal.pk)).exists()
    assert views.filter(object_type="outcomes.goal", changes__ids=[str(goal.pk)]).exists()


def test_the_goal_pages_add_and_change_a_goal(cast, pair):
    client = signed_in(cast.contact_user_a)
    page = client.get(reverse("web:goal_create", args=[pair.pk]))
    assert page.status_code == 200
    assert "own words" in page.content.decode()
    saved = client.post(
        reverse("web:goal_create", args=[pair.pk]),
        {"text": "Gå en tur i skogen", "target_date": ""},
    )
    assert saved.status_code == 302 and saved["Location"] == reverse(
        "web:pairing_detail", args=[pair.pk]
    )
    goal = Goal.objects.get()
    edited = client.post(
        reverse("web:goal_edit", args=[goal.pk]),
        {"text": "Gå en lang tur i skogen", "status": "achieved", "version": "1"},
    )
    assert edited.status_code == 302
    goal.refresh_from_db()
    assert (goal.text, goal.status, goal.version) == ("Gå en lang tur i skogen", "achieved", 2)


def test_the_goal_page_shows_the_error_for_an_empty_goal_and_saves_nothing(cast, pair):
    response = signed_in(cast.coordinator_a).post(
        reverse("web:goal_create", args=[pair.pk]), {"text": "   "}
    )
    assert response.status_code == 400
    assert not Goal.objects.exists()


def test_an_edit_from_a_stale_page_is_refused_on_the_page(cast, pair):
    goal = services.goal_create(pairing=pair, by=None, text="Gå")
    services.goal_update(goal=goal, by=None, status="partly")
    response = signed_in(cast.coordinator_a).post(
        reverse("web:goal_edit", args=[goal.pk]),
        {"text": "Gå", "status": "dropped", "version": "1"},
    )
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == "partly"
