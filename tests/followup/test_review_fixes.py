"""Ways around the rules found in review; each must stay closed."""

import pytest
from django.core.exceptions import ValidationError

from kobling.followup import services
from kobling.followup.models import Pairing
from kobling.helpers import services as helper_services
from kobling.lib.errors import ConflictError
from kobling.matching.models import PairRule
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def test_a_contact_never_gets_more_pairs_than_places_even_after_capacity_was_lowered(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    first = s.pairing(s.waiting(cast.programme_a), helper)
    s.pairing(s.waiting(cast.programme_a), helper)
    services.pairing_end(handover_destination="none", pairing=first, by=None, reason="goal_reached")
    helper.refresh_from_db()
    helper_services.helper_update(
        helper=helper, by=cast.coordinator_a, data={"capacity": 1}, expected_version=helper.version
    )
    with pytest.raises(ConflictError):
        s.pairing(s.waiting(cast.programme_a), helper)
    assert (
        Pairing.objects.filter(helper=helper, status__in=["confirmed", "active", "paused"]).count()
        == 1
    )


def test_capacity_cannot_be_lowered_below_the_open_pairings(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    s.pairing(s.waiting(cast.programme_a), helper)
    s.pairing(s.waiting(cast.programme_a), helper)
    helper.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        helper_services.helper_update(
            helper=helper,
            by=cast.coordinator_a,
            data={"capacity": 1},
            expected_version=helper.version,
        )
    assert "capacity" in err.value.message_dict


def test_a_forbidden_pair_cannot_be_confirmed(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    proposal = s.proposal(referral, helper)
    PairRule.objects.create(municipality=cast.a, referral=referral, helper=helper, kind="forbid")
    with pytest.raises(ConflictError):
        services.pairing_confirm(proposal=proposal, by=cast.coordinator_a)
    assert not Pairing.objects.filter(referral=referral).exists()


def test_starting_a_paused_pairing_again_keeps_its_start_date(cast):
    pairing = s.pairing(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    pairing = services.pairing_activate(pairing=pairing, by=None)
    started = pairing.started_on
    pairing = services.pairing_pause(pairing=pairing, by=None)
    with pytest.raises(ConflictError):
        services.pairing_activate(pairing=pairing, by=None)
    pairing.refresh_from_db()
    assert pairing.started_on == started and pairing.status == "paused"


def test_a_huge_lowest_acceptable_score_is_refused_not_crashed(cast, api):
    response = api(cast.coordinator_a).post(
        "/api/v1/matching/runs/",
        {"programme": cast.programme_a.pk, "min_score": 1e6},
        format="json",
    )
    assert response.status_code == 400
    assert api(cast.coordinator_a).get("/api/v1/matching/runs/").status_code == 200
