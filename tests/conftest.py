"""The cast every access test uses: people in municipality A and B in every role, plus a
course provider and a national analyst (the healthchecks alice/bob/charlie pattern, widened)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from kobling.tenancy.choices import NationalRole, Role
from tests import factories as f


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
