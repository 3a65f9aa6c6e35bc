"""Pay tests: receipts go to a temporary MEDIA_ROOT, and a small world of pairings with held
sessions in the last two (finished) months."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories as f
from tests.followup import scenario as s
from tests.pay import builders as b


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(cast):
    """helper_a (the contact_a user's profile, 150 NOK/h) paired with Kari Nordmann, helper_a2
    (another contact in A) paired with Ola Hansen, helper_b in B paired too; all with held
    sessions in the two months before this one."""
    for helper in (cast.helper_a, cast.helper_a2, cast.helper_b):
        f.make_active(helper)
    ref_a = s.waiting(cast.programme_a, first_name="Kari")
    ref_a.participant.last_name = "Nordmann"
    ref_a.participant.save()
    ref_a2 = s.waiting(cast.programme_a, first_name="Ola")
    ref_a2.participant.last_name = "Hansen"
    ref_a2.participant.save()
    ref_b = s.waiting(cast.programme_b, first_name="Berte")
    pairing_a = s.pairing(ref_a, cast.helper_a)
    pairing_a2 = s.pairing(ref_a2, cast.helper_a2)
    pairing_b = s.pairing(ref_b, cast.helper_b)
    m1, m2 = b.last_month(), b.month_before_last()
    sessions = SimpleNamespace(
        a_m2=[b.held(pairing_a, b.day(m2, 5), 60), b.held(pairing_a, b.day(m2, 12), 90)],
        a_m1=[b.held(pairing_a, b.day(m1, 3), 60), b.held(pairing_a, b.day(m1, 10), 45)],
        a2_m1=[b.held(pairing_a2, b.day(m1, 4), 120)],
        b_m1=[b.held(pairing_b, b.day(m1, 6), 60)],
    )
    # Not paid: a cancellation and a no-show.
    b.held(pairing_a, b.day(m1, 17), 60, status="cancelled")
    b.held(pairing_a, b.day(m1, 24), 60, status="no_show")
    return SimpleNamespace(
        cast=cast,
        pairing_a=pairing_a,
        pairing_a2=pairing_a2,
        pairing_b=pairing_b,
        m1=m1,
        m2=m2,
        sessions=sessions,
    )
