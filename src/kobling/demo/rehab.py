"""Demo for the rehabilitation register (issue 13): two health trusts (Helse Fjordvik HF in
Helse Vest, Helse Nordby HF in Helse Nord), one LHL-style rehabilitation institution and
Fjordvik's heart-patient group; offers for all three diagnosis groups, among them the four
known claudication offers; two years of quarters of rehabilitation courses (through the real
services: referral, grant, start, conversations, end, register entry) and the eligible counts
imported as CSV by the national analyst.

Deterministic for a given ``today``: course ``i`` of a unit, diagnosis and quarter starts unless
``i % 5 == 4``, and completes (end conversation held) unless ``i % 3 == 2`` or its twelve weeks
have not passed. Each cell of the denominators (sex × age band) holds three times the courses
in it plus two, so participation lands near a quarter, below the 30 % reference line."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from kobling.demo.names import unique_name
from kobling.rehab.choices import age_band, sex_of
from kobling.rehab.flow import Patient, record_course
from kobling.rehab.models import quarter_of
from kobling.rehab.services import denominators_import, offer_save
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Region, User
from kobling.tenancy.services import programme_create

# (code, name, kind, region, slug, county)
UNITS = (
    ("HF01", "Helse Fjordvik HF", "health_trust", "vest", "helse-fjordvik", "46"),
    ("HF02", "Helse Nordby HF", "health_trust", "nord", "helse-nordby", "18"),
    ("LHL1", "LHL-klinikken Fjordvik", "rehab_institution", "vest", "lhl", "46"),
)
# Courses per quarter and diagnosis: per unit code (Fjordvik's heart group by its own code).
PLAN = {
    "HF01": {"chd": 4, "copd": 2, "pad": 1},
    "HF02": {"chd": 3, "copd": 2, "pad": 1},
    "LHL1": {"chd": 2, "copd": 1},
    "fjordvik": {"chd": 1},
}
DIAGNOSIS_CODES = {
    "chd": (("I21", "mi"), ("I25", "pci"), ("I21", "cabg")),
    "copd": (("J44", "copd_exacerbation"),),
    "pad": (("I70", "claudication"),),
}
# (unit code, name, diagnoses, setting, format, weeks, sessions/week, capacity, county, place)
OFFERS = (
    (
        "HF01",
        "Hjerterehabilitering poliklinikk",
        ("chd",),
        "hospital_outpatient",
        "group",
        12,
        2,
        16,
        "46",
        "Fjordvik sjukehus",
    ),
    (
        "HF01",
        "Lungerehabilitering",
        ("copd",),
        "hospital_outpatient",
        "group",
        8,
        2,
        12,
        "46",
        "Fjordvik sjukehus",
    ),
    (
        "HF01",
        "Gåtrening ved claudicatio – Fjordvik",
        ("pad",),
        "hospital_outpatient",
        "group",
        12,
        3,
        10,
        "46",
        "Fjordvik sjukehus",
    ),
    (
        "HF01",
        "Gåtrening ved claudicatio – Sørvik",
        ("pad",),
        "hospital_outpatient",
        "group",
        12,
        3,
        8,
        "11",
        "Sørvik sjukehus",
    ),
    (
        "HF02",
        "Hjertetrening",
        ("chd",),
        "hospital_outpatient",
        "group",
        12,
        2,
        14,
        "18",
        "Nordby sykehus",
    ),
    (
        "HF02",
        "KOLS-skole og trening",
        ("copd",),
        "home_digital",
        "individual",
        10,
        3,
        20,
        "18",
        "Digitalt",
    ),
    (
        "HF02",
        "Claudicatio-trening Nordby",
        ("pad",),
        "hospital_outpatient",
        "group",
        12,
        3,
        8,
        "18",
        "Nordby sykehus",
    ),
    (
        "HF02",
        "Claudicatio-trening Trøndelag",
        ("pad",),
        "hospital_outpatient",
        "group",
        12,
        3,
        8,
        "50",
        "Nordby sykehus avd. Sør",
    ),
    (
        "LHL1",
        "Hjerte- og lungerehabilitering (døgn)",
        ("chd", "copd"),
        "inpatient_institution",
        "group",
        4,
        10,
        24,
        "46",
        "LHL-klinikken",
    ),
    (
        "fjordvik",
        "Hjertegruppa på frisklivssentralen",
        ("chd",),
        "municipal",
        "group",
        12,
        2,
        12,
        "46",
        "Frisklivssentralen",
    ),
)


def _user(username: str, first: str, last: str) -> User:
    from kobling.demo.loader import DEMO_PASSWORD

    user = User(username=username, email=username, first_name=first, last_name=last)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _quarters(today: dt.date, n: int = 8) -> list[tuple[int, int]]:
    """The last ``n`` full quarters before today's, oldest first."""
    year, quarter = quarter_of(today)
    found = []
    for _ in range(n):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        found.append((year, quarter))
    return list(reversed(found))


def load_rehab_demo(today: dt.date) -> dict[str, int]:
    # The workplace-coaching demo may have placed its municipalities in these already.
    regions = {
        "vest": Region.objects.get_or_create(code="HV", defaults={"name": "Helse Vest"})[0],
        "nord": Region.objects.get_or_create(code="HN", defaults={"name": "Helse Nord"})[0],
    }
    staff: dict[str, tuple[object, User, User]] = {}
    for code, name, kind, region, slug, _county in UNITS:
        unit = Municipality.objects.create(code=code, name=name, kind=kind, region=regions[region])
        coordinator = _user(f"koordinator@{slug}.demo", "Kjersti", f"Koordinator {name}")
        clinician = _user(f"kliniker@{slug}.demo", "Kai", f"Kliniker {name}")
        Membership.objects.create(user=coordinator, municipality=unit, role=Role.COORDINATOR)
        Membership.objects.create(user=clinician, municipality=unit, role=Role.CLINICIAN)
        staff[code] = (unit, coordinator, clinician)
    fjordvik = Municipality.objects.get(name="Fjordvik")
    fjordvik.region = regions["vest"]
    fjordvik.save(update_fields=["region"])
    Municipality.objects.filter(name="Nordby").update(region=regions["nord"])
    fjordvik_coordinator = User.objects.get(username="koordinator@fjordvik.demo")
    staff["fjordvik"] = (fjordvik, fjordvik_coordinator, fjordvik_coordinator)
    admin_of = {"fjordvik": User.objects.get(username="admin@fjordvik.demo")}
    programmes = {}
    for key, (unit, coordinator, _clinician) in staff.items():
        programmes[key] = programme_create(
            by=admin_of.get(key, coordinator),
            municipality=unit,
            data={
                "kind": ProgrammeKind.REHABILITATION,
                "name": "Hjertegruppe" if key == "fjordvik" else "Rehabilitering",
                "requires_qualification": False,
                "requires_police_certificate": False,
                "uses_conversations": True,
                "completion_needs_end_conversation": True,
            },
        )
    offers: dict[tuple[str, str], object] = {}
    for key, name, diagnoses, setting, fmt, weeks, per_week, capacity, county, place in OFFERS:
        unit, coordinator, _clinician = staff[key]
        offer = offer_save(
            by=coordinator,
            municipality=unit,
            data={
                "name": name,
                **{f"serves_{d}": True for d in diagnoses},
                "setting": setting,
                "format": fmt,
                "length_weeks": weeks,
                "sessions_per_week": per_week,
                "capacity": capacity,
                "county_code": county,
                "place": place,
            },
        )
        for diagnosis in diagnoses:
            offers.setdefault((key, diagnosis), offer)
    # Its own generator: the rest of the demo draws as before.
    rng = random.Random(13)
    cells: Counter[tuple[str, str, int, int, str, str]] = Counter()
    courses = 0
    for year, quarter in _quarters(today):
        first_day = dt.date(year, 3 * quarter - 2, 1)
        for key, plan in PLAN.items():
            unit, coordinator, clinician = staff[key]
            for diagnosis, n in plan.items():
                for i in range(n):
                    serial = f"{unit.code}-{year}{quarter}-{diagnosis}-{i}"
                    index_date = first_day + dt.timedelta(days=7 * i + 3 * quarter)
                    born = dt.date(1948 + (i * 7 + quarter) % 25, 1 + i % 12, 10)
                    gender = "female" if (i + quarter) % 2 else "male"
                    first, last = unique_name(rng, unit)
                    icd10, event = DIAGNOSIS_CODES[diagnosis][i % len(DIAGNOSIS_CODES[diagnosis])]
                    record_course(
                        programme=programmes[key],
                        coordinator=coordinator,
                        clinician=clinician,
                        patient=Patient(
                            first_name=first,
                            last_name=last,
                            birth_date=born,
                            gender=gender,
                            serial=serial,
                        ),
                        diagnosis=diagnosis,
                        icd10=icd10,
                        index_event=event,
                        index_date=index_date,
                        offer=offers.get((key, diagnosis)),
                        start_after_days=None if i % 5 == 4 else 21 + 7 * (i % 3),
                        completed=i % 3 != 2,
                        today=today,
                    )
                    courses += 1
                    age = (
                        index_date.year
                        - born.year
                        - ((index_date.month, index_date.day) < (born.month, born.day))
                    )
                    cells[(unit.code, diagnosis, year, quarter, sex_of(gender), age_band(age))] += 1
    lines = ["unit;diagnosis;period;sex;age_band;eligible"]
    for key, plan in PLAN.items():
        unit = staff[key][0]
        for diagnosis in plan:
            for year, quarter in _quarters(today):
                for sex in ("female", "male"):
                    for band in ("50-59", "60-69", "70-79", "80+"):
                        n = cells[(unit.code, diagnosis, year, quarter, sex, band)]
                        lines.append(
                            f"{unit.code};{diagnosis};{year}Q{quarter};{sex};{band};{3 * n + 2}"
                        )
    analyst = User.objects.get(username="analytiker@kobling.demo")
    report = denominators_import(
        by=analyst,
        data="\n".join(lines).encode(),
        source="Demo: pasientadministrativt system",
    )
    assert report.ok, report.as_json()
    return {
        "rehab_units": len(UNITS),
        "rehab_offers": len(OFFERS),
        "rehab_courses": courses,
        "rehab_denominators": len(lines) - 1,
    }
