"""The model backend (kobling.tenancy.backends) reads the signed-in user as Django's does, with
SQL compiled once: every field the same, an inactive or unknown user is none."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kobling.tenancy.backends import ModelBackend
from kobling.tenancy.models import User
from tests import factories as f

pytestmark = pytest.mark.django_db


def _fields(user):
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_backend_is_ours():
    assert "kobling.tenancy.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS


def test_the_user_as_django_reads_it_in_one_query():
    user = f.UserFactory(username="kari.k", first_name="Kari", email="kari@example.no")
    User.objects.filter(pk=user.pk).update(last_login="2026-12-01T08:00:00Z")
    with CaptureQueriesContext(connection) as queries:
        found = ModelBackend().get_user(str(user.pk))
    assert len(queries) == 1
    assert _fields(found) == _fields(User.objects.get(pk=user.pk))
    assert found._state.db == "default" and not found._state.adding
    assert found.last_login.tzinfo is not None


def test_inactive_unknown_and_malformed_ids_are_no_user():
    user = f.UserFactory(username="borte.b", is_active=False)
    backend = ModelBackend()
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None
    assert backend.get_user("ikke-et-tall") is None


def test_signing_in_through_the_backend_keeps_the_user(client):
    user = f.UserFactory(username="per.p")
    client.force_login(user, backend="kobling.tenancy.backends.ModelBackend")
    response = client.get("/")
    assert response.wsgi_request.user.pk == user.pk
