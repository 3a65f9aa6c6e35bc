"""The national quality registers that receive the rehabilitation register's fields, and which
courses belong to each (docs/rehab.md "Quality-register extracts").

* **Norsk hjerteinfarktregister** (``hjerteinfarkt``): acute myocardial infarction — ICD-10 I21
  or I22, or the index event *myocardial infarction*.
* **Norsk hjertesviktregister** (``hjertesvikt``): heart failure — ICD-10 I50, or the index event
  *heart failure*.
* **NORKAR**, Norsk karkirurgisk register (``norkar``): peripheral arterial disease — the
  diagnosis group ``pad`` (I70, I73; claudication diagnosed or a vascular procedure).

A course can belong to more than one (an infarction with heart failure). COPD courses belong to
none of the three: they are counted in the participation report only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class QualityRegister:
    slug: str
    name: Promise
    diagnoses: tuple[str, ...] = ()
    icd10: tuple[str, ...] = ()
    index_events: tuple[str, ...] = ()

    def includes(self, *, diagnosis: str, icd10: str, index_event: str) -> bool:
        """Whether a course with these codes belongs to the register (the rule of :meth:`q`)."""
        return (
            diagnosis in self.diagnoses or icd10 in self.icd10 or index_event in self.index_events
        )

    def q(self, prefix: str = "") -> Q:
        """The courses (``RehabCourse``, or through ``prefix``) that belong to the register."""
        found = Q(pk__in=[])
        for field, values in (
            ("diagnosis", self.diagnoses),
            ("icd10", self.icd10),
            ("index_event", self.index_events),
        ):
            if values:
                found |= Q(**{f"{prefix}{field}__in": values})
        return found


REGISTERS: dict[str, QualityRegister] = {
    r.slug: r
    for r in (
        QualityRegister(
            "hjerteinfarkt",
            _("Norwegian Myocardial Infarction Register"),
            icd10=("I21", "I22"),
            index_events=("mi",),
        ),
        QualityRegister(
            "hjertesvikt",
            _("Norwegian Heart Failure Register"),
            icd10=("I50",),
            index_events=("heart_failure",),
        ),
        QualityRegister(
            "norkar",
            _("NORKAR, the Norwegian Registry for Vascular Surgery"),
            diagnoses=("pad",),
        ),
    )
}
