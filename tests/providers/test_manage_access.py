"""The managers' provider pages × every role of the cast plus the staff of two gyms: placement
settings and rules, a provider's staff, contract terms and requirements are the
municipality's managers' (another municipality's coordinator 404, everyone else 403 — the
provider's own staff included)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kobling.providers import contract_services, rules
from tests.conftest import signed_in
from tests.providers.builders import ORGNR, gym, provider_programme, staff_user
from tests.providers.contract_builders import contracted_gym
from tests.providers.test_access import matrix

pytestmark = pytest.mark.django_db

READS: dict[str, list] = {}

MANAGERS = matrix(200, 200, 403, 403, 404, 403, 403, 403, 403)
MANAGERS_POST = matrix(302, 302, 403, 403, 404, 403, 403, 403, 403)
PAGES = {
    # Each manager sees the provider programmes of their own municipality (B's: none).
    "provider_programme_list": ((), "get", matrix(200, 200, 403, 403, 200, 403, 403, 403, 403)),
    "provider_programme": (("programme",), "get", MANAGERS),
    "provider_settings_edit": (("programme",), "get", MANAGERS),
    "provider_rule_create": (("programme",), "get", MANAGERS),
    "provider_rules_run": (("programme",), "post", MANAGERS_POST),
    "provider_rule_edit": (("rule",), "get", MANAGERS),
    "provider_staff": (("gym",), "get", MANAGERS),
    "provider_staff_remove": (("staff",), "post", MANAGERS_POST),
    "contract_terms_create": (("gym",), "get", MANAGERS),
    "contract_terms_edit": (("terms",), "get", MANAGERS),
    "contract_requirement_add": (("terms",), "get", MANAGERS),
    "contract_requirement_remove": (("requirement",), "post", MANAGERS_POST),
}


@pytest.fixture
def world(cast):
    programme = provider_programme(cast)
    gym_a_user = staff_user("gym-a@test")
    gym_b_user = staff_user("gym-b@test")
    provider, terms = contracted_gym(cast, staff=gym_a_user)
    gym(cast, "Havna Helse", orgnr=ORGNR[1], staff=gym_b_user)
    rule = rules.rule_create(
        by=cast.coordinator_a,
        programme=programme,
        data={"benefit": "aap", "provider": provider, "activity": "Styrke"},
    )
    requirement = contract_services.requirement_add(
        by=cast.coordinator_a, terms=terms, measure="attendance_75", target=Decimal("60")
    )
    cast.roles.update(gym_a=gym_a_user, gym_b=gym_b_user)
    return {
        "programme": programme.pk,
        "rule": rule.pk,
        "gym": provider.pk,
        "staff": provider.staff.get().pk,
        "terms": terms.pk,
        "requirement": requirement.pk,
    }


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_managers_provider_page_allows_or_denies_each_role(cast, world, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[world[a] for a in args])
    client = signed_in(cast.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)
