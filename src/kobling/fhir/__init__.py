"""The FHIR R4 door: ServiceRequest in, Task out, Patient with Norwegian identifiers, QuestionnaireResponse."""
