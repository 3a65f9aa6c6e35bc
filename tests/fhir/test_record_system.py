"""A record system end to end, with a real FHIR client library (SMART on FHIR's fhirclient)
against a live Kobling server: it reads the CapabilityStatement, sends a ServiceRequest, polls
its Task while the municipality decides, pairs, logs sessions and ends the course through
Kobling's own services, then reads the Task's output and the follow-up answers."""

from __future__ import annotations

import pytest
from fhirclient import client as fhir
from fhirclient.models.questionnaireresponse import QuestionnaireResponse
from fhirclient.models.servicerequest import ServiceRequest
from fhirclient.models.task import Task
from fhirclient.server import FHIRNotFoundException
from requests.adapters import HTTPAdapter

from kobling.fhir import codes
from kobling.referrals.models import Referral
from tests.fhir import course
from tests.fhir.helpers import service_request, token_for
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db(transaction=True)


class HangUp(HTTPAdapter):
    """One connection per request, closed by the client once the answer is read.

    A kept-alive connection keeps a live-server thread waiting past the test, and when it
    closes it writes log lines into whatever test runs next in this process. Asking the server
    to close (`Connection: close`) is not enough: Django's server hangs up without saying so in
    its answer, the client pools the connection, and a request sent quickly afterwards races
    the hang-up (RemoteDisconnected)."""

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003, ANN201
        response = super().send(request, **kwargs)
        response.content  # noqa: B018 — read it all before the connection goes
        self.close()
        return response


def record_system(live_server, user) -> fhir.FHIRClient:  # noqa: ANN001
    smart = fhir.FHIRClient(
        settings={"app_id": "dips-test", "api_base": f"{live_server.url}/fhir/R4/"}
    )
    smart.server.session.headers["Authorization"] = f"Bearer {token_for(user)}"
    smart.server.session.mount("http://", HangUp())
    return smart


def poll(smart: fhir.FHIRClient, service_request_id: str) -> Task:
    """What a record system does on its schedule: search the Task based on its referral."""
    search = Task.where(struct={"based-on": f"ServiceRequest/{service_request_id}"})
    [task] = list(search.perform_resources_iter(smart.server))
    return task


def test_a_record_system_follows_its_referral_to_the_end(live_server, cast):
    smart = record_system(live_server, cast.referrer_a)
    smart.prepare()  # reads /metadata
    statement = smart.server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    assert "ServiceRequest" in {r.type for r in statement.rest[0].resource}

    created = ServiceRequest(service_request(), strict=True).create(smart.server)
    sent = ServiceRequest(created, strict=True)
    assert sent.status == "active" and sent.id

    task = poll(smart, sent.id)
    assert task.status == "requested"
    assert task.for_fhir.reference == sent.subject.reference
    assert task.output is None

    referral = Referral.objects.get(pk=int(sent.id))
    course.opened(referral, cast.coordinator_a)
    assert poll(smart, sent.id).status == "received"

    referral = course.granted(referral, cast.coordinator_a)
    assert poll(smart, sent.id).status == "accepted"

    pairing = course.started(
        course.paired(referral, s.contact(cast.programme_a), days=200), days=190
    )
    course.sessions(pairing, held=4, no_show=0, first_day=180)
    running = poll(smart, sent.id)
    assert running.status == "in-progress"
    assert {o.type.coding[0].code: o.valueUnsignedInt for o in running.output}["sessions-held"] == 4

    referral, review, followup = course.ended_course_after_start(cast, referral, pairing)
    done = Task.read(sent.id, smart.server)
    assert done.status == "completed"
    out = {o.type.coding[0].code: o for o in done.output}
    assert out["sessions-held"].valueUnsignedInt == 4
    assert out["minutes-total"].valueQuantity.value == 240
    assert out["attendance-rate"].valueDecimal == 1.0
    assert out["period"].valuePeriod.end.as_json() == course.days_ago(100).isoformat()
    assert out["handover"].valueCodeableConcept.coding[0].code == "gym"
    goals = [o for o in done.output if o.type.coding[0].code == "goal-attainment"]
    assert goals[0].type.text == "Gå til butikken alene"

    answers = list(
        QuestionnaireResponse.where(
            struct={
                "based-on": f"ServiceRequest/{sent.id}",
                "questionnaire": f"{codes.QUESTIONNAIRE_BASE}/followup",
            }
        ).perform_resources_iter(smart.server)
    )
    [answer] = answers
    assert answer.id == f"followup-{followup.pk}"
    items = {i.linkId: i.answer[0] for i in answer.item}
    assert items["months"].valueInteger == 3
    assert items["still_active"].valueBoolean is True
    assert items["minutes_per_week"].valueInteger == 150
    again = QuestionnaireResponse.read(answer.id, smart.server)
    assert again.status == "completed"

    # Another municipality's token cannot find any of it.
    outsider = record_system(live_server, cast.coordinator_b)
    with pytest.raises(FHIRNotFoundException):
        Task.read(sent.id, outsider.server)
