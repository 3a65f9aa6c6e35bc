"""The placement rule "eligible benefit group → provider X": per provider programme the
coordinator maps a verified benefit group to a provider on a page (versioned); the placing page
proposes that provider, the run places never-placed courses with it within the person's
consent, says why it left a course, never places a course again that was placed before, and
the coordinator may always choose another provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kobling.core.scheduler import registry
from kobling.lib.errors import ConflictError
from kobling.providers import rules, services
from kobling.providers.choices import PlacementStatus
from kobling.providers.models import Placement, PlacementRule
from kobling.referrals.services import benefit_verify
from tests.conftest import signed_in
from tests.providers.builders import ORGNR, gym, provider_course, provider_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(cast):
    return provider_programme(cast)


@pytest.fixture
def gyms(cast):
    return gym(cast), gym(cast, "Havna Helse", orgnr=ORGNR[1])


def verified(cast, episode, benefit="aap"):
    benefit_verify(
        referral=episode.referral,
        by=cast.coordinator_a,
        benefit=benefit,
        verified_on=timezone.localdate() - dt.timedelta(days=3),
    )
    return episode


def rule(cast, programme, provider, benefit="aap"):
    return rules.rule_create(
        by=cast.coordinator_a,
        programme=programme,
        data={"benefit": benefit, "provider": provider, "activity": "Trening med helseveileder"},
    )


def test_the_run_places_eligible_never_placed_courses_within_consent(cast, programme, gyms):
    a, b = gyms
    rule(cast, programme, a, "aap")
    rule(cast, programme, b, "sykepenger")
    aap = verified(cast, provider_course(cast, programme, a, first_name="Aud"), "aap")
    sick = verified(cast, provider_course(cast, programme, b, first_name="Siv"), "sykepenger")
    # Verified, but no consent to share with the rule's provider: left with the reason.
    no_consent = verified(cast, provider_course(cast, programme, first_name="Nils"), "aap")
    # No verified benefit group: nothing to do.
    provider_course(cast, programme, a, first_name="Ola")
    run = rules.place_by_rules(municipality_ids=[cast.a.pk])
    assert run.placed == 2
    assert [(c.pk, "consent" in reason) for c, reason in run.left] == [(no_consent.pk, True)]
    placed = {p.episode_id: p for p in Placement.objects.all()}
    assert placed[aap.pk].provider == a and placed[sick.pk].provider == b
    assert placed[aap.pk].activity == "Trening med helseveileder"
    assert placed[aap.pk].status == PlacementStatus.PENDING
    # Run again: nothing placed twice.
    assert rules.place_by_rules(municipality_ids=[cast.a.pk]).placed == 0
    assert Placement.objects.count() == 2


def test_a_course_placed_before_is_never_placed_again_by_the_rule(cast, programme, gyms):
    a, b = gyms
    rule(cast, programme, a)
    course = verified(cast, provider_course(cast, programme, a))
    first = rules.place_by_rules(municipality_ids=[cast.a.pk])
    assert first.placed == 1
    placement = Placement.objects.get()
    services.placement_answer(
        placement=placement, by=None, accept=False, reason="Fullt", expected_version=1
    )
    assert rules.place_by_rules(municipality_ids=[cast.a.pk]).placed == 0
    assert Placement.objects.filter(episode=course).count() == 1


def test_the_placing_page_proposes_the_rules_provider_and_the_coordinator_may_override(
    cast, programme, gyms
):
    a, b = gyms
    rule(cast, programme, b)
    course = verified(cast, provider_course(cast, programme, a))
    page = signed_in(cast.coordinator_a)
    url = reverse("web:provider_placement_create", args=[course.pk])
    html = page.get(url).content.decode()
    assert "Proposed by the programme" in html and "Havna Helse" in html
    assert f'<option value="{b.pk}" selected>' in html
    today = timezone.localdate()
    page.post(
        url,
        {
            "provider": a.pk,
            "activity": "Svømming",
            "starts_on": today,
            "ends_on": today + dt.timedelta(weeks=8),
        },
    )
    assert Placement.objects.get(episode=course).provider == a


def test_rules_are_edited_on_a_page_with_versions_and_one_active_per_group(cast, programme, gyms):
    a, b = gyms
    page = signed_in(cast.coordinator_a)
    create = reverse("web:provider_rule_create", args=[programme.pk])
    data = {"benefit": "aap", "provider": a.pk, "activity": "Styrke", "weeks": 10}
    assert page.post(create, data).status_code == 302
    again = page.post(create, data)
    assert "already has an active rule" in again.content.decode()
    made = PlacementRule.objects.get()
    edit = reverse("web:provider_rule_edit", args=[made.pk])
    changed = {**data, "provider": b.pk, "is_active": "on", "version": made.version}
    assert page.post(edit, changed).status_code == 302
    stale = page.post(edit, {**changed, "provider": a.pk})
    assert "changed by someone else" in stale.content.decode()
    made.refresh_from_db()
    assert (made.provider, made.version) == (b, 2)
    # Retired: it proposes nothing; a new rule for the group may be made.
    page.post(edit, {**data, "provider": b.pk, "version": 2})
    made.refresh_from_db()
    assert made.is_active is False
    assert page.post(create, data).status_code == 302
    detail = page.get(reverse("web:provider_programme", args=[programme.pk])).content.decode()
    assert "retired" in detail and "Havna Helse" in detail
    # Another municipality's coordinator: 404; a referrer: 403.
    assert signed_in(cast.coordinator_b).get(edit).status_code == 404
    assert signed_in(cast.coordinator_b).get(create).status_code == 404
    assert signed_in(cast.referrer_a).get(create).status_code == 403


def test_a_rule_must_point_within_the_municipality_and_at_a_provider_programme(cast, programme):
    elsewhere = gym(cast, "Nordby Gym", municipality=cast.b, orgnr=ORGNR[2])
    with pytest.raises(ValidationError) as refused:
        rule(cast, programme, elsewhere)
    assert "provider" in refused.value.message_dict
    one_to_one = cast.programme_a
    with pytest.raises(ValidationError) as refused:
        rule(cast, one_to_one, gym(cast))
    assert "programme" in refused.value.message_dict


def test_the_run_button_and_the_daily_job(cast, programme, gyms):
    a, _b = gyms
    rule(cast, programme, a)
    verified(cast, provider_course(cast, programme, a))
    response = signed_in(cast.coordinator_a).post(
        reverse("web:provider_rules_run", args=[programme.pk]), follow=True
    )
    assert "1 courses were placed by the rules" in response.content.decode()
    assert "providers.placement_rules" in {job.name for job in registry.jobs()}
    assert rules.placement_rules_tick() == {"placed": 0, "left": 0}


def test_a_stale_rule_update_is_refused(cast, programme, gyms):
    a, b = gyms
    made = rule(cast, programme, a)
    rules.rule_update(by=None, rule=made, data={"provider": b}, expected_version=1)
    with pytest.raises(ConflictError):
        rules.rule_update(by=None, rule=made, data={"weeks": 3}, expected_version=1)
