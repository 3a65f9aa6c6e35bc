"""The shipped synthetic sample (see data/README.md): made-up profile categories for the demo
municipalities and 60 fictional units, and a matching status set. For the demo loader:
``from kobling.profiles.demo import load_profiles_demo``."""

from __future__ import annotations

from pathlib import Path

from kobling.profiles import services
from kobling.profiles.choices import DEMO_SOURCE, DEMO_STATUS_SET_NAME
from kobling.profiles.models import StatusSet

DATA = Path(__file__).resolve().parent / "data"
PROFILES_FILE = DATA / "profiles-demo-synthetic.csv"
STATUS_FILE = DATA / "status-demo-synthetic.csv"
# Stored as an ordinary edition and status set; the source marks them as demo data, which the
# pages say once in a notice (the values themselves stay clean: "2016", not "2016 (synthetic)").
PERIOD = "2016"
SOURCE = DEMO_SOURCE
STATUS_SET_NAME = DEMO_STATUS_SET_NAME


def load_profiles_demo() -> services.ImportReport:
    """Import the synthetic profiles (period ``2016``, source ``Kobling demo``) and, once, the
    synthetic status set. Safe to run again: the import then changes nothing."""
    report = services.profiles_import(
        data=PROFILES_FILE.read_bytes(),
        period=PERIOD,
        source=SOURCE,
        filename=PROFILES_FILE.name,
    )
    if not StatusSet.objects.filter(name=STATUS_SET_NAME, source=SOURCE).exists():
        services.status_set_create(
            data=STATUS_FILE.read_bytes(),
            name=STATUS_SET_NAME,
            source=SOURCE,
            filename=STATUS_FILE.name,
        )
    return report
