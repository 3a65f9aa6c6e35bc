"""A throttled API client is told how long to wait: in seconds, in its language, in the body and
in Retry-After. DRF's own text ("Request was throttled. Expected available in 37 seconds.") was
never translated, because DRF formats the number in before it looks the message up."""

from __future__ import annotations

import pytest
from rest_framework.throttling import ScopedRateThrottle

from kobling.core.shared_cache import shared_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_a_minute(monkeypatch):
    shared_cache().clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    yield
    shared_cache().clear()


def _third_try(api, cast, language: str):
    for _ in range(2):
        api().post(
            "/api/v1/auth/token",
            {"username": cast.coordinator_a.username, "password": "wrong"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    return api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_throttled_token_request_says_in_bokmal_how_many_seconds_to_wait(cast, api, two_a_minute):
    response = _third_try(api, cast, "nb")
    assert response.status_code == 429
    body = response.json()
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60 and body["wait"] == wait and body["code"] == "throttled"
    assert f"{wait} sekund" in body["detail"], body["detail"]
    assert "throttled" not in body["detail"]


def test_a_throttled_token_request_says_it_in_english_when_asked(cast, api, two_a_minute):
    body = _third_try(api, cast, "en").json()
    assert body["detail"] == f"Too many requests. Try again in {body['wait']} seconds."


def test_a_locked_out_account_says_how_long_the_lock_lasts(cast, api, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 1
    api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": "wrong"},
        format="json",
    )
    response = api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": "wrong"},
        format="json",
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "1800" and response.json()["wait"] == 1800
