"""The frisklivsresept's start and end conversations, kept to the motivational interview's
structured fields: the areas the person wants to work on (from a fixed list), their goals in
their own words and the plan agreed — recorded on a page or through the API, shown on the
course's timeline; bad input is refused in the user's language and saves nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from kobling.referrals import episodes
from kobling.referrals.models import Conversation, Episode
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.followup.test_episodes import _granted

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(cast):
    cast.programme_a.uses_conversations = True
    cast.programme_a.save()
    return Episode.objects.get(referral=_granted(cast))


def test_a_start_conversation_keeps_areas_goals_in_own_words_and_the_plan(cast, course):
    today = timezone.localdate()
    talk = episodes.conversation_record(
        episode=course,
        by=cast.coordinator_a,
        kind="start",
        held_on=today,
        areas=["activity", "sleep"],
        own_goals="Orke å gå til butikken",
        plan="Gruppetrening to ganger i uka",
    )
    talk.refresh_from_db()
    assert (talk.areas, talk.own_goals, talk.plan) == (
        ["activity", "sleep"],
        "Orke å gå til butikken",
        "Gruppetrening to ganger i uka",
    )
    with override("en"):
        assert talk.area_labels() == ["Physical activity", "Sleep"]
    # The end conversation may leave the areas as they were.
    episodes.conversation_record(episode=course, by=cast.coordinator_a, kind="end", held_on=today)
    assert course.conversations.count() == 2


def test_a_start_conversation_needs_an_area_and_only_known_ones(cast, course):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as none:
        episodes.conversation_record(
            episode=course, by=cast.coordinator_a, kind="start", held_on=today
        )
    assert "areas" in none.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        episodes.conversation_record(
            episode=course, by=cast.coordinator_a, kind="start", held_on=today, areas=["blood"]
        )
    assert "Unknown area: blood" in str(unknown.value)
    with pytest.raises(ValidationError):
        episodes.conversation_record(
            episode=course,
            by=cast.coordinator_a,
            kind="start",
            held_on=today,
            areas=["diet", "diet"],
        )
    with pytest.raises(ValidationError) as long:
        episodes.conversation_record(
            episode=course,
            by=cast.coordinator_a,
            kind="start",
            held_on=today,
            areas=["diet"],
            plan="x" * 2001,
        )
    assert "plan" in long.value.message_dict
    assert not Conversation.objects.exists()


def _norwegian(user):
    client = signed_in(user)
    client.cookies["django_language"] = "nb"
    return client


def test_the_page_records_a_conversation_and_the_timeline_shows_it(cast, course):
    client = _norwegian(cast.coordinator_a)
    url = f"/forlop/{course.pk}/samtale/"
    timeline = client.get(f"/forlop/{course.pk}/").content.decode()
    assert url in timeline
    today = timezone.localdate().isoformat()
    # Norwegian by default: the error in bokmål, nothing saved.
    refused = client.post(url, {"kind": "start", "held_on": today, "own_goals": "Sove bedre"})
    assert refused.status_code == 200
    assert "Velg minst ett område" in refused.content.decode()
    assert not Conversation.objects.exists()
    done = client.post(
        url,
        {
            "kind": "start",
            "held_on": today,
            "areas": ["tobacco", "mental_health"],
            "own_goals": "Slutte å røyke før sommeren",
            "plan": "Røykesluttkurs og samtale hver fjerde uke",
        },
    )
    assert done.status_code == 302 and done["Location"] == f"/forlop/{course.pk}/"
    page = client.get(f"/forlop/{course.pk}/").content.decode()
    assert "Slutte å røyke før sommeren" in page
    assert "Røykesluttkurs og samtale hver fjerde uke" in page
    assert "Tobakk" in page and "Psykisk helse" in page
    # Only the end conversation is left to choose.
    form = client.get(url).content.decode()
    assert 'value="end"' in form and 'value="start"' not in form
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, object_type="referrals.conversation", action="create"
    ).exists()


def test_a_programme_without_conversations_says_so_on_the_page(cast):
    course = Episode.objects.get(referral=_granted(cast))
    client = _norwegian(cast.coordinator_a)
    page = client.get(f"/forlop/{course.pk}/samtale/").content.decode()
    assert "bruker ikke oppstarts- og avslutningssamtaler" in page
    client.post(
        f"/forlop/{course.pk}/samtale/",
        {"kind": "start", "held_on": timezone.localdate().isoformat(), "areas": ["diet"]},
    )
    assert not Conversation.objects.exists()


def test_the_api_records_and_lists_the_structured_conversation(cast, api, course):
    client = api(cast.coordinator_a)
    url = f"/api/v1/episodes/{course.pk}/conversations/"
    today = timezone.localdate().isoformat()
    bad = client.post(
        url,
        {"kind": "start", "held_on": today, "areas": ["blood"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert bad.status_code == 400 and "areas" in bad.json()
    missing = client.post(url, {"kind": "start", "held_on": today}, format="json")
    assert missing.status_code == 400 and "areas" in missing.json()
    made = client.post(
        url,
        {
            "kind": "start",
            "held_on": today,
            "areas": ["diet", "alcohol"],
            "own_goals": "Spise frokost",
            "plan": "Kostholdskurs",
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    listed = client.get(url)
    assert listed.status_code == 200
    assert [(c["kind"], c["areas"], c["own_goals"], c["plan"]) for c in listed.json()] == [
        ("start", ["diet", "alcohol"], "Spise frokost", "Kostholdskurs")
    ]
    assert AuditEntry.objects.filter(
        user=cast.coordinator_a, object_type="referrals.episode", action="view"
    ).exists()
