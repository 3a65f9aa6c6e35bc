"""Confirming a proposal into a pairing: the referral becomes paired, the contact and the
participant are told, a superseded run or a handled proposal is refused with the reason, and a
contact's places are guarded in the database — also with two coordinators clicking at once."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from kobling.followup.choices import PairingStatus
from kobling.followup.models import Pairing
from kobling.followup.services import pairing_confirm, pairing_end
from kobling.helpers.choices import HelperStatus
from kobling.lib.errors import ConflictError
from kobling.matching import services
from kobling.matching.choices import ProposalStatus
from kobling.matching.models import Proposal
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

MEETING = timezone.make_aware(dt.datetime(2031, 3, 4, 17, 30))


def _confirm(proposal, **kwargs):
    return pairing_confirm(proposal=proposal, by=kwargs.pop("by", None), **kwargs)


def test_confirming_creates_the_pairing_marks_the_referral_paired_and_tells_both(
    cast, django_capture_on_commit_callbacks
):
    helper = s.contact(cast.programme_a, first_name="Solveig", email="solveig@example.test")
    referral = s.waiting(
        cast.programme_a,
        first_name="Per",
        email="per@example.test",
        needs="Angst i store grupper",
        goals="Gå ned i vekt",
    )
    run = services.matching_run_create(by=cast.coordinator_a, programme=cast.programme_a)
    proposal = run.proposals.get()

    with django_capture_on_commit_callbacks(execute=True):
        pairing = _confirm(
            proposal,
            by=cast.coordinator_a,
            intro_meeting_at=MEETING,
            intro_meeting_place="Biblioteket",
        )

    assert pairing.status == PairingStatus.CONFIRMED
    assert (pairing.referral, pairing.helper, pairing.participant) == (
        referral,
        helper,
        referral.participant,
    )
    assert (pairing.proposal, pairing.slot, pairing.confirmed_by) == (
        proposal,
        0,
        cast.coordinator_a,
    )
    assert pairing.intro_meeting_place == "Biblioteket"
    referral.refresh_from_db()
    proposal.refresh_from_db()
    assert referral.status == ReferralStatus.PAIRED
    assert proposal.status == ProposalStatus.CONFIRMED

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"solveig@example.test", "per@example.test"}
    to_contact = by_recipient["solveig@example.test"]
    with translation.override("nb"):  # the contact has no language chosen: Norwegian
        assert to_contact.subject == gettext("You have a new participant")
    assert "/par/" in to_contact.body and "Per" not in to_contact.body
    to_participant = by_recipient["per@example.test"]
    assert "Solveig" in to_participant.body and "Biblioteket" in to_participant.body
    assert "17:30" in to_participant.body
    for message in mail.outbox:
        assert "Angst" not in message.body and "vekt" not in message.body


def test_confirming_without_a_meeting_tells_only_the_contact(
    cast, django_capture_on_commit_callbacks
):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a, email="per@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(s.proposal(referral, helper))
    assert [m.to for m in mail.outbox] == [[helper.email]]


def test_nothing_is_sent_when_the_confirmation_is_rolled_back(
    cast, django_capture_on_commit_callbacks
):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a, email="per@example.test")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _confirm(s.proposal(referral, helper), intro_meeting_at=MEETING, intro_meeting_place="X")
        raise RuntimeError
    assert callbacks == [] and mail.outbox == []
    assert not Pairing.objects.exists()


def test_confirming_is_audited(cast):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    pairing = _confirm(s.proposal(referral, helper), by=cast.coordinator_a)
    logged = set(
        AuditEntry.objects.filter(user=cast.coordinator_a).values_list("object_type", "action")
    )
    assert {
        ("followup.pairing", "create"),
        ("matching.proposal", "update"),
        ("referrals.referral", "update"),
    } <= logged
    entry = AuditEntry.objects.get(object_type="followup.pairing")
    assert entry.object_id == str(pairing.pk) and entry.changes["slot"] == 0


def test_a_proposal_from_a_superseded_run_cannot_be_confirmed_and_nothing_changes(cast):
    s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    old = services.matching_run_create(by=None, programme=cast.programme_a).proposals.get()
    services.matching_run_create(by=None, programme=cast.programme_a)

    with pytest.raises(ConflictError, match="superseded by a newer run"):
        _confirm(old)

    referral.refresh_from_db()
    old.refresh_from_db()
    assert referral.status == ReferralStatus.WAITING
    assert old.status == ProposalStatus.SUPERSEDED
    assert not Pairing.objects.exists()


def test_a_proposal_cannot_be_confirmed_twice(cast):
    proposal = s.proposal(s.waiting(cast.programme_a), s.contact(cast.programme_a, capacity=2))
    _confirm(proposal)
    with pytest.raises(ConflictError, match="already been handled"):
        _confirm(proposal)
    assert Pairing.objects.count() == 1


def test_a_rejected_proposal_cannot_be_confirmed(cast):
    proposal = s.proposal(s.waiting(cast.programme_a), s.contact(cast.programme_a))
    services.proposal_reject(proposal=proposal, by=None)
    with pytest.raises(ConflictError):
        _confirm(proposal)


def test_a_participant_who_is_no_longer_waiting_cannot_be_paired(cast):
    referral = s.waiting(cast.programme_a)
    proposal = s.proposal(referral, s.contact(cast.programme_a))
    referral.status = ReferralStatus.WITHDRAWN
    referral.save()
    with pytest.raises(ConflictError, match="no longer waiting"):
        _confirm(proposal)


def test_a_contact_who_stopped_being_active_cannot_be_confirmed(cast):
    helper = s.contact(cast.programme_a)
    proposal = s.proposal(s.waiting(cast.programme_a), helper)
    helper.status, helper.paused_until = HelperStatus.PAUSED, timezone.localdate()
    helper.save()
    with pytest.raises(ConflictError, match="no longer available"):
        _confirm(proposal)


def test_each_pairing_takes_the_lowest_free_place(cast):
    helper = s.contact(cast.programme_a, capacity=3)
    first = _confirm(s.proposal(s.waiting(cast.programme_a), helper))
    second = _confirm(s.proposal(s.waiting(cast.programme_a), helper))
    pairing_end(pairing=first, by=None, reason="goal_reached", handover_destination="gym")
    third = _confirm(s.proposal(s.waiting(cast.programme_a), helper))
    assert (first.slot, second.slot, third.slot) == (0, 1, 0)


def test_confirming_beyond_the_contacts_places_is_refused(cast):
    helper = s.contact(cast.programme_a, capacity=1, first_name="Full")
    run = services.matching_run_create(
        by=None, programme=cast.programme_a, referrals=[s.waiting(cast.programme_a).pk]
    )
    _confirm(run.proposals.get())
    extra = s.proposal(s.waiting(cast.programme_a), helper, run=run)

    with pytest.raises(ConflictError, match="Full .* has no free place left"):
        _confirm(extra)

    extra.refresh_from_db()
    assert extra.status == ProposalStatus.PROPOSED
    assert extra.referral.status == ReferralStatus.WAITING
    assert Pairing.objects.filter(helper=helper).count() == 1


def test_a_lowered_capacity_leaves_no_place_for_a_new_pairing(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    _confirm(s.proposal(s.waiting(cast.programme_a), helper))
    helper.capacity = 1
    helper.save()
    with pytest.raises(ConflictError, match="no free place"):
        _confirm(s.proposal(s.waiting(cast.programme_a), helper))


# --- the database guards the places (both backends) --------------------------------------------


def _raw_pairing(referral, helper, slot, status=PairingStatus.CONFIRMED):
    return Pairing.objects.create(
        municipality=referral.municipality,
        programme=referral.programme,
        referral=referral,
        participant=referral.participant,
        helper=helper,
        slot=slot,
        status=status,
        confirmed_at=timezone.now(),
    )


def test_the_database_refuses_a_second_open_pairing_in_the_same_place(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    _raw_pairing(s.waiting(cast.programme_a), helper, slot=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_pairing(s.waiting(cast.programme_a), helper, slot=0)
    assert Pairing.objects.count() == 1


def test_the_database_refuses_a_second_open_pairing_for_the_same_referral(cast):
    referral = s.waiting(cast.programme_a)
    _raw_pairing(referral, s.contact(cast.programme_a), slot=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_pairing(referral, s.contact(cast.programme_a), slot=0)


def test_an_ended_pairing_does_not_hold_its_place_in_the_database(cast):
    helper = s.contact(cast.programme_a)
    _raw_pairing(s.waiting(cast.programme_a), helper, slot=0, status=PairingStatus.ENDED)
    _raw_pairing(s.waiting(cast.programme_a), helper, slot=0)
    assert Pairing.objects.filter(helper=helper, slot=0).count() == 2


def test_a_place_taken_between_reading_and_writing_is_caught_and_the_next_one_used(
    cast, monkeypatch
):
    """What two coordinators at once look like to the loser: the free place it read is taken by
    the time it writes. The database refuses; the service looks again."""
    from kobling.followup import services as followup_services

    helper = s.contact(cast.programme_a, capacity=2)
    rival = s.waiting(cast.programme_a)
    real = followup_services.free_slot
    calls = []

    def stale(*, helper_id, capacity):
        calls.append(1)
        if len(calls) == 1:
            _raw_pairing(rival, helper, slot=0)  # the other coordinator wins place 0
            return 0
        return real(helper_id=helper_id, capacity=capacity)

    monkeypatch.setattr(followup_services, "free_slot", stale)
    pairing = _confirm(s.proposal(s.waiting(cast.programme_a), helper))
    assert pairing.slot == 1 and len(calls) == 2


def test_the_last_place_taken_between_reading_and_writing_gives_a_clear_409(cast, monkeypatch):
    from kobling.followup import services as followup_services

    helper = s.contact(cast.programme_a, capacity=1)
    rival = s.waiting(cast.programme_a)
    mine = s.waiting(cast.programme_a)
    real = followup_services.free_slot

    def stale(*, helper_id, capacity):
        if not Pairing.objects.filter(referral=rival).exists():
            _raw_pairing(rival, helper, slot=0)
            return 0
        return real(helper_id=helper_id, capacity=capacity)

    monkeypatch.setattr(followup_services, "free_slot", stale)
    with pytest.raises(ConflictError, match="no free place left"):
        _confirm(s.proposal(mine, helper))
    mine.refresh_from_db()
    assert mine.status == ReferralStatus.WAITING
    # (The simulated rival wrote inside this test's transaction, so the refusal rolled it back
    # too; in real life it committed first — see the PostgreSQL race below.)
    assert not Pairing.objects.filter(referral=mine).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_confirming_the_last_place_at_once_never_overbook_the_contact(cast):
    helper = s.contact(cast.programme_a, capacity=1)
    run = services.matching_run_create(
        by=None, programme=cast.programme_a, referrals=[s.waiting(cast.programme_a).pk]
    )
    proposals = [run.proposals.get(), s.proposal(s.waiting(cast.programme_a), helper, run=run)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(proposal: Proposal) -> None:
        try:
            barrier.wait()
            pairing_confirm(proposal=proposal, by=None)
            outcomes.append("paired")
        except ConflictError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(p,)) for p in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [f"{helper.full_name} has no free place left.", "paired"]
    assert Pairing.objects.filter(helper=helper).count() == 1
    assert Proposal.objects.filter(status=ProposalStatus.CONFIRMED).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_filling_two_places_at_once_both_succeed_in_different_places(cast):
    helper = s.contact(cast.programme_a, capacity=2)
    run = services.matching_run_create(
        by=None,
        programme=cast.programme_a,
        referrals=[s.waiting(cast.programme_a).pk, s.waiting(cast.programme_a).pk],
    )
    proposals = list(run.proposals.all())
    assert len(proposals) == 2
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(proposal: Proposal) -> None:
        try:
            barrier.wait()
            pairing_confirm(proposal=proposal, by=None)
            outcomes.append("paired")
        except ConflictError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(p,)) for p in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["paired", "paired"]
    assert sorted(Pairing.objects.filter(helper=helper).values_list("slot", flat=True)) == [0, 1]


def test_confirming_lifts_the_participants_lock_but_keeps_forbids(cast):
    helper, other = s.contact(cast.programme_a), s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    services.pair_rule_create(by=None, referral=referral, helper=helper, kind="lock")
    services.pair_rule_create(by=None, referral=referral, helper=other, kind="forbid")
    run = services.matching_run_create(by=None, programme=cast.programme_a)
    _confirm(run.proposals.get())
    from kobling.matching.models import PairRule

    assert list(PairRule.objects.values_list("helper_id", "kind")) == [(other.pk, "forbid")]
