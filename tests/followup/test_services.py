"""A pairing's life at the service layer: confirmed → active → paused → ended, the refusals
for moves that do not exist and for edits based on an old version, the introduction meeting,
and what an ending does to the referral — back on the waiting list avoiding a contact it did
not work out with, unless the coordinator says otherwise."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from kobling.followup import services
from kobling.followup.choices import EndReason, PairingStatus
from kobling.lib.errors import ConflictError
from kobling.matching.services import matching_run_create
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MEETING = timezone.make_aware(dt.datetime(2031, 5, 6, 18, 0))


@pytest.fixture
def pair(cast):
    helper = s.contact(cast.programme_a, first_name="Solveig", email="solveig@example.test")
    referral = s.waiting(cast.programme_a, first_name="Per", email="per@example.test")
    return s.pairing(referral, helper, by=cast.coordinator_a)


def _fresh(pairing):
    pairing.refresh_from_db()
    return pairing


def test_a_confirmed_pair_that_has_started_is_active_from_today(cast, pair):
    services.pairing_activate(pairing=pair, by=cast.coordinator_a)
    pair = _fresh(pair)
    assert (pair.status, pair.started_on, pair.version) == (PairingStatus.ACTIVE, TODAY, 2)


def test_an_active_pair_can_pause_and_resume_keeping_the_contacts_place(cast, pair):
    services.pairing_activate(pairing=pair, by=None)
    services.pairing_pause(pairing=pair, by=None, reason="Sykdom")
    assert _fresh(pair).status == PairingStatus.PAUSED
    assert _fresh(pair).slot == 0
    services.pairing_resume(pairing=pair, by=None)
    assert _fresh(pair).status == PairingStatus.ACTIVE


@pytest.mark.parametrize(
    ("steps", "move", "message"),
    [
        ([], "pause", "cannot go from confirmed to paused"),
        ([], "resume", "cannot go from confirmed to active"),
        (["activate"], "activate", "cannot go from active to active"),
        (["end"], "activate", "cannot go from ended to active"),
        (["end"], "end", "cannot go from ended to ended"),
    ],
)
def test_moves_that_do_not_exist_are_refused_with_the_reason(pair, steps, move, message):
    calls = {
        "activate": lambda p: services.pairing_activate(pairing=p, by=None),
        "pause": lambda p: services.pairing_pause(pairing=p, by=None),
        "resume": lambda p: services.pairing_resume(pairing=p, by=None),
        "end": lambda p: services.pairing_end(
            handover_destination="none", pairing=p, by=None, reason=EndReason.OTHER
        ),
    }
    for step in steps:
        calls[step](pair)
    before = _fresh(pair).status
    with pytest.raises(ValidationError) as caught:
        calls[move](pair)
    assert message in caught.value.message_dict["status"][0]
    assert _fresh(pair).status == before


def test_an_edit_based_on_an_old_version_is_refused_and_nothing_is_saved(pair):
    services.pairing_activate(pairing=pair, by=None, expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.pairing_pause(pairing=pair, by=None, expected_version=1)
    assert _fresh(pair).status == PairingStatus.ACTIVE


def test_a_start_in_the_future_or_before_the_confirmation_is_refused(pair):
    with pytest.raises(ValidationError, match="future"):
        services.pairing_activate(pairing=pair, by=None, started_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="before it was confirmed"):
        services.pairing_activate(pairing=pair, by=None, started_on=TODAY - dt.timedelta(days=30))
    assert _fresh(pair).status == PairingStatus.CONFIRMED


def test_ending_needs_a_reason(pair):
    with pytest.raises(ValidationError) as caught:
        services.pairing_end(handover_destination="none", pairing=pair, by=None, reason="")
    assert "reason" in caught.value.message_dict
    assert _fresh(pair).status == PairingStatus.CONFIRMED


def test_an_end_before_the_start_is_refused(pair):
    services.pairing_activate(pairing=pair, by=None)
    with pytest.raises(ValidationError) as caught:
        services.pairing_end(
            handover_destination="none",
            pairing=pair,
            by=None,
            reason="moved",
            ended_on=TODAY - dt.timedelta(days=1),
        )
    assert "ended_on" in caught.value.message_dict
    assert _fresh(pair).status == PairingStatus.ACTIVE


def test_ending_frees_the_place_and_closes_the_referral_when_the_participant_stops(cast, pair):
    services.pairing_activate(pairing=pair, by=None)
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=cast.coordinator_a,
        reason=EndReason.GOAL_REACHED,
        note="Går på egen hånd",
    )
    pair = _fresh(pair)
    assert (pair.status, pair.ended_on, pair.end_reason, pair.end_note) == (
        PairingStatus.ENDED,
        TODAY,
        "goal_reached",
        "Går på egen hånd",
    )
    referral = pair.referral
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED and referral.closed_at is not None
    # The place is free again: a new pairing takes place 0.
    again = s.pairing(s.waiting(cast.programme_a), pair.helper)
    assert again.slot == 0


@pytest.mark.parametrize("reason", [EndReason.NO_CHEMISTRY, EndReason.CONTACT_LEFT])
def test_after_a_broken_pair_a_continuing_participant_waits_again_avoiding_the_contact(
    pair, reason
):
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=None,
        reason=reason,
        participant_continues=True,
    )
    referral = pair.referral
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WAITING
    assert referral.avoid_helper == pair.helper


def test_the_coordinator_may_allow_the_same_contact_again_after_a_broken_pair(pair):
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=None,
        reason=EndReason.NO_CHEMISTRY,
        participant_continues=True,
        same_contact_ok=True,
    )
    pair.referral.refresh_from_db()
    assert pair.referral.status == ReferralStatus.WAITING
    assert pair.referral.avoid_helper is None


def test_after_a_move_a_continuing_participant_waits_without_avoiding_anyone(pair):
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=None,
        reason=EndReason.MOVED,
        participant_continues=True,
    )
    pair.referral.refresh_from_db()
    assert pair.referral.avoid_helper is None


def test_the_re_match_after_a_broken_pair_never_proposes_the_previous_contact(cast, pair):
    other = s.contact(cast.programme_a, activities=["climbing"])  # a poorer fit
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=None,
        reason=EndReason.NO_CHEMISTRY,
        participant_continues=True,
    )
    run = matching_run_create(by=cast.coordinator_a, programme=cast.programme_a)
    assert [(p.referral_id, p.helper_id) for p in run.proposals.all()] == [
        (pair.referral_id, other.pk)
    ]


def test_a_rematch_after_the_end_reopens_the_referral_avoiding_the_contact(pair):
    services.pairing_end(
        handover_destination="none", pairing=pair, by=None, reason=EndReason.PARTICIPANT_STOPPED
    )
    referral = services.pairing_rematch(pairing=pair, by=None)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WAITING
    assert referral.avoid_helper == pair.helper and referral.closed_at is None


def test_a_rematch_may_allow_the_same_contact_again(pair):
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=None,
        reason=EndReason.NO_CHEMISTRY,
        participant_continues=True,
    )
    referral = services.pairing_rematch(pairing=pair, by=None, same_contact_ok=True)
    assert referral.avoid_helper_id is None


def test_a_rematch_of_a_pair_that_has_not_ended_is_refused(pair):
    with pytest.raises(ValidationError, match="End the pairing"):
        services.pairing_rematch(pairing=pair, by=None)


def test_a_rematch_is_refused_when_the_person_has_a_new_open_referral(cast, pair):
    services.pairing_end(
        handover_destination="none", pairing=pair, by=None, reason=EndReason.GOAL_REACHED
    )
    s.waiting(cast.programme_a, participant=pair.participant)
    with pytest.raises(ValidationError, match="another open referral"):
        services.pairing_rematch(pairing=pair, by=None)


def test_setting_the_introduction_meeting_tells_the_contact_and_the_participant(
    cast, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.pairing_schedule_intro(
            pairing=pair, by=cast.coordinator_a, at=MEETING, place="Frivilligsentralen"
        )
    pair = _fresh(pair)
    assert (pair.intro_meeting_at, pair.intro_meeting_place) == (MEETING, "Frivilligsentralen")
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"solveig@example.test", "per@example.test"}
    with translation.override("nb"):
        expected = gettext("Introduction meeting with your new participant")
    assert by_recipient["solveig@example.test"].subject == expected
    assert "Frivilligsentralen" in by_recipient["per@example.test"].body
    assert "Solveig" in by_recipient["per@example.test"].body


def test_a_minor_without_an_e_mail_is_reached_through_the_guardian(
    cast, django_capture_on_commit_callbacks
):
    helper = s.contact(cast.programme_a)
    referral = s.waiting(cast.programme_a)
    participant = referral.participant
    participant.birth_date = TODAY - dt.timedelta(days=15 * 365)
    participant.guardian_name, participant.guardian_email = "Mor", "mor@example.test"
    participant.save()
    with django_capture_on_commit_callbacks(execute=True):
        s.pairing(referral, helper, intro_at=MEETING, place="Skolen")
    assert "mor@example.test" in [m.to[0] for m in mail.outbox]


def test_the_meeting_needs_a_time_and_a_place(pair):
    with pytest.raises(ValidationError) as caught:
        services.pairing_schedule_intro(pairing=pair, by=None, at=MEETING, place=" ")
    assert "intro_meeting_place" in caught.value.message_dict


def test_no_meeting_can_be_set_for_an_ended_pair(pair):
    services.pairing_end(handover_destination="none", pairing=pair, by=None, reason="other")
    with pytest.raises(ValidationError, match="ended"):
        services.pairing_schedule_intro(pairing=pair, by=None, at=MEETING, place="Her")


def test_a_place_without_a_time_is_refused_at_confirmation(cast):
    with pytest.raises(ValidationError) as caught:
        s.pairing(s.waiting(cast.programme_a), s.contact(cast.programme_a), place="Biblioteket")
    assert "intro_meeting_at" in caught.value.message_dict


def test_every_change_of_a_pairing_is_audited(cast, pair):
    services.pairing_activate(pairing=pair, by=cast.coordinator_a)
    services.pairing_pause(pairing=pair, by=cast.coordinator_a, reason="Ferie")
    services.pairing_resume(pairing=pair, by=cast.coordinator_a)
    services.pairing_schedule_intro(pairing=pair, by=cast.coordinator_a, at=MEETING, place="Her")
    services.pairing_end(
        handover_destination="none",
        pairing=pair,
        by=cast.coordinator_a,
        reason="no_chemistry",
        participant_continues=True,
    )
    changes = [
        e.changes.get("status")
        for e in AuditEntry.objects.filter(
            object_type="followup.pairing", object_id=str(pair.pk), action="update"
        ).order_by("id")
    ]
    assert changes == [
        ["confirmed", "active"],
        ["active", "paused"],
        ["paused", "active"],
        None,  # the meeting
        ["active", "ended"],
    ]
    referral_entry = AuditEntry.objects.filter(object_type="referrals.referral").latest("id")
    assert referral_entry.changes["status"] == ["paired", "waiting"]
    assert referral_entry.changes["avoid_helper"] == [None, pair.helper_id]


def test_the_contacts_e_mail_follows_their_chosen_language(
    cast, django_capture_on_commit_callbacks
):
    user = f.UserFactory(preferred_language="en")
    helper = s.contact(cast.programme_a, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        s.pairing(s.waiting(cast.programme_a), helper)
    assert mail.outbox[0].subject == "You have a new participant"
