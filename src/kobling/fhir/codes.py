"""The identifier systems and code systems the FHIR door speaks (docs/fhir.md lists them).

Norwegian identity numbers use the OIDs of HL7 Norway's no-basis profiles; everything that is
Kobling's own lives under one canonical base, :data:`CANONICAL` (a name, not an address that
must resolve — FHIR canonical URLs need not)."""

from __future__ import annotations

# The FHIR version the endpoint states (CapabilityStatement.fhirVersion): /fhir/R4/ speaks
# R4 (4.0.1). Every resource is built and validated with fhir.resources' R4B (4.3.0) models,
# whose definitions of the resources used here are those of R4, and the tests parse every
# response back with fhirclient's R4 (4.0.1) models as well.
FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"

# HL7 Norway no-basis: fødselsnummer and D-nummer.
FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"

CANONICAL = "https://kobling.no/fhir"
# A person without fødselsnummer or D-nummer: Kobling's participant id (in one municipality's
# installation; the Patient's own id is the same number).
PARTICIPANT_SYSTEM = f"{CANONICAL}/sid/participant"
# What a person without a Norwegian number was identified by (a passport, …), as given.
ALTERNATIVE_ID_SYSTEM = f"{CANONICAL}/sid/alternative-id"
# ServiceRequest.identifier: Kobling's referral id.
REFERRAL_SYSTEM = f"{CANONICAL}/sid/referral"

PROGRAMME_KIND_SYSTEM = f"{CANONICAL}/CodeSystem/programme-kind"
PROGRAMME_SYSTEM = f"{CANONICAL}/sid/programme"
REFERRAL_SOURCE_SYSTEM = f"{CANONICAL}/CodeSystem/referral-source"
REFERRAL_STATUS_SYSTEM = f"{CANONICAL}/CodeSystem/referral-status"
CONSENT_SCOPE_SYSTEM = f"{CANONICAL}/CodeSystem/consent-scope"
TARGET_GROUP_SYSTEM = f"{CANONICAL}/CodeSystem/target-group"
TASK_BUSINESS_STATUS_SYSTEM = f"{CANONICAL}/CodeSystem/course-status"
TASK_STATUS_REASON_SYSTEM = f"{CANONICAL}/CodeSystem/task-status-reason"
TASK_OUTPUT_SYSTEM = f"{CANONICAL}/CodeSystem/course-report"
INSTRUMENT_SYSTEM = f"{CANONICAL}/CodeSystem/instrument"
HANDOVER_SYSTEM = f"{CANONICAL}/CodeSystem/handover-destination"
QUESTIONNAIRE_BASE = f"{CANONICAL}/Questionnaire"

# FHIR's own.
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
CONSENT_SCOPE_FHIR = "http://terminology.hl7.org/CodeSystem/consentscope"
UCUM = "http://unitsofmeasure.org"
