"""The full demo with research consents exports a dataset that holds none of the demo people's
names, identity numbers, phone numbers or e-mail addresses."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.utils import timezone

from kobling.demo.loader import load_demo
from kobling.referrals.models import Participant
from kobling.research.demo import load_research_demo
from kobling.tenancy.models import Programme, User
from tests.research.conftest import days_ago, export

pytestmark = pytest.mark.django_db

PSEUDONYM = re.compile(r"\b[0-9a-f]{16}\b")


def test_a_research_export_of_the_demo_holds_no_demo_persons_details(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    made = load_demo()["research_consents"]  # the demo gives research consents
    assert made >= 5
    assert load_research_demo(timezone.localdate())["research_consents"] == 0
    admin = User.objects.get(username="admin@fjordvik.demo")
    programmes = list(Programme.objects.filter(municipality__code="4650"))
    result = export(admin, programmes, period_start=days_ago(3 * 365))
    assert result.export.counts["participants.csv"] >= 5
    assert result.export.counts["sessions.csv"] > 0
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        files = {n: archive.read(n).decode() for n in archive.namelist()}
    cells = {
        cell.lower()
        for name, content in files.items()
        if name.endswith(".csv")
        for row in csv.reader(io.StringIO(content))
        for cell in row
    }
    stripped = PSEUDONYM.sub("#", "\n".join(files.values())).lower()
    assert "@" not in stripped
    for person in Participant.objects.filter(municipality__code="4650"):
        for value in (person.first_name, person.last_name, person.phone, person.postcode):
            # A blank field (the rehabilitation demo's patients have no phone) names nobody.
            assert not value or value.lower() not in cells, value
        if person.national_id:
            assert person.national_id not in stripped
        assert person.birth_date.isoformat() not in stripped
        assert not person.phone or person.phone not in stripped
