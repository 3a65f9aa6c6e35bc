"""A bounded schemathesis run over the whole API, once per role: for every operation in the
committed docs/openapi.yaml, a few generated requests (valid and not) with that role's token, on
the demo data. It fails on any 5xx and on any response that does not match the document (the
outside probe found both). Writes are rolled back with the test's transaction.

Bounded: ``EXAMPLES`` cases per operation and user, no shrinking (a failure is reported as
found), so the run takes a couple of minutes; the roles are spread over the test parameters so
pytest-xdist can put them on both cores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kobling.demo.loader import load_demo
from kobling.tenancy.models import User

pytestmark = pytest.mark.django_db

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = 3
# Every role the demo has, in groups that each load the demo once.
ROLES = {
    "managers": ["koordinator@fjordvik.demo", "admin@nordby.demo"],
    "referrer-contact": ["henviser@fjordvik.demo", "kontakt1@fjordvik.demo"],
    "staff-analyst": ["kurs@fjordvik.demo", "analytiker@kobling.demo"],
}


def _schema() -> Any:
    schema = schemathesis.openapi.from_dict(yaml.safe_load(DOCUMENT.read_text()))
    schema.app = get_wsgi_application()
    return schema


def _why(exc: BaseException) -> str:
    """The failures' titles and the first lines of what they say (no response bodies)."""
    parts = getattr(exc, "exceptions", None) or [exc]
    return "; ".join(
        " ".join(str(getattr(p, "title", "")).split()) + ": " + str(p).strip().splitlines()[0][:200]
        for p in parts
    )


def _run(operation: Any, token: str) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Token {token}"})
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except (AssertionError, BaseExceptionGroup) as exc:  # reported together at the end
            failures.append(f"{case.method} {case.path} → {response.status_code}: {_why(exc)}")

    probe()
    return failures


@pytest.mark.parametrize("group", sorted(ROLES))
def test_no_operation_answers_5xx_or_off_the_document(settings_django, group):
    load_demo()
    schema = _schema()
    failures: list[str] = []
    for username in ROLES[group]:
        token = Token.objects.create(user=User.objects.get(username=username)).key
        for result in schema.get_all_operations():
            failures += _run(result.ok(), token)
    assert not failures, "\n".join(sorted(set(failures)))


@pytest.fixture
def settings_django(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # The requests go through Django's own WSGI handler, whose request signals close the
    # database connection at the end of each request; inside the test's transaction that would
    # close it under the test (on PostgreSQL). Django's test client does the same as here.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield settings
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
