"""The demo's register: the hospital's clinician signs in and reads their unit's rates, which
equal the rates computed by hand from the demo's own rows; four claudication offers; the
analyst sees every unit suppressed under 5."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kobling.demo.loader import DEMO_PASSWORD, load_demo
from kobling.referrals.episodes import completed_by_course
from kobling.rehab.models import Denominator, RehabCourse, RehabOffer, quarter_of

pytestmark = pytest.mark.django_db


def test_the_demo_register_matches_hand_computed_rates(settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["rehab_units"] == 3
    assert RehabOffer.objects.filter(serves_pad=True).count() == 4
    assert set(RehabCourse.objects.values_list("diagnosis", flat=True)) == {"chd", "copd", "pad"}
    quarters = sorted({f"{y}Q{q}" for y, q in Denominator.objects.values_list("year", "quarter")})
    assert len(quarters) == 8
    period = quarters[0]
    year, quarter = int(period[:4]), int(period[-1])
    # By hand, from the rows: Helse Fjordvik HF's heart patients in the first quarter.
    courses = [
        c
        for c in RehabCourse.objects.filter(
            municipality__code="HF01", diagnosis="chd"
        ).select_related("episode")
        if quarter_of(c.index_date) == (year, quarter)
    ]
    started = [c for c in courses if c.episode.started_on]
    done = completed_by_course([c.episode_id for c in started], today=timezone.localdate())
    completed = sum(1 for c in started if done[c.episode_id])
    eligible = sum(
        Denominator.objects.filter(
            municipality__code="HF01", diagnosis="chd", year=year, quarter=quarter
        ).values_list("eligible", flat=True)
    )
    assert client.login(username="kliniker@helse-fjordvik.demo", password=DEMO_PASSWORD)
    rows = client.get("/api/v1/rehab/participation/", {"diagnosis": "chd", "period": period}).json()
    assert [r["unit"] for r in rows] == ["HF01"]
    row = rows[0]
    assert (row["eligible"], row["started"], row["completed"]) == (
        eligible,
        len(started),
        completed,
    )
    assert row["participation_rate"] == round(100 * len(started) / eligible, 1)
    assert row["participation_rate"] < 30  # below the reference line
    assert client.get("/rehabilitering/").status_code == 200
    client.logout()
    assert client.login(username="analytiker@kobling.demo", password=DEMO_PASSWORD)
    every = client.get("/api/v1/rehab/participation/", {"diagnosis": "chd", "period": period})
    units = {r["unit"]: r for r in every.json()}
    assert set(units) >= {"HF01", "HF02"}
    assert all(
        r["started"] == "<5" or r["started"] >= 5 or r["started"] == 0 for r in units.values()
    )
