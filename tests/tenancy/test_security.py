import base64
import os
import subprocess
import sys

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kobling.web.views import PENDING_TOTP_KEY
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _run_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KOBLING_ENV", "SECRET_KEY", "DATABASE_URL"}
    }
    full_env.update(env)
    full_env["DJANGO_SETTINGS_MODULE"] = "kobling.config.settings"
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_passwords_are_hashed_with_argon2_in_the_real_settings():
    from kobling.config import settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _run_settings({"KOBLING_ENV": "production"}, "import kobling.config.settings")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_settings_use_secure_cookies_and_hsts():
    code = "import kobling.config.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.DEBUG, s.DEMO_ALLOWED)"
    result = _run_settings(
        {"KOBLING_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "kobling.example"},
        code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "False", "False"]


def test_the_file_store_setting_is_checked_when_the_settings_load():
    code = "import kobling.config.settings as s; print(s.STORAGES['private']['BACKEND'])"
    assert _run_settings({}, code).stdout.split() == ["kobling.core.uploads.PrivateStorage"]
    wrong = _run_settings({"KOBLING_FILE_STORE": "ftp"}, code)
    assert wrong.returncode != 0 and "KOBLING_FILE_STORE is 'local' or 's3'" in wrong.stderr
    no_bucket = _run_settings({"KOBLING_FILE_STORE": "s3"}, code)
    assert no_bucket.returncode != 0 and "needs KOBLING_S3_BUCKET" in no_bucket.stderr
    s3 = _run_settings({"KOBLING_FILE_STORE": "s3", "KOBLING_S3_BUCKET": "kvitteringer"}, code)
    assert s3.stdout.split() == ["kobling.core.object_store.PrivateS3Storage"], s3.stderr


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/konto/logg-inn/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_sessions_expire_after_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.KOBLING_SESSION_TOUCH_SECONDS == 60


def _session_row(client):  # noqa: ANN001, ANN202
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key)


def test_the_idle_expiry_slides_forward_at_most_once_a_minute(cast):
    """Working keeps the user signed in, but a page read within a minute of the last touch writes
    nothing: the session row is not saved on every request (issue 16, load)."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kobling.web.middleware import _TOUCHED
    from tests.conftest import signed_in

    client = signed_in(cast.coordinator_a)
    client.get("/")
    first = _session_row(client).expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]

    # Twenty minutes later (the touch is older than a minute): the next page slides it.
    session = client.session
    session[_TOUCHED] = int(session[_TOUCHED]) - 20 * 60
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=first - dt.timedelta(minutes=20)
    )
    assert client.get("/").status_code == 200
    assert _session_row(client).expire_date > first - dt.timedelta(seconds=5)


def test_a_visitor_without_a_session_gets_none_from_the_touch(db):
    from django.contrib.sessions.models import Session

    response = Client().get("/konto/logg-inn/")
    assert response.status_code == 200
    assert not Session.objects.exists()


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_password(cast, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post(
            "/konto/logg-inn/", {"username": cast.coordinator_a.username, "password": "wrong"}
        )
    response = client.post(
        "/konto/logg-inn/", {"username": cast.coordinator_a.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api_token_endpoint_is_locked_out_too(cast, settings, api):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        api().post(
            "/api/v1/auth/token",
            {"username": cast.coordinator_a.username, "password": "wrong"},
            format="json",
        )
    response = api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 429
    assert "token" not in response.json()


def test_token_auth_round_trip(cast, api):
    response = api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/helpers/").status_code == 200
    bad = api()
    bad.credentials(HTTP_AUTHORIZATION="Token nope")
    assert bad.get("/api/v1/helpers/").status_code == 401


def test_wrong_password_gets_no_token(cast, api):
    response = api().post(
        "/api/v1/auth/token",
        {"username": cast.coordinator_a.username, "password": "nope"},
        format="json",
    )
    assert response.status_code == 400 and "token" not in response.json()


def test_municipal_admin_must_set_up_and_pass_two_factor_before_using_the_app(cast):
    client = Client()
    assert (
        client.post(
            "/konto/logg-inn/", {"username": cast.admin_a.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    response = client.get("/kontakter/")
    assert response.status_code == 302 and response["Location"] == "/konto/tofaktor/"
    # The page shows the new key (QR code and text) but stores no device until a code is sent.
    page = client.get("/konto/tofaktor/").content.decode()
    assert not TOTPDevice.objects.filter(user=cast.admin_a).exists()
    key = bytes.fromhex(client.session[PENDING_TOTP_KEY])
    assert base64.b32encode(key).decode() in page
    assert (
        client.post("/konto/tofaktor/", {"code": "000000"}).status_code == 200
    )  # wrong code: form again
    device = TOTPDevice.objects.get(user=cast.admin_a)
    assert device.bin_key == key and not device.confirmed
    response = client.post("/konto/tofaktor/", {"code": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.get("/kontakter/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_coordinator_may_work_without_two_factor(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    assert client.get("/kontakter/").status_code == 200


def test_admin_with_two_factor_must_send_a_code_to_get_an_api_token(cast, api):
    device = TOTPDevice.objects.create(user=cast.admin_a, name="app", confirmed=True)
    body = {"username": cast.admin_a.username, "password": PASSWORD}
    assert api().post("/api/v1/auth/token", body, format="json").status_code == 400
    ok = api().post(
        "/api/v1/auth/token", {**body, "otp": f"{totp(device.bin_key):06d}"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["token"]


def test_admin_without_two_factor_gets_no_api_token(cast, api):
    response = api().post(
        "/api/v1/auth/token",
        {"username": cast.admin_a.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 403


def test_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_openapi_schema_is_served_as_json_when_asked(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_client_address_comes_from_the_trusted_proxy_hop_only(settings, rf):
    from kobling.tenancy.middleware import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7", REMOTE_ADDR="10.0.0.1")
    settings.KOBLING_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.KOBLING_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.7"  # the spoofable left part is ignored


def test_admin_session_without_two_factor_cannot_use_the_api(cast):
    client = Client()
    client.force_login(cast.admin_a)
    assert client.get("/api/v1/helpers/").status_code in {401, 403}
    device = TOTPDevice.objects.create(user=cast.admin_a, name="t", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get("/api/v1/helpers/").status_code == 200


def test_coordinator_session_may_use_the_api(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    assert client.get("/api/v1/helpers/").status_code == 200
