"""A ServiceRequest in → a Kobling referral, through the same service (and so the same
validation and duplicate rules) as the web form and the REST API:
:func:`kobling.referrals.services.referral_create`. Nothing is saved on any error; every error
names the element it is about (OperationOutcome.issue.expression)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from fhir.resources.R4B.servicerequest import ServiceRequest
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

from kobling.fhir import codes
from kobling.helpers.models import TargetGroup
from kobling.referrals import services
from kobling.referrals.choices import AlternativeId, ConsentScope, ReferralSource
from kobling.referrals.identity import is_d_number
from kobling.referrals.models import Referral
from kobling.tenancy.choices import MANAGER_ROLES, ProgrammeKind, Role
from kobling.tenancy.models import Programme, User


@dataclass
class Problem(Exception):
    """One or more issues with the input: ``status`` (400 structure, 422 business rules),
    ``issues`` as resources.operation_outcome takes them."""

    status: int
    issues: list[dict[str, Any]] = field(default_factory=list)


def _issue(code: str, text: Any, *expression: str) -> dict[str, Any]:
    return {"code": code, "text": str(text), "expression": list(expression)}


def _path(loc: tuple[Any, ...]) -> str:
    out = "ServiceRequest"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith("function-"):
            out += f".{part}"
    return out


def parse(data: Any) -> ServiceRequest:
    """The payload as a ServiceRequest, or :class:`Problem` (400) naming each invalid element."""
    if not isinstance(data, dict):
        raise Problem(
            400, [_issue("structure", _("The body must be a JSON object (a FHIR resource)."))]
        )
    kind = data.get("resourceType")
    if kind != "ServiceRequest":
        raise Problem(
            400,
            [
                _issue(
                    "invalid",
                    _("Expected a ServiceRequest, got %(kind)s.") % {"kind": repr(kind)}
                    if kind
                    else _("resourceType is missing."),
                    "resourceType",
                )
            ],
        )
    if data.get("id"):
        raise Problem(
            400,
            [
                _issue(
                    "invalid", _("A resource to create must not have an id."), "ServiceRequest.id"
                )
            ],
        )
    try:
        return ServiceRequest.model_validate(data)
    except pydantic.ValidationError as exc:
        issues = []
        for error in exc.errors()[:20]:
            code = "required" if error["type"] == "missing" else "structure"
            issues.append(_issue(code, error["msg"], _path(tuple(error["loc"]))))
        raise Problem(400, issues) from None


# --- the parts ------------------------------------------------------------------------------------


def _codings(concept: Any) -> list[Any]:
    return list(getattr(concept, "coding", None) or [])


def _programme(sr: ServiceRequest, user: User) -> Programme:
    municipalities = sorted(user.municipality_ids(*MANAGER_ROLES, Role.REFERRER))
    if sr.code is None or not _codings(sr.code):
        raise Problem(
            422,
            [
                _issue(
                    "required",
                    _("Say which programme the referral is for: a coding of %(kind)s (or %(id)s).")
                    % {"kind": codes.PROGRAMME_KIND_SYSTEM, "id": codes.PROGRAMME_SYSTEM},
                    "ServiceRequest.code",
                )
            ],
        )
    for i, c in enumerate(_codings(sr.code)):
        if c.system == codes.PROGRAMME_SYSTEM:
            found = Programme.objects.filter(
                pk=int(c.code) if (c.code or "").isdigit() else 0,
                municipality_id__in=municipalities,
            ).first()
            if found is None:
                raise Problem(
                    422,
                    [
                        _issue(
                            "code-invalid",
                            _("No programme %(code)s that you can refer to.")
                            % {"code": repr(c.code)},
                            f"ServiceRequest.code.coding[{i}].code",
                        )
                    ],
                )
            return found
    for i, c in enumerate(_codings(sr.code)):
        if c.system != codes.PROGRAMME_KIND_SYSTEM:
            continue
        where = f"ServiceRequest.code.coding[{i}].code"
        if c.code not in ProgrammeKind.values:
            raise Problem(
                422,
                [
                    _issue(
                        "code-invalid",
                        _("Unknown programme kind %(code)s; the codes are: %(codes)s.")
                        % {"code": repr(c.code), "codes": ", ".join(ProgrammeKind.values)},
                        where,
                    )
                ],
            )
        found = list(
            Programme.objects.filter(
                kind=c.code, municipality_id__in=municipalities, is_active=True
            ).order_by("pk")[:2]
        )
        if not found:
            raise Problem(
                422,
                [
                    _issue(
                        "business-rule",
                        _("No programme of this kind takes referrals from you now."),
                        where,
                    )
                ],
            )
        if len(found) > 1:
            raise Problem(
                422,
                [
                    _issue(
                        "multiple-matches",
                        _(
                            "Several programmes of this kind take referrals from you: add a "
                            "coding of %(system)s with the programme's id."
                        )
                        % {"system": codes.PROGRAMME_SYSTEM},
                        where,
                    )
                ],
            )
        return found[0]
    raise Problem(
        422,
        [
            _issue(
                "code-invalid",
                _("No coding of %(kind)s or %(id)s.")
                % {"kind": codes.PROGRAMME_KIND_SYSTEM, "id": codes.PROGRAMME_SYSTEM},
                "ServiceRequest.code.coding",
            )
        ],
    )


def _contained(sr: ServiceRequest, reference: str | None) -> tuple[int, Any] | None:
    if not reference or not reference.startswith("#"):
        return None
    for i, resource in enumerate(sr.contained or []):
        if resource.id == reference[1:]:
            return i, resource
    return None


def _national_id(system: str, value: str, where: str) -> str:
    number = fodselsnummer.compact(value or "")
    try:
        fodselsnummer.validate(number)
    except StdnumError:
        raise Problem(
            422,
            [
                _issue(
                    "value",
                    _(
                        "This is not a valid fødselsnummer or D-nummer (11 digits with two "
                        "check digits)."
                    ),
                    where,
                )
            ],
        ) from None
    if system == codes.FNR_SYSTEM and is_d_number(number):
        raise Problem(
            422,
            [
                _issue(
                    "value",
                    _("This is a D-nummer: use the system %(system)s.")
                    % {"system": codes.DNR_SYSTEM},
                    where,
                )
            ],
        )
    if system == codes.DNR_SYSTEM and not is_d_number(number):
        raise Problem(
            422,
            [
                _issue(
                    "value",
                    _("This is a fødselsnummer: use the system %(system)s.")
                    % {"system": codes.FNR_SYSTEM},
                    where,
                )
            ],
        )
    return number


GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unspecified"}


def _telecom(points: Any, kind: str) -> str:
    return next((p.value for p in points or [] if p.system == kind and p.value), "")


def _person(sr: ServiceRequest) -> tuple[dict[str, Any], dict[str, str]]:
    """The person's details for participant_find_or_create, and where each came from (for
    error paths)."""
    subject = sr.subject
    found = _contained(sr, subject.reference)
    if found is None:
        if subject.reference and not subject.reference.startswith("#"):
            raise Problem(
                422,
                [
                    _issue(
                        "not-supported",
                        _(
                            "Send the patient as a contained Patient ('#id') or as an "
                            "identifier reference (subject.identifier); literal references are "
                            "not resolved."
                        ),
                        "ServiceRequest.subject.reference",
                    )
                ],
            )
        if subject.reference:
            raise Problem(
                422,
                [
                    _issue(
                        "invalid",
                        _("No contained resource with that id."),
                        "ServiceRequest.subject.reference",
                    )
                ],
            )
        identifier = subject.identifier
        if identifier is None:
            raise Problem(
                422,
                [
                    _issue(
                        "required",
                        _("The subject needs a contained Patient or an identifier."),
                        "ServiceRequest.subject",
                    )
                ],
            )
        where = "ServiceRequest.subject.identifier.value"
        if identifier.system not in (codes.FNR_SYSTEM, codes.DNR_SYSTEM):
            raise Problem(
                422,
                [
                    _issue(
                        "value",
                        _("An identifier reference must use %(fnr)s or %(dnr)s.")
                        % {"fnr": codes.FNR_SYSTEM, "dnr": codes.DNR_SYSTEM},
                        "ServiceRequest.subject.identifier.system",
                    )
                ],
            )
        number = _national_id(identifier.system, identifier.value or "", where)
        return {"national_id": number}, {"national_id": where, "*": "ServiceRequest.subject"}
    index, resource = found
    base = f"ServiceRequest.contained[{index}]"
    if resource.get_resource_type() != "Patient":
        raise Problem(
            422, [_issue("invalid", _("The subject must be a Patient."), f"{base}.resourceType")]
        )
    paths = {"*": base}
    person: dict[str, Any] = {}
    others = []
    for i, ident in enumerate(resource.identifier or []):
        if ident.system in (codes.FNR_SYSTEM, codes.DNR_SYSTEM):
            where = f"{base}.identifier[{i}].value"
            person["national_id"] = _national_id(ident.system, ident.value or "", where)
            paths["national_id"] = where
        elif ident.value:
            others.append((i, ident))
    if "national_id" not in person:
        paths["national_id"] = f"{base}.identifier"
        if others:
            i, ident = others[0]
            person["alternative_id"] = AlternativeId.OTHER
            person["alternative_id_note"] = f"{ident.system or ''} {ident.value}".strip()[:200]
            paths["alternative_id_note"] = f"{base}.identifier[{i}]"
    name = (resource.name or [None])[0]
    person["first_name"] = " ".join(name.given or []) if name else ""
    person["last_name"] = (name.family or "") if name else ""
    paths["first_name"] = f"{base}.name[0].given"
    paths["last_name"] = f"{base}.name[0].family"
    if resource.birthDate:
        person["birth_date"] = resource.birthDate
    paths["birth_date"] = f"{base}.birthDate"
    if resource.gender:
        person["gender"] = GENDERS.get(resource.gender, "unspecified")
    person["phone"] = _telecom(resource.telecom, "phone")
    person["email"] = _telecom(resource.telecom, "email")
    paths["phone"] = paths["email"] = f"{base}.telecom"
    address = (resource.address or [None])[0]
    if address is not None:
        person["postcode"] = address.postalCode or ""
        person["post_town"] = address.city or ""
        person["street_address"] = ", ".join(address.line or [])
    paths["postcode"] = f"{base}.address[0].postalCode"
    paths["post_town"] = f"{base}.address[0].city"
    paths["street_address"] = f"{base}.address[0].line"
    guardian = (resource.contact or [None])[0]
    if guardian is not None:
        person["guardian_name"] = (
            (
                guardian.name.text
                or " ".join([*(guardian.name.given or []), guardian.name.family or ""]).strip()
            )
            if guardian.name
            else ""
        )
        person["guardian_phone"] = _telecom(guardian.telecom, "phone")
        person["guardian_email"] = _telecom(guardian.telecom, "email")
    for key in ("guardian_name", "guardian_phone", "guardian_email"):
        paths[key] = f"{base}.contact[0]"
    return person, paths


def _requester(sr: ServiceRequest) -> dict[str, str]:
    """Who referred, as display text or a contained Practitioner / PractitionerRole /
    Organization: the referral's referrer name, organisation, phone and e-mail."""
    ref = sr.requester
    if ref is None:
        return {}
    data: dict[str, str] = {}
    found = _contained(sr, ref.reference)
    if found is not None:
        resource = found[1]
        kind = resource.get_resource_type()
        if kind == "Practitioner":
            name = (resource.name or [None])[0]
            if name is not None:
                data["referrer_name"] = (
                    name.text or " ".join([*(name.given or []), name.family or ""]).strip()
                )
            data["referrer_phone"] = _telecom(resource.telecom, "phone")
            data["referrer_email"] = _telecom(resource.telecom, "email")
        elif kind == "Organization":
            data["referrer_organisation"] = resource.name or ""
            data["referrer_phone"] = _telecom(resource.telecom, "phone")
        elif kind == "PractitionerRole":
            if resource.practitioner is not None and resource.practitioner.display:
                data["referrer_name"] = resource.practitioner.display
            if resource.organization is not None and resource.organization.display:
                data["referrer_organisation"] = resource.organization.display
            data["referrer_phone"] = _telecom(resource.telecom, "phone")
            data["referrer_email"] = _telecom(resource.telecom, "email")
    elif ref.display:
        data["referrer_name"] = ref.display
    return {k: v[:160] for k, v in data.items() if v}


def _source(sr: ServiceRequest) -> str:
    for i, concept in enumerate(sr.category or []):
        for j, c in enumerate(_codings(concept)):
            if c.system == codes.REFERRAL_SOURCE_SYSTEM:
                if c.code not in ReferralSource.values:
                    raise Problem(
                        422,
                        [
                            _issue(
                                "code-invalid",
                                _("Unknown referral source %(code)s.") % {"code": repr(c.code)},
                                f"ServiceRequest.category[{i}].coding[{j}].code",
                            )
                        ],
                    )
                return c.code
    return ReferralSource.OTHER


def _reasons(sr: ServiceRequest, programme: Programme) -> tuple[list[TargetGroup], str]:
    groups: list[TargetGroup] = []
    texts = []
    for i, concept in enumerate(sr.reasonCode or []):
        for j, c in enumerate(_codings(concept)):
            if c.system != codes.TARGET_GROUP_SYSTEM:
                continue
            group = TargetGroup.objects.filter(code=c.code).first()
            if group is None:
                raise Problem(
                    422,
                    [
                        _issue(
                            "code-invalid",
                            _("Unknown target group %(code)s.") % {"code": repr(c.code)},
                            f"ServiceRequest.reasonCode[{i}].coding[{j}].code",
                        )
                    ],
                )
            groups.append(group)
        if concept.text:
            texts.append(concept.text)
    return groups, "\n".join(texts)


def _consents(sr: ServiceRequest) -> list[services.ConsentInput]:
    found = []
    for _i, ref in enumerate(sr.supportingInfo or []):
        contained = _contained(sr, ref.reference)
        if contained is None or contained[1].get_resource_type() != "Consent":
            continue
        index, consent = contained
        base = f"ServiceRequest.contained[{index}]"
        scope = next(
            (
                c.code
                for concept in consent.category or []
                for c in _codings(concept)
                if c.system == codes.CONSENT_SCOPE_SYSTEM
            ),
            None,
        )
        if scope not in ConsentScope.values:
            raise Problem(
                422,
                [
                    _issue(
                        "code-invalid",
                        _("A consent needs a category coded in %(system)s (%(codes)s).")
                        % {
                            "system": codes.CONSENT_SCOPE_SYSTEM,
                            "codes": ", ".join(ConsentScope.values),
                        },
                        f"{base}.category",
                    )
                ],
            )
        if consent.status != "active":
            continue
        given_by = next((p.display for p in consent.performer or [] if p.display), "")
        partner = (
            consent.policyRule.text
            if scope == ConsentScope.SHARE_WITH_PARTNER and consent.policyRule
            else ""
        )
        found.append(
            services.ConsentInput(
                scope=scope,
                given_by=given_by,
                given_on=consent.dateTime.date() if consent.dateTime else None,
                partner_name=partner or "",
            )
        )
    return found


# Where each of the service's field names comes from in a ServiceRequest.
FIELD_PATHS = {
    "programme": "ServiceRequest.code",
    "goals": "ServiceRequest.note",
    "needs": "ServiceRequest.reasonCode",
    "source": "ServiceRequest.category",
    "referrer_name": "ServiceRequest.requester",
    "referrer_organisation": "ServiceRequest.requester",
    "referrer_phone": "ServiceRequest.requester",
    "referrer_email": "ServiceRequest.requester",
    "scope": "ServiceRequest.supportingInfo",
    "given_on": "ServiceRequest.supportingInfo",
    "given_by": "ServiceRequest.supportingInfo",
    "partner_name": "ServiceRequest.supportingInfo",
}


def _problems(exc: ValidationError, person_paths: dict[str, str]) -> Problem:
    issues = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            where = (
                FIELD_PATHS.get(name)
                or person_paths.get(name)
                or person_paths.get("*", "ServiceRequest")
            )
            if name == "__all__":
                where = "ServiceRequest"
            for message in messages:
                issues.append(_issue("invariant", message, where))
    else:
        issues = [_issue("invariant", message, "ServiceRequest") for message in exc.messages]
    return Problem(422, issues)


def referral_from_service_request(sr: ServiceRequest, *, by: User) -> Referral:
    """Create the referral the ServiceRequest asks for (see module doc)."""
    if sr.status != "active":
        raise Problem(
            422,
            [
                _issue(
                    "business-rule",
                    _("Only an active ServiceRequest can be sent."),
                    "ServiceRequest.status",
                )
            ],
        )
    if sr.intent not in {"order", "original-order", "proposal", "plan"}:
        raise Problem(
            422,
            [
                _issue(
                    "business-rule",
                    _("intent must be order, original-order, proposal or plan."),
                    "ServiceRequest.intent",
                )
            ],
        )
    programme = _programme(sr, by)
    person, person_paths = _person(sr)
    target_groups, reason_text = _reasons(sr, programme)
    data: dict[str, Any] = {"source": _source(sr), **_requester(sr)}
    goals = "\n\n".join(note.text for note in sr.note or [] if note.text)
    if goals:
        data["goals"] = goals
    if reason_text:
        data["needs"] = reason_text
    consents = _consents(sr)
    try:
        return services.referral_create(
            by=by,
            programme=programme,
            person=person,
            data=data,
            target_groups=target_groups,
            consents=consents,
            channel="fhir",
        )
    except services.DuplicateReferral as exc:
        message = exc.message_dict["programme"][0]
        if exc.existing.permits(by, "view"):
            # As the REST API does: name the open referral to whoever may see it.
            message += f" (ServiceRequest/{exc.existing.pk})"
        issue = _issue("duplicate", message, "ServiceRequest.code")
        raise Problem(422, [issue]) from None
    except ValidationError as exc:
        raise _problems(exc, person_paths) from None
