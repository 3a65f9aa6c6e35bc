"""The session engine (kobling.tenancy.sessions) reads a session row as Django's database
sessions do, with SQL compiled once: the data comes back, an expired or unknown session is none."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.tenancy.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "kobling.tenancy.sessions"


def test_a_saved_session_loads_in_one_query():
    store = SessionStore()
    store["_auth_user_id"] = "17"
    store["kobling"] = {"when": "2026-12-05"}
    store.save()
    again = SessionStore(session_key=store.session_key)
    with CaptureQueriesContext(connection) as queries:
        assert again.load() == {"_auth_user_id": "17", "kobling": {"when": "2026-12-05"}}
    assert len(queries) == 1
    assert again.session_key == store.session_key


def test_an_expired_session_is_none():
    store = SessionStore()
    store["_auth_user_id"] = "17"
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert again.load() == {}
    assert again.session_key is None


def test_an_unknown_session_is_none():
    again = SessionStore(session_key="x" * 32)
    assert again.load() == {}
    assert again.session_key is None
