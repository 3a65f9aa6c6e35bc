"""The Task of a ServiceRequest follows the referral, its decision and its course (derived on
every read): requested → received → accepted / rejected → in-progress → completed /
cancelled, with the course report as its output within the person's consent to share."""

from __future__ import annotations

import pytest

from kobling.fhir import codes
from kobling.fhir.task_status import task_state
from kobling.followup.report import build_episode_report
from kobling.referrals import services as referral_services
from kobling.referrals.models import Consent, Referral
from kobling.tenancy.models import AuditEntry
from tests.fhir import course
from tests.fhir.helpers import FhirClient, outcome, parsed, service_request
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db


def send(cast, **kwargs) -> Referral:  # noqa: ANN001
    sr = parsed(FhirClient(cast.referrer_a).post("ServiceRequest", service_request(**kwargs)), 201)
    return Referral.objects.get(pk=int(sr["id"]))


def task(client: FhirClient, referral: Referral) -> dict:
    return parsed(client.get(f"Task/{referral.pk}"), 200, "Task")


def outputs(resource: dict) -> dict[str, dict]:
    return {
        o["type"]["coding"][0]["code"]: o
        for o in resource.get("output", [])
        if o["type"]["coding"][0]["code"] != "goal-attainment"
    }


def test_the_task_follows_the_course_from_arrival_to_completion(cast):
    referrer = FhirClient(cast.referrer_a)
    referral = send(cast)
    first = task(referrer, referral)
    assert first["status"] == "requested"
    assert first["basedOn"] == [{"reference": f"ServiceRequest/{referral.pk}"}]
    assert first["focus"] == {"reference": f"ServiceRequest/{referral.pk}"}
    assert first["for"] == {"reference": f"Patient/{referral.participant_id}"}
    assert "output" not in first

    course.opened(referral, cast.coordinator_a)
    assert task(referrer, referral)["status"] == "received"

    referral = course.granted(referral, cast.coordinator_a)
    accepted = task(referrer, referral)
    assert accepted["status"] == "accepted"
    assert accepted["businessStatus"]["coding"][0]["code"] == "waiting"

    contact = s.contact(cast.programme_a)
    pairing = course.paired(referral, contact)
    assert task(referrer, referral)["status"] == "accepted"

    pairing = course.started(pairing)
    course.sessions(pairing, held=3, no_show=1)
    goal = course.goal_of(pairing)
    course.review(pairing, goal, on=course.days_ago(20))
    running = task(referrer, referral)
    assert running["status"] == "in-progress"
    assert running["executionPeriod"]["start"] == course.days_ago(60).isoformat()
    report = build_episode_report(referral.episode)
    out = outputs(running)
    assert out["sessions-held"]["valueUnsignedInt"] == report.sessions_held == 3
    assert out["sessions-planned"]["valueUnsignedInt"] == report.sessions_planned == 4
    assert out["minutes-total"]["valueQuantity"]["value"] == report.minutes_total == 180
    assert out["attendance-rate"]["valueDecimal"] == float(report.attendance_rate) == 0.75
    assert out["period"]["valuePeriod"]["start"] == report.period_start.isoformat()
    [attainment] = [
        o for o in running["output"] if o["type"]["coding"][0]["code"] == "goal-attainment"
    ]
    assert attainment["type"]["text"] == "Gå til butikken alene"
    assert attainment["valueCodeableConcept"]["coding"][0]["code"] == "1"

    course.ended(pairing)
    done = task(referrer, referral)
    assert done["status"] == "completed"
    assert done["executionPeriod"]["end"] == course.days_ago(10).isoformat()
    out = outputs(done)
    assert out["end-reason"]["valueCodeableConcept"]["coding"][0]["code"] == "goal_reached"
    assert out["handover"]["valueCodeableConcept"]["coding"][0]["code"] == "gym"
    assert out["period"]["valuePeriod"]["end"] == course.days_ago(10).isoformat()
    assert AuditEntry.objects.filter(
        object_type="referrals.episode", user=cast.referrer_a, action="view"
    ).exists()


def test_without_consent_to_share_the_referrer_sees_the_status_only(cast):
    referral = send(cast, share=False)
    referral = course.granted(referral, cast.coordinator_a)
    pairing = course.started(course.paired(referral, s.contact(cast.programme_a)))
    course.sessions(pairing)

    as_referrer = task(FhirClient(cast.referrer_a), referral)
    assert as_referrer["status"] == "in-progress"
    assert "output" not in as_referrer
    as_coordinator = task(FhirClient(cast.coordinator_a), referral)
    assert outputs(as_coordinator)["sessions-held"]["valueUnsignedInt"] == 3

    # Consent given later: the output appears; withdrawn: it is gone again.
    Consent.objects.create(
        referral=referral,
        municipality=cast.a,
        scope="share_with_referrer",
        given_on=course.days_ago(2),
        given_by="Kari Nordmann",
    )
    assert "output" in task(FhirClient(cast.referrer_a), referral)
    Consent.objects.filter(referral=referral).update(withdrawn_on=course.days_ago(0))
    assert "output" not in task(FhirClient(cast.referrer_a), referral)


def test_a_refusal_is_rejected_with_its_reason_and_a_withdrawal_cancelled(cast):
    referral = course.refused(send(cast), cast.coordinator_a)
    rejected = task(FhirClient(cast.referrer_a), referral)
    assert rejected["status"] == "rejected"
    assert rejected["statusReason"]["coding"][0]["code"] == "refused"
    assert rejected["statusReason"]["text"] == "Bor utenfor kommunen."

    other = send(cast, share=False, national_id=None, kind="treningskontakt", goals="Svømme")
    assert task(FhirClient(cast.referrer_a), other)["status"] == "requested"
    referral_services.referral_withdraw(referral=other, by=cast.coordinator_a, reason="Flyttet")
    cancelled = task(FhirClient(cast.referrer_a), other)
    assert cancelled["status"] == "cancelled"
    assert cancelled["statusReason"]["coding"][0]["code"] == "withdrawn"
    # Without consent the reasons stay with the municipality.
    no_consent = course.refused(
        send(cast, share=False, national_id="17058500267"), cast.coordinator_a
    )
    assert "text" not in task(FhirClient(cast.referrer_a), no_consent)["statusReason"]


def test_search_by_based_on_status_and_last_updated_for_polling(cast):
    referrer = FhirClient(cast.referrer_a)
    waiting = course.granted(send(cast), cast.coordinator_a)
    fresh = send(cast, national_id="17058500267")

    bundle = parsed(referrer.get("Task"), 200, "Bundle")
    assert bundle["total"] == 2
    found = parsed(referrer.get(f"Task?based-on=ServiceRequest/{fresh.pk}"), 200)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(fresh.pk)]
    accepted = parsed(referrer.get("Task?status=accepted"), 200)
    assert [e["resource"]["id"] for e in accepted["entry"]] == [str(waiting.pk)]
    both = parsed(referrer.get("Task?status=accepted,requested"), 200)
    assert both["total"] == 2

    # Polling: what changed since the last poll. A session logged moves the Task's lastUpdated.
    last = max(e["resource"]["meta"]["lastUpdated"] for e in bundle["entry"])
    assert parsed(referrer.get(f"Task?_lastUpdated=gt{last}"), 200)["total"] == 0
    pairing = course.started(course.paired(waiting, s.contact(cast.programme_a)), days=3)
    s.log(pairing, days_ago=0)
    changed = parsed(referrer.get(f"Task?_lastUpdated=gt{last}".replace("+", "%2B")), 200)
    assert [e["resource"]["id"] for e in changed["entry"]] == [str(waiting.pk)]
    outcome(referrer.get("Task?status=finished"), 400)


def test_tenancy_and_roles(cast):
    referral = send(cast)
    for user in (cast.coordinator_b,):
        outcome(FhirClient(user).get(f"Task/{referral.pk}"), 404)
        assert parsed(FhirClient(user).get("Task"), 200)["total"] == 0
    for user in (cast.contact_user_a, cast.analyst, cast.provider_user):
        outcome(FhirClient(user).get(f"Task/{referral.pk}"), 403)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"referral_status": "received", "seen_by_staff": False}, "requested"),
        ({"referral_status": "received", "seen_by_staff": True}, "received"),
        ({"referral_status": "more_info", "decision_outcome": "more_info"}, "received"),
        ({"referral_status": "refused", "decision_outcome": "refused"}, "rejected"),
        ({"referral_status": "waiting", "episode_status": "waiting"}, "accepted"),
        ({"referral_status": "paired", "episode_status": "waiting"}, "accepted"),
        ({"referral_status": "paired", "episode_status": "active"}, "in-progress"),
        ({"referral_status": "paired", "episode_status": "paused"}, "on-hold"),
        (
            {"referral_status": "closed", "episode_status": "ended", "episode_end_reason": "moved"},
            "completed",
        ),
        (
            {
                "referral_status": "withdrawn",
                "episode_status": "ended",
                "episode_end_reason": "withdrawn",
            },
            "cancelled",
        ),
        (
            {
                "referral_status": "closed",
                "episode_status": "ended",
                "episode_end_reason": "revoked",
            },
            "cancelled",
        ),
        ({"referral_status": "withdrawn"}, "cancelled"),
    ],
)
def test_the_status_mapping(given, expected):
    values = {"decision_outcome": None, "seen_by_staff": False, "episode_status": None, **given}
    assert task_state(**values).status == expected


def test_the_codes_are_kobling_s_documented_systems():
    assert codes.TASK_OUTPUT_SYSTEM.startswith(codes.CANONICAL)
