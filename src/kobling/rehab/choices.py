"""The register's fixed code lists: diagnosis groups with their ICD-10 codes, index events,
offer settings and formats, sex and age bands of the denominators."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DiagnosisGroup(models.TextChoices):
    """The three groups. Heart failure (I50) is recorded in the heart group ``chd``: cardiac
    rehabilitation takes both, and the eligible counts of heart patients include it."""

    CORONARY = "chd", _("Coronary heart disease")
    COPD = "copd", _("COPD")
    PERIPHERAL = "pad", _("Peripheral arterial disease (claudication)")


class Icd10(models.TextChoices):
    """A short fixed list of ICD-10 codes (never free text); each belongs to one group."""

    I20 = "I20", _("I20 Angina pectoris")
    I21 = "I21", _("I21 Acute myocardial infarction")
    I22 = "I22", _("I22 Subsequent myocardial infarction")
    I25 = "I25", _("I25 Chronic ischaemic heart disease")
    I50 = "I50", _("I50 Heart failure")
    J44 = "J44", _("J44 Other chronic obstructive pulmonary disease")
    I70 = "I70", _("I70 Atherosclerosis (incl. I70.2 of the extremities)")
    I73 = "I73", _("I73 Other peripheral vascular diseases")


ICD10_GROUP: dict[str, str] = {
    "I20": "chd",
    "I21": "chd",
    "I22": "chd",
    "I25": "chd",
    "I50": "chd",
    "J44": "copd",
    "I70": "pad",
    "I73": "pad",
}


class IndexEvent(models.TextChoices):
    MYOCARDIAL_INFARCTION = "mi", _("Myocardial infarction")
    PCI = "pci", _("PCI")
    CABG = "cabg", _("CABG (bypass surgery)")
    STABLE_CHD = "chd_diagnosis", _("Coronary heart disease diagnosed")
    HEART_FAILURE = "heart_failure", _("Heart failure (diagnosed or admitted)")
    COPD_EXACERBATION = "copd_exacerbation", _("COPD exacerbation")
    COPD_DIAGNOSIS = "copd_diagnosis", _("COPD diagnosed")
    CLAUDICATION = "claudication", _("Claudication diagnosed")
    VASCULAR_PROCEDURE = "vascular_procedure", _("Vascular procedure")


INDEX_EVENT_GROUP: dict[str, str] = {
    "mi": "chd",
    "pci": "chd",
    "cabg": "chd",
    "chd_diagnosis": "chd",
    "heart_failure": "chd",
    "copd_exacerbation": "copd",
    "copd_diagnosis": "copd",
    "claudication": "pad",
    "vascular_procedure": "pad",
}


class Setting(models.TextChoices):
    HOSPITAL_OUTPATIENT = "hospital_outpatient", _("Hospital outpatient")
    INPATIENT_INSTITUTION = "inpatient_institution", _("Inpatient at an institution")
    MUNICIPAL = "municipal", _("Municipal")
    HOME_DIGITAL = "home_digital", _("Home-based or digital")


class Format(models.TextChoices):
    GROUP = "group", _("Group")
    INDIVIDUAL = "individual", _("Individual")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    UNDER_50 = "0-49", _("Under 50")
    FIFTIES = "50-59", _("50–59")
    SIXTIES = "60-69", _("60–69")
    SEVENTIES = "70-79", _("70–79")
    EIGHTY_PLUS = "80+", _("80 and over")


def age_band(age: int) -> str:
    """The band an age at the index event falls in."""
    if age < 50:
        return AgeBand.UNDER_50.value
    if age >= 80:
        return AgeBand.EIGHTY_PLUS.value
    return f"{age // 10 * 10}-{age // 10 * 10 + 9}"


def sex_of(gender: str) -> str:
    """The register's sex from the participant's recorded gender."""
    return gender if gender in ("female", "male") else Sex.UNKNOWN.value


# The unit kinds that deliver rehabilitation besides municipalities.
REHAB_UNIT_KINDS = ("health_trust", "hospital", "rehab_institution")

# The reference line on the monitoring page: fewer than 30 % of heart patients take part
# (DOMAIN.md §2).
HEART_REFERENCE_RATE = 30
