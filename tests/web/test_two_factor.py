"""Two-factor sign-in: a typo does not lock out the next valid code, guessing is still throttled,
and the message says what to do (a wrong code once refused the correct one typed right after it
until the next 30-second step)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kobling.tenancy.two_factor import FREE_TRIES, seconds_to_wait
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_at_the_code_step(cast):
    """The municipal admin signed in with a password, with a confirmed authenticator."""
    device = TOTPDevice.objects.create(user=cast.admin_a, name="app", confirmed=True)
    client = Client()
    client.force_login(cast.admin_a)
    return client, device


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def wrong(device: TOTPDevice) -> str:
    return f"{(int(code(device)) + 1) % 1_000_000:06d}"


def test_a_correct_code_right_after_a_typo_signs_in(admin_at_the_code_step):
    client, device = admin_at_the_code_step
    response = client.post("/konto/tofaktor/", {"code": wrong(device)})
    assert response.status_code == 200
    assert "The code is wrong or has expired" in response.content.decode()

    response = client.post("/konto/tofaktor/", {"code": code(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_after_several_wrong_codes_even_the_right_one_waits_and_the_page_says_how_long(
    admin_at_the_code_step, moving_clock
):
    client, device = admin_at_the_code_step
    for _ in range(FREE_TRIES):
        client.post("/konto/tofaktor/", {"code": wrong(device)})

    response = client.post("/konto/tofaktor/", {"code": code(device)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Too many wrong codes in a row. Wait 2 seconds" in html
    device.refresh_from_db()
    assert device.throttling_failure_count == FREE_TRIES  # a refused wait is not counted

    moving_clock.advance(seconds=3)
    response = client.post("/konto/tofaktor/", {"code": code(device)})
    assert response.status_code == 302


def test_the_wait_doubles_with_every_further_wrong_code(admin_at_the_code_step, moving_clock):
    client, device = admin_at_the_code_step
    waits = []
    for _ in range(FREE_TRIES + 3):
        client.post("/konto/tofaktor/", {"code": wrong(device)})
        device.refresh_from_db()

        waits.append(seconds_to_wait(device))
        moving_clock.advance(seconds=waits[-1])
    assert waits == [0, 0, 2, 4, 8, 16]


def test_the_api_token_refuses_codes_while_the_device_must_wait(cast, api, moving_clock):
    device = TOTPDevice.objects.create(user=cast.admin_a, name="app", confirmed=True)
    body = {"username": cast.admin_a.username, "password": PASSWORD}
    for _ in range(FREE_TRIES):
        api().post("/api/v1/auth/token", {**body, "otp": wrong(device)}, format="json")
    refused = api().post("/api/v1/auth/token", {**body, "otp": code(device)}, format="json")
    assert refused.status_code == 400
    moving_clock.advance(seconds=3)
    accepted = api().post("/api/v1/auth/token", {**body, "otp": code(device)}, format="json")
    assert accepted.status_code == 200, accepted.content
