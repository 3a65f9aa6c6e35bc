import pytest

from tests import factories as f
from tests.followup import scenario as s
from tests.outcomes import builders as b


@pytest.fixture
def contact(cast):
    """The cast's training contact, active, with room for many pairs."""
    return b.roomy(f.make_active(cast.helper_a))


@pytest.fixture
def pair(cast, contact):
    """A pairing of the cast's contact, started 190 days ago, referred by the cast's referrer
    (who may follow it: consent to share is given)."""
    made = b.pairing(cast.programme_a, contact, referrer=cast.referrer_a)
    s.share_with_referrer(made.referral)
    return made
