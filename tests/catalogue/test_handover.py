"""A participant's hand-over at the end of a course points to a catalogue offer: recorded in the
catalogue (the course's app does not know it), shown on the course's timeline, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kobling.catalogue import services
from kobling.catalogue.models import CourseHandover
from kobling.referrals import episodes
from kobling.tenancy.models import AuditEntry
from tests.catalogue import builders as b
from tests.conftest import signed_in
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def ended_group_course(cast):  # noqa: ANN001, ANN201
    cast.programme_a.delivery = "group"
    cast.programme_a.save(update_fields=["delivery"])
    referral = s.waiting(cast.programme_a, first_name="Gunn", referrer=cast.referrer_a)
    episodes.episode_for_referral(referral)
    started = episodes.episode_set_state(
        referral=referral,
        state=episodes.CourseState(
            status="active", started_on=timezone.localdate() - dt.timedelta(days=60)
        ),
        by=None,
    )
    return episodes.episode_end(
        episode=started,
        by=cast.coordinator_a,
        ended_on=timezone.localdate(),
        end_reason="goal_reached",
        handover_destination="other",
        expected_version=started.version,
    )


def test_the_coordinator_points_an_ended_course_to_an_offer_and_the_timeline_shows_it(cast):
    episode = ended_group_course(cast)
    offer = b.offer(
        cast.a,
        cast.coordinator_a,
        title="Turlaget på tirsdager",
        kind="peer_group",
        partner=b.partner(cast.a),
    )
    client = signed_in(cast.coordinator_a)
    timeline = client.get(reverse("web:episode_timeline", args=[episode.pk])).content.decode()
    assert reverse("web:catalogue_handover", args=[episode.pk]) in timeline
    page = client.get(reverse("web:catalogue_handover", args=[episode.pk]), {"q": "tirsdag"})
    assert [o.title for o in page.context["offers"]] == ["Turlaget på tirsdager"]
    assert AuditEntry.objects.filter(
        object_type="referrals.episode", object_id=str(episode.pk), action="view"
    ).exists()
    response = client.post(
        reverse("web:catalogue_handover", args=[episode.pk]), {"offer": offer.pk}
    )
    assert response.status_code == 302
    assert CourseHandover.objects.get(episode=episode).offer == offer
    timeline = client.get(reverse("web:episode_timeline", args=[episode.pk])).content.decode()
    assert "Handed over to Turlaget på tirsdager" in timeline


def test_an_unpublished_offer_or_an_open_course_is_refused_with_the_reason(cast):
    episode = ended_group_course(cast)
    draft = b.offer(cast.a, cast.coordinator_a, title="Utkast", publish=False)
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:catalogue_handover", args=[episode.pk]), {"offer": draft.pk}
    )
    assert response.status_code == 400
    assert "published in the catalogue" in response.content.decode()
    assert not CourseHandover.objects.exists()
    open_course = episodes.episode_for_referral(
        s.waiting(cast.programme_a, first_name="Ola", referrer=cast.referrer_a)
    )
    with pytest.raises(ValidationError, match="Only an ended course"):
        services.handover_set(
            episode=open_course,
            offer=b.offer(cast.a, cast.coordinator_a, title="Publisert"),
            by=cast.coordinator_a,
        )
