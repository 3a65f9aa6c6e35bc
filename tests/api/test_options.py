"""OPTIONS on every API endpoint answers without a server error, for every role of the cast.

The probe found ``OPTIONS /api/v1/matching/weights/`` → 500: DRF's metadata asks the view for a
serializer (and its queryset) that the view had not got. The test walks the URL patterns under
``/api/v1/``, so a new endpoint is covered without being named."""

from __future__ import annotations

import pytest

from tests.api.routes import api_paths

pytestmark = pytest.mark.django_db


PATHS = api_paths()
# A manager (most doors open), a referrer and a provider (other doors).
ROLES = ["coordinator_a", "referrer_a", "provider"]


def test_the_walk_finds_the_endpoint_the_probe_named():
    assert "/api/v1/matching/weights/" in PATHS
    assert len(PATHS) > 50


def test_options_never_answers_with_a_server_error(cast, api):
    # One cast for all paths (a test per path spent its time building the cast).
    clients = {role: api(cast.roles[role]) for role in ROLES} | {"anonymous": api()}
    errors = []
    for path in PATHS:
        for role, client in clients.items():
            response = client.options(path)
            if response.status_code >= 500:
                errors.append((path, role, response.status_code))
    assert not errors


def test_options_on_the_weights_describes_the_body_a_manager_may_put(cast, api):
    response = api(cast.coordinator_a).options("/api/v1/matching/weights/")
    assert response.status_code == 200
    assert "min_score" in response.json()["actions"]["PUT"]
