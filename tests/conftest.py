"""The cast every access test uses: people in municipality A and B in every role, plus a
course provider and a national analyst (the healthchecks alice/bob/charlie pattern, widened)."""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from kobling.tenancy.choices import NationalRole, Role
from tests import factories as f

# The S3-compatible server and a bucket per test (tests/s3.py), for the object-store file backend.
pytest_plugins = ["tests.s3"]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.AXES_ENABLED = False
    # Argon2 is the real hasher (asserted in the security tests); tests use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KOBLING_BASE_URL = "http://testserver"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cast(db):
    a = f.MunicipalityFactory(code="9001", name="Aby")
    b = f.MunicipalityFactory(code="9002", name="Bestad")
    programme_a = f.ProgrammeFactory(municipality=a)
    programme_b = f.ProgrammeFactory(municipality=b)
    admin_a = f.member(f.UserFactory(username="admin@a.test"), a, Role.MUNICIPAL_ADMIN)
    coordinator_a = f.member(f.UserFactory(username="koordinator@a.test"), a, Role.COORDINATOR)
    referrer_a = f.member(f.UserFactory(username="henviser@a.test"), a, Role.REFERRER)
    contact_user_a = f.member(f.UserFactory(username="kontakt@a.test"), a, Role.TRAINING_CONTACT)
    coordinator_b = f.member(f.UserFactory(username="koordinator@b.test"), b, Role.COORDINATOR)
    analyst = f.UserFactory(username="analytiker@test", national_role=NationalRole.ANALYST)
    provider = f.CourseProviderFactory(name="Aby idrettskrets")
    provider_user = f.provider_staff(f.UserFactory(username="kurs@test"), provider)

    helper_a = f.HelperFactory(
        programme=programme_a, user=contact_user_a, first_name="Astrid", last_name="Aas"
    )
    helper_a2 = f.HelperFactory(programme=programme_a, first_name="Anders", last_name="Aasen")
    helper_b = f.HelperFactory(programme=programme_b, first_name="Berit", last_name="Berg")
    run = f.CourseRunFactory(
        template=f.CourseTemplateFactory(provider=provider), programme=programme_a
    )
    enrolment_a = f.EnrolmentFactory(run=run, helper=helper_a)

    return SimpleNamespace(
        a=a,
        b=b,
        programme_a=programme_a,
        programme_b=programme_b,
        admin_a=admin_a,
        coordinator_a=coordinator_a,
        referrer_a=referrer_a,
        contact_user_a=contact_user_a,
        coordinator_b=coordinator_b,
        analyst=analyst,
        provider=provider,
        provider_user=provider_user,
        helper_a=helper_a,
        helper_a2=helper_a2,
        helper_b=helper_b,
        run_a=run,
        enrolment_a=enrolment_a,
        roles={
            "admin_a": admin_a,
            "coordinator_a": coordinator_a,
            "referrer_a": referrer_a,
            "contact_a": contact_user_a,
            "coordinator_b": coordinator_b,
            "analyst": analyst,
            "provider": provider_user,
        },
    )


@pytest.fixture
def api():
    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return client_for


# --- Check-ins: a real local SMTP server and the database task queue -----------------------


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free local port; Django's SMTP backend points at it."""
    from tests.smtp import running_smtp_server

    with running_smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the real database queue (django_tasks_db) instead of running immediately;
    use with ``@pytest.mark.django_db(transaction=True)`` and run the worker to process them."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def moving_clock():
    """Puts ``django.utils.timezone.now`` under the test's control, for the code under test and
    the task queue alike: read ``.now``, set it, or ``.advance(days=…)``."""
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    state = SimpleNamespace(now=timezone.now())

    def advance(**delta: float) -> dt.datetime:
        state.now += dt.timedelta(**delta)
        return state.now

    state.advance = advance
    with mock.patch("django.utils.timezone.now", side_effect=lambda: state.now):
        yield state


def without_tokens(html: str) -> str:
    """A page without its CSRF tokens: what to search for a short word that must not be there.
    A token is 64 random letters and digits, so it holds a three-letter name ("Per") about once
    in 4,000 pages."""
    import re

    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', html)


def signed_in(user):
    """A browser session for ``user``; roles that require two-factor have passed it."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        device = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )[0]
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def web():
    return signed_in


# --- a real headless browser (tests marked ``browser``) -------------------------------------
# The browser: ``KOBLING_CHROMIUM`` (a path), else the system's ``chromium`` (Debian's package),
# else Playwright's own download. If none can be launched the test **fails** with a message
# saying what to install — unless ``KOBLING_SKIP_BROWSER=1`` says to skip it on purpose.

# No sandbox (CI runs as root); no background connections (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "No Chromium for the browser test. Install Debian's (apt-get install -y chromium), set "
    "KOBLING_CHROMIUM to a Chromium binary, or run `playwright install chromium`; set "
    "KOBLING_SKIP_BROWSER=1 to skip this test on purpose."
)


def chromium_path() -> str | None:
    configured = os.environ.get("KOBLING_CHROMIUM", "").strip()
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None  # Playwright's own browser, if it was installed


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    skip = os.environ.get("KOBLING_SKIP_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        if skip:
            pytest.skip("KOBLING_SKIP_BROWSER=1 and Playwright is not installed")
        pytest.fail("Playwright is not installed (pip install -c constraints.txt -e '.[dev]').")
    with sync_playwright() as playwright:
        path = chromium_path()
        try:
            launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure means "no browser"
            if skip:
                pytest.skip(f"KOBLING_SKIP_BROWSER=1 and no browser: {exc}")
            pytest.fail(f"{INSTALL_HINT}\nTried: {path or 'Playwright’s own Chromium'}\n{exc}")
        try:
            yield launched
        finally:
            # ORM calls made while Playwright's event loop is current run on a connection of
            # their own; close it here, or the test database cannot be dropped at the end.
            from django.db import connections

            connections.close_all()
            launched.close()
