from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """How a unit scores on an indicator of its public-health profile, compared with the national
    average (FHI's colour coding)."""

    BETTER = "better", _("Better than the national average")
    SAME = "same", _("Not different from the national average")
    WORSE = "worse", _("Worse than the national average")


# The source stored with the demo loader's made-up profiles and status set (the national demo's
# units carry the same). Pages recognise demo data by it and say so once, in a notice, instead
# of a "(synthetic)" in every value.
DEMO_SOURCE = "Kobling demo"
DEMO_STATUS_SET_NAME = "Ordningsstatus 2016"


# Display names of the public-health-profile indicators the comparison knows (FHI's indicators
# used in the 2016 study), so that pages and exports never show a raw code. An imported
# indicator not listed here shows the name stored with it (the code when none was given).
INDICATOR_NAMES = {
    "education_upper_secondary_30_39": _("Upper-secondary education or higher (30–39 years)"),
    "children_single_provider": _("Children of single providers"),
    "low_income_households_0_17": _("Low-income households (0–17 years)"),
    "disability_benefit_18_44": _("Disability benefit (18–44 years)"),
    "physically_inactive_youth": _("Physically inactive youth"),
    "overweight_incl_obesity_17": _("Overweight including obesity (17 years)"),
    "youth_never_drunk": _("Youth who have never been drunk"),
    "smoking_women": _("Smoking (women)"),
    "life_expectancy_men": _("Life expectancy (men)"),
    "life_expectancy_women": _("Life expectancy (women)"),
    "satisfied_with_own_health_youth": _("Satisfied with own health (youth)"),
    "mental_disorders_primary_care_15_29": _("Mental disorders in primary care (15–29 years)"),
    "mental_disorders_primary_care_all_ages": _("Mental disorders in primary care (all ages)"),
    "musculoskeletal_primary_care": _("Musculoskeletal disorders in primary care"),
    "cardiovascular_hospital": _("Cardiovascular disease treated in hospital"),
    "type2_diabetes_medication": _("Type 2 diabetes medication users"),
    "antibiotic_prescriptions": _("Antibiotic prescriptions"),
}


def indicator_name(code: str, stored: str = "") -> str:
    """The indicator's name in the active language: the known display name, else the name it
    was imported with, else the code."""
    known = INDICATOR_NAMES.get(code)
    if known is not None:
        return str(known)
    return stored or code
