"""The demo's pilot across Fjordvik and Nordby: the named researcher signs in and reads the
health account — both municipalities, Nordby's own gym courses with reviews, nothing small."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kobling.demo.loader import DEMO_PASSWORD, load_demo
from kobling.demo.pilots import OWNER
from kobling.pilots.models import Pilot

pytestmark = pytest.mark.django_db


def test_the_demo_pilot_shows_fjordvik_and_nordby_to_its_owner(settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo()
    pilot = Pilot.objects.get()
    assert client.login(username=OWNER, password=DEMO_PASSWORD)
    data = client.get(f"/api/v1/pilots/{pilot.pk}/account/").json()
    figures = {line["figure"]: line["cells"] for line in data["figures"]}
    assert [c["group"] for c in figures["participants"]] == ["Fjordvik", "Nordby", "All"]
    nordby = figures["participants"][1]["value"]
    overall = figures["participants"][2]["value"]
    assert nordby == 5 and overall >= 9
    assert figures["attendance"][2]["value"] == 100.0
    assert client.get(reverse("web:pilot_detail", args=[pilot.pk])).status_code == 200
