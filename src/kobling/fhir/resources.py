"""Kobling's records as FHIR resources. Every builder ends in :func:`emit`, which validates the
resource with fhir.resources' models (R4B) — nothing leaves the endpoint that the library did
not accept. What a reader may see is decided by the caller (views.py) and passed in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from kobling.fhir import codes
from kobling.fhir.task_status import TaskState
from kobling.followup.choices import HandoverDestination
from kobling.outcomes.choices import InstrumentKind, ReviewKind
from kobling.referrals.choices import (
    EPISODE_END_REASONS,
    ConsentScope,
    ReferralSource,
    ReferralStatus,
)
from kobling.referrals.identity import is_d_number
from kobling.tenancy.choices import ProgrammeKind

MODELS: dict[str, type[Resource]] = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "OperationOutcome": OperationOutcome,
    "Patient": Patient,
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
    "ServiceRequest": ServiceRequest,
    "Task": Task,
}


def emit(data: dict[str, Any]) -> Resource:
    """The resource ``data`` describes, validated by its fhir.resources model (raises
    pydantic's ValidationError on anything the model refuses)."""
    return MODELS[data["resourceType"]].model_validate(data)


def _clean(value: Any) -> Any:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        cleaned = [_clean(v) for v in value]
        return [v for v in cleaned if v not in (None, "", [], {})]
    return value


def _instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    # Microseconds: a poller's "_lastUpdated=gt<the last one seen>" must not see it again.
    return timezone.localtime(value).isoformat(timespec="microseconds")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def coding(system: str, code: str, display: Any = "") -> dict[str, Any]:
    return {"system": system, "code": code, "display": str(display) if display else None}


def number_code(value: Any) -> str:
    """A scale point as a code: 1, -2, 2.5 (never "1.00")."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _label(choices: Any, code: str) -> str:
    return str(dict(choices).get(code, code))


# --- Patient -------------------------------------------------------------------------------------

GENDERS = {"female": "female", "male": "male", "other": "other", "unspecified": "unknown"}


def patient_identifiers(participant: Any) -> list[dict[str, Any]]:
    """fødselsnummer or D-nummer (HL7 Norway no-basis OIDs), else Kobling's own participant id
    and what identified the person instead."""
    if participant.national_id:
        system = codes.DNR_SYSTEM if is_d_number(participant.national_id) else codes.FNR_SYSTEM
        return [{"use": "official", "system": system, "value": participant.national_id}]
    found = [{"use": "usual", "system": codes.PARTICIPANT_SYSTEM, "value": str(participant.pk)}]
    if participant.alternative_id_note:
        found.append(
            {
                "use": "secondary",
                "system": codes.ALTERNATIVE_ID_SYSTEM,
                "value": participant.alternative_id_note,
            }
        )
    return found


def patient(participant: Any) -> dict[str, Any]:
    telecom = []
    if participant.phone:
        telecom.append({"system": "phone", "value": participant.phone})
    if participant.email:
        telecom.append({"system": "email", "value": participant.email})
    lines = [participant.care_of and f"c/o {participant.care_of}", participant.street_address]
    lines.append(participant.post_box)
    contact = []
    if participant.guardian_name:
        guardian_telecom = []
        if participant.guardian_phone:
            guardian_telecom.append({"system": "phone", "value": participant.guardian_phone})
        if participant.guardian_email:
            guardian_telecom.append({"system": "email", "value": participant.guardian_email})
        contact.append(
            {
                "relationship": [
                    {
                        "coding": [
                            coding(
                                "http://terminology.hl7.org/CodeSystem/v2-0131", "N", "Next-of-Kin"
                            )
                        ],
                        "text": "guardian",
                    }
                ],
                "name": {"text": participant.guardian_name},
                "telecom": guardian_telecom,
            }
        )
    return _clean(
        {
            "resourceType": "Patient",
            "id": str(participant.pk),
            "meta": {"lastUpdated": _instant(participant.updated_at)},
            "identifier": patient_identifiers(participant),
            "active": True,
            "name": [
                {
                    "use": "official",
                    "family": participant.last_name,
                    "given": [participant.first_name],
                }
            ],
            "gender": GENDERS.get(participant.gender, "unknown"),
            "birthDate": _date(participant.birth_date),
            "telecom": telecom,
            "address": [
                {
                    "use": "home",
                    "line": [line for line in lines if line],
                    "postalCode": participant.postcode,
                    "city": participant.post_town,
                    "district": participant.home_area,
                    "country": "NO",
                }
            ],
            "contact": contact,
            "communication": [
                {"language": {"coding": [coding("urn:ietf:bcp:47", code)]}}
                for code in participant.languages or []
            ],
        }
    )


# --- ServiceRequest ---------------------------------------------------------------------------

SERVICE_REQUEST_STATUS = {
    ReferralStatus.RECEIVED: "active",
    ReferralStatus.MORE_INFO: "active",
    ReferralStatus.WAITING: "active",
    ReferralStatus.PAIRED: "active",
    ReferralStatus.REFUSED: "revoked",
    ReferralStatus.WITHDRAWN: "revoked",
    ReferralStatus.CLOSED: "completed",
}


def referral_statuses_for(status: str) -> list[str]:
    """The referral statuses a ServiceRequest status stands for (for ``status`` searches)."""
    return [k.value for k, v in SERVICE_REQUEST_STATUS.items() if v == status]


def programme_code(programme: Any) -> dict[str, Any]:
    return {
        "coding": [
            coding(
                codes.PROGRAMME_KIND_SYSTEM,
                programme.kind,
                _label(ProgrammeKind.choices, programme.kind),
            ),
            coding(codes.PROGRAMME_SYSTEM, str(programme.pk), programme.name),
        ],
        "text": programme.name,
    }


def _consent(consent: Any, participant_id: int) -> dict[str, Any]:
    withdrawn = consent.withdrawn_on is not None and consent.withdrawn_on <= timezone.localdate()
    return {
        "resourceType": "Consent",
        "id": f"consent-{consent.pk}",
        "status": "inactive" if withdrawn else "active",
        "scope": {"coding": [coding(codes.CONSENT_SCOPE_FHIR, "patient-privacy")]},
        "category": [
            {
                "coding": [
                    coding(
                        codes.CONSENT_SCOPE_SYSTEM,
                        consent.scope,
                        _label(ConsentScope.choices, consent.scope),
                    )
                ]
            }
        ],
        "patient": {"reference": f"Patient/{participant_id}"},
        "dateTime": f"{consent.given_on.isoformat()}T00:00:00+00:00",
        "performer": [{"display": consent.given_by}],
        "policyRule": {"text": consent.partner_name or str(ConsentScope(consent.scope).label)},
        "provision": {
            "period": {
                "start": _date(consent.given_on),
                "end": _date(consent.withdrawn_on),
            }
        },
    }


def service_request(referral: Any, *, consents: list[Any], full: bool) -> dict[str, Any]:
    """``full``: the reader may see the referral's details (its coordinators, and the referrer
    who made it); the consents are those the reader may see."""
    requester = ", ".join(
        part for part in (referral.referrer_name, referral.referrer_organisation) if part
    )
    reasons = [
        {"coding": [coding(codes.TARGET_GROUP_SYSTEM, group.code, group.name)]}
        for group in referral.target_groups.all()
    ]
    if full and referral.needs:
        reasons.append({"text": referral.needs})
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.pk),
            "meta": {"lastUpdated": _instant(referral.updated_at)},
            "contained": [_consent(c, referral.participant_id) for c in consents],
            "identifier": [{"system": codes.REFERRAL_SYSTEM, "value": str(referral.pk)}],
            "status": SERVICE_REQUEST_STATUS.get(referral.status, "unknown"),
            "intent": "order",
            "category": [
                {
                    "coding": [
                        coding(
                            codes.REFERRAL_SOURCE_SYSTEM,
                            referral.source,
                            _label(ReferralSource.choices, referral.source),
                        ),
                    ]
                }
            ],
            "code": programme_code(referral.programme),
            "subject": {
                "reference": f"Patient/{referral.participant_id}",
                "display": referral.participant.full_name,
            },
            "authoredOn": _instant(referral.received_at),
            "requester": {"display": requester} if requester else None,
            "performer": [{"display": referral.municipality.name}],
            "reasonCode": reasons,
            "note": [{"text": referral.goals}] if full and referral.goals else [],
            "supportingInfo": [{"reference": f"#consent-{c.pk}"} for c in consents],
        }
    )


# --- Task ----------------------------------------------------------------------------------------

BUSINESS_STATUS_LABELS = {
    **{k: str(v) for k, v in ReferralStatus.choices},
    "active": "Course active",
    "paused": "Course paused",
    "ended": "Course ended",
}
STATUS_REASON_LABELS = {
    **{k: str(v) for k, v in EPISODE_END_REASONS},
    "refused": "Refused",
    "withdrawn": "Withdrawn",
    "closed": "Closed",
    "more_info": "More information needed",
}


def _output(code: str, label: str, **value: Any) -> dict[str, Any]:
    return {"type": {"coding": [coding(codes.TASK_OUTPUT_SYSTEM, code, label)]}, **value}


def _minutes(value: Any) -> dict[str, Any]:
    return {"value": Decimal(value), "unit": "min", "system": codes.UCUM, "code": "min"}


def task_output(report: Any) -> list[dict[str, Any]]:
    """The course report (followup.report.build_episode_report — the same numbers as
    ``GET /api/v1/episodes/{id}/report``) in coded form."""
    out = [
        _output(
            "period",
            "Period",
            valuePeriod={
                "start": _date(report.period_start),
                "end": _date(report.ended_on or report.period_end),
            },
        ),
        _output("sessions-planned", "Sessions planned", valueUnsignedInt=report.sessions_planned),
        _output("sessions-held", "Sessions held", valueUnsignedInt=report.sessions_held),
        _output(
            "meetings-offered", "Group meetings offered", valueUnsignedInt=report.meetings_offered
        ),
        _output(
            "meetings-attended",
            "Group meetings attended",
            valueUnsignedInt=report.meetings_attended,
        ),
        _output(
            "minutes-total", "Minutes of activity", valueQuantity=_minutes(report.minutes_total)
        ),
    ]
    if report.attendance_rate is not None:
        out.append(
            _output("attendance-rate", "Attendance rate", valueDecimal=report.attendance_rate)
        )
    if report.weekly_minutes_average is not None:
        out.append(
            _output(
                "weekly-minutes",
                "Minutes a week on average",
                valueQuantity={
                    "value": report.weekly_minutes_average,
                    "unit": "min/wk",
                    "system": codes.UCUM,
                    "code": "min/wk",
                },
            )
        )
    if report.completed is not None:
        out.append(
            _output(
                "completed", "Completed under the programme's rule", valueBoolean=report.completed
            )
        )
    if report.end_reason:
        out.append(
            _output(
                "end-reason",
                "Reason for ending",
                valueCodeableConcept={
                    "coding": [
                        coding(
                            codes.TASK_STATUS_REASON_SYSTEM,
                            report.end_reason,
                            STATUS_REASON_LABELS.get(report.end_reason, report.end_reason),
                        )
                    ]
                },
            )
        )
    if report.handover_destination:
        out.append(
            _output(
                "handover",
                "Handed over to",
                valueCodeableConcept={
                    "coding": [
                        coding(
                            codes.HANDOVER_SYSTEM,
                            report.handover_destination,
                            _label(HandoverDestination.choices, report.handover_destination),
                        )
                    ]
                },
            )
        )
    for goal in report.goals:
        attainment = goal.get("latest_attainment")
        if attainment is None:
            continue
        out.append(
            {
                "type": {
                    "coding": [
                        coding(codes.TASK_OUTPUT_SYSTEM, "goal-attainment", "Goal attainment")
                    ],
                    "text": goal["text"],
                },
                "valueCodeableConcept": {
                    "coding": [
                        coding(
                            f"{codes.INSTRUMENT_SYSTEM}/goal_attainment",
                            number_code(attainment["value"]),
                            attainment["label"],
                        )
                    ],
                    "text": f"{attainment['label']} ({attainment['date'].isoformat()})".strip(),
                },
            }
        )
    return out


def task(
    referral: Any,
    *,
    state: TaskState,
    last_updated: dt.datetime,
    episode: Any,
    report: Any | None,
    show_reason_text: bool,
    decision_reasons: str = "",
) -> dict[str, Any]:
    """The Task of a referral (same id as its ServiceRequest). ``report`` is the course report
    when the reader may see it (else the Task carries its status only)."""
    reason = None
    if state.reason:
        reason = {
            "coding": [
                coding(
                    codes.TASK_STATUS_REASON_SYSTEM,
                    state.reason,
                    STATUS_REASON_LABELS.get(state.reason, state.reason),
                )
            ],
            "text": decision_reasons if show_reason_text and decision_reasons else None,
        }
    period = None
    if episode is not None and episode.started_on:
        period = {"start": _date(episode.started_on), "end": _date(episode.ended_on)}
    return _clean(
        {
            "resourceType": "Task",
            "id": str(referral.pk),
            "meta": {"lastUpdated": _instant(last_updated)},
            "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
            "status": state.status,
            "statusReason": reason,
            "businessStatus": {
                "coding": [
                    coding(
                        codes.TASK_BUSINESS_STATUS_SYSTEM,
                        state.business,
                        BUSINESS_STATUS_LABELS.get(state.business, state.business),
                    )
                ]
            },
            "intent": "order",
            "code": {
                "coding": [coding(codes.TASK_CODE_SYSTEM, "fulfill", "Fulfill the focal request")]
            },
            "focus": {"reference": f"ServiceRequest/{referral.pk}"},
            "for": {"reference": f"Patient/{referral.participant_id}"},
            "authoredOn": _instant(referral.received_at),
            "lastModified": _instant(last_updated),
            "executionPeriod": period,
            "owner": {"display": referral.municipality.name},
            "output": task_output(report) if report is not None else [],
        }
    )


# --- Questionnaires and their answers ----------------------------------------------------------

FOLLOWUP_QUESTIONNAIRE = "followup"
REVIEW_QUESTIONNAIRE = "review"


def questionnaire_url(name: str) -> str:
    return f"{codes.QUESTIONNAIRE_BASE}/{name}"


def _options(system: str, choices: Any) -> list[dict[str, Any]]:
    return [{"valueCoding": coding(system, code, label)} for code, label in choices if code]


def followup_questionnaire() -> dict[str, Any]:
    """The questionnaire sent 3, 6 and 12 months after the end (outcomes.FollowUp)."""
    return _clean(
        {
            "resourceType": "Questionnaire",
            "id": FOLLOWUP_QUESTIONNAIRE,
            "url": questionnaire_url(FOLLOWUP_QUESTIONNAIRE),
            "version": "1",
            "name": "KoblingFollowUp",
            "title": "Follow-up 3, 6 and 12 months after the course",
            "status": "active",
            "subjectType": ["Patient"],
            "item": [
                {
                    "linkId": "months",
                    "text": "Months after the end of the course",
                    "type": "integer",
                    "readOnly": True,
                    "required": True,
                },
                {"linkId": "still_active", "text": "Are you still active?", "type": "boolean"},
                {
                    "linkId": "minutes_per_week",
                    "text": "About how many minutes a week are you active?",
                    "type": "integer",
                },
                {
                    "linkId": "where",
                    "text": "Where are you active?",
                    "type": "choice",
                    "answerOption": _options(codes.HANDOVER_SYSTEM, HandoverDestination.choices),
                },
                {"linkId": "where_other", "text": "Where (other)", "type": "string"},
            ],
        }
    )


def review_questionnaire(instruments: list[Any]) -> dict[str, Any]:
    """The review questionnaire, generated from Kobling's instruments in use: one item per
    instrument (a choice of its scale points for a rating scale, a decimal otherwise) and a
    repeating group per goal for goal attainment. Its version names each instrument's."""
    items: list[dict[str, Any]] = [
        {
            "linkId": "kind",
            "text": "Kind of review",
            "type": "choice",
            "required": True,
            "answerOption": _options(
                f"{codes.CANONICAL}/CodeSystem/review-kind", ReviewKind.choices
            ),
        },
        {"linkId": "date", "text": "Date", "type": "date", "required": True},
    ]
    for instrument in instruments:
        code = [coding(codes.INSTRUMENT_SYSTEM, instrument.code, instrument.name_en)]
        points = [
            {
                "valueCoding": coding(
                    f"{codes.INSTRUMENT_SYSTEM}/{instrument.code}",
                    number_code(item.value),
                    item.label_en,
                )
            }
            for item in instrument.items.all()
        ]
        if instrument.kind == InstrumentKind.GOAL:
            items.append(
                {
                    "linkId": "goals",
                    "text": instrument.name_en,
                    "code": code,
                    "type": "group",
                    "repeats": True,
                    "item": [
                        {
                            "linkId": "goals.goal",
                            "text": "The goal, in the person's words",
                            "type": "string",
                        },
                        {
                            "linkId": "goals.attainment",
                            "text": instrument.name_en,
                            "type": "choice",
                            "answerOption": points,
                        },
                    ],
                }
            )
            continue
        item: dict[str, Any] = {"linkId": instrument.code, "text": instrument.name_en, "code": code}
        if instrument.kind == InstrumentKind.RATING and points:
            item.update(type="choice", answerOption=points)
        else:
            item.update(type="decimal")
        items.append(item)
    return _clean(
        {
            "resourceType": "Questionnaire",
            "id": REVIEW_QUESTIONNAIRE,
            "url": questionnaire_url(REVIEW_QUESTIONNAIRE),
            "version": ";".join(f"{i.code}:{i.version}" for i in instruments) or "0",
            "name": "KoblingReview",
            "title": "Review of progress (start, periodic, end)",
            "status": "active",
            "subjectType": ["Patient"],
            "item": items,
        }
    )


def followup_response(followup: Any, referral_id: int, participant_id: int) -> dict[str, Any]:
    answers: list[dict[str, Any]] = [
        {"linkId": "months", "answer": [{"valueInteger": followup.months}]}
    ]
    if followup.still_active is not None:
        answers.append(
            {"linkId": "still_active", "answer": [{"valueBoolean": followup.still_active}]}
        )
    if followup.minutes_per_week is not None:
        answers.append(
            {"linkId": "minutes_per_week", "answer": [{"valueInteger": followup.minutes_per_week}]}
        )
    if followup.where:
        answers.append(
            {
                "linkId": "where",
                "answer": [
                    {
                        "valueCoding": coding(
                            codes.HANDOVER_SYSTEM,
                            followup.where,
                            _label(HandoverDestination.choices, followup.where),
                        )
                    }
                ],
            }
        )
    if followup.where_other:
        answers.append({"linkId": "where_other", "answer": [{"valueString": followup.where_other}]})
    return _clean(
        {
            "resourceType": "QuestionnaireResponse",
            "id": f"followup-{followup.pk}",
            "meta": {"lastUpdated": _instant(followup.answered_at)},
            "basedOn": [{"reference": f"ServiceRequest/{referral_id}"}],
            "questionnaire": questionnaire_url(FOLLOWUP_QUESTIONNAIRE),
            "status": "completed",
            "subject": {"reference": f"Patient/{participant_id}"},
            "authored": _instant(followup.answered_at),
            "item": answers,
        }
    )


def review_response(
    review: Any, referral_id: int, participant_id: int, *, goals: dict[int, str]
) -> dict[str, Any]:
    """A review that stands, with its scores (the note stays out: the referrer gets figures,
    not notes, as in the referrer report)."""
    items: list[dict[str, Any]] = [
        {
            "linkId": "kind",
            "answer": [
                {
                    "valueCoding": coding(
                        f"{codes.CANONICAL}/CodeSystem/review-kind",
                        review.kind,
                        _label(ReviewKind.choices, review.kind),
                    )
                }
            ],
        },
        {"linkId": "date", "answer": [{"valueDate": _date(review.date)}]},
    ]
    goal_groups = []
    for score in review.scores.all():
        if score.goal_id is not None:
            label = next(
                (i.label_en for i in score.instrument.items.all() if i.value == score.value), ""
            )
            goal_groups.append(
                {
                    "linkId": "goals",
                    "item": [
                        {
                            "linkId": "goals.goal",
                            "answer": [{"valueString": goals.get(score.goal_id, "")}],
                        },
                        {
                            "linkId": "goals.attainment",
                            "answer": [
                                {
                                    "valueCoding": coding(
                                        f"{codes.INSTRUMENT_SYSTEM}/{score.instrument_code}",
                                        number_code(score.value),
                                        label,
                                    )
                                }
                            ],
                        },
                    ],
                }
            )
            continue
        if score.instrument.kind == InstrumentKind.RATING and score.instrument.items.all():
            label = next(
                (i.label_en for i in score.instrument.items.all() if i.value == score.value), ""
            )
            answer = {
                "valueCoding": coding(
                    f"{codes.INSTRUMENT_SYSTEM}/{score.instrument_code}",
                    number_code(score.value),
                    label,
                )
            }
        else:
            answer = {"valueDecimal": score.value}
        items.append({"linkId": score.instrument_code, "answer": [answer]})
    items.extend(goal_groups)
    return _clean(
        {
            "resourceType": "QuestionnaireResponse",
            "id": f"review-{review.pk}",
            "meta": {"lastUpdated": _instant(review.recorded_at)},
            "basedOn": [{"reference": f"ServiceRequest/{referral_id}"}],
            "questionnaire": questionnaire_url(REVIEW_QUESTIONNAIRE),
            "status": "completed",
            "subject": {"reference": f"Patient/{participant_id}"},
            "authored": _instant(review.recorded_at),
            "item": items,
        }
    )


# --- Bundle, OperationOutcome, CapabilityStatement ---------------------------------------------


def searchset(
    *, base: str, resources: list[dict[str, Any]], total: int, links: dict[str, str]
) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": [{"relation": rel, "url": url} for rel, url in links.items()],
            "entry": [
                {
                    "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in resources
            ],
        }
    )


def operation_outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """``issues``: ``code`` (FHIR IssueType), ``text`` and optional ``expression`` (list)."""
    return _clean(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": issue.get("severity", "error"),
                    "code": issue["code"],
                    "details": {"text": str(issue["text"])},
                    "diagnostics": str(issue["text"]),
                    "expression": issue.get("expression") or [],
                }
                for issue in issues
            ],
        }
    )


def _search_param(name: str, kind: str, text: str) -> dict[str, Any]:
    return {"name": name, "type": kind, "documentation": text}


LAST_UPDATED = _search_param(
    "_lastUpdated", "date", "When the resource last changed (gt, ge, lt, le, eq prefixes)."
)


def capability_statement(*, base: str, software_version: str) -> dict[str, Any]:
    read_search = [{"code": "read"}, {"code": "search-type"}]
    return _clean(
        {
            "resourceType": "CapabilityStatement",
            "id": "kobling",
            "url": f"{base}metadata",
            "name": "KoblingFhirServer",
            "title": "Kobling FHIR R4 endpoint",
            "status": "active",
            "date": "2026-12-04",
            "publisher": "Kobling",
            "description": (
                "Referrals in from record systems (ServiceRequest), the closed loop out (Task "
                "with the course report), Patient with Norwegian identifiers, follow-up and "
                "review answers (QuestionnaireResponse) and the questionnaires Kobling asks. "
                "JSON only. Every resource is scoped to the token's municipality and role."
            ),
            "kind": "instance",
            "software": {"name": "Kobling", "version": software_version},
            "implementation": {"description": "Kobling", "url": base},
            "fhirVersion": codes.FHIR_VERSION,
            "format": [codes.MEDIA_TYPE, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "See docs/fhir.md.",
                    "security": {
                        "cors": False,
                        "description": (
                            "Send a Kobling API token: 'Authorization: Bearer <token>' (or "
                            "'Token <token>'). A token acts for one user with one role per "
                            "municipality; an admin issues a system token for a record system "
                            "(docs/fhir.md)."
                        ),
                    },
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": read_search,
                            "searchParam": [
                                _search_param(
                                    "identifier",
                                    "token",
                                    f"{codes.FNR_SYSTEM}|<11 digits> or {codes.DNR_SYSTEM}|…",
                                ),
                                LAST_UPDATED,
                            ],
                        },
                        {
                            "type": "ServiceRequest",
                            "interaction": [{"code": "create"}, *read_search],
                            "searchParam": [
                                _search_param(
                                    "subject:identifier", "token", "The patient's identifier."
                                ),
                                _search_param("subject", "reference", "Patient/<id>"),
                                _search_param("status", "token", "active | revoked | completed"),
                                LAST_UPDATED,
                            ],
                        },
                        {
                            "type": "Task",
                            "interaction": read_search,
                            "searchParam": [
                                _search_param("based-on", "reference", "ServiceRequest/<id>"),
                                _search_param(
                                    "status",
                                    "token",
                                    "requested | received | accepted | rejected | "
                                    "in-progress | on-hold | completed | cancelled",
                                ),
                                LAST_UPDATED,
                            ],
                        },
                        {
                            "type": "QuestionnaireResponse",
                            "interaction": read_search,
                            "searchParam": [
                                _search_param("based-on", "reference", "ServiceRequest/<id>"),
                                _search_param("subject", "reference", "Patient/<id>"),
                                _search_param(
                                    "questionnaire", "reference", "The questionnaire's url."
                                ),
                                LAST_UPDATED,
                            ],
                        },
                        {"type": "Questionnaire", "interaction": read_search},
                    ],
                }
            ],
        }
    )
