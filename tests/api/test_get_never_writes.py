"""GET requests never write, except the audit log's rows of who read what (and the session's
expiry, which kobling.web.middleware.SessionTouchMiddleware slides forward at most once a minute on
purpose: the 30-minute idle sign-out).

From the roadmap notes in issue 16: a read that writes (a lazily created row, a counter, a
session touched) makes reads contend with writes and turns a crawler into a writer. Every
list of the API router, the detail of its first row, and every page of the page matrix is
fetched while the SQL is recorded."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kobling.tenancy.models import AuditEntry
from tests.api.routes import list_routes
from tests.conftest import signed_in
from tests.web.test_page_matrix import PAGES

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
AUDIT_TABLE = AuditEntry._meta.db_table
# Known and not yet fixed (the list only shrinks).
KNOWN_WRITING_PAGES: set[str] = set()
ALLOWED_TABLES = {f'"{AUDIT_TABLE}"', '"django_session"'}


def _writes(queries) -> list[str]:  # noqa: ANN001
    return [
        q["sql"][:160]
        for q in queries
        if WRITE.match(q["sql"])
        and not any(table in q["sql"].split("(")[0].split(" SET ")[0] for table in ALLOWED_TABLES)
    ]


def test_api_gets_write_nothing_but_the_audit_log(cast, api):
    found = []
    for role in ("coordinator_a", "referrer_a", "contact_a"):
        client = api(cast.roles[role])
        for prefix, _viewset in list_routes():
            with CaptureQueriesContext(connection) as listed:
                response = client.get(f"/api/v1/{prefix}/")
            found += [(role, prefix, sql) for sql in _writes(listed.captured_queries)]
            body = response.json() if response.status_code == 200 else None
            rows = body.get("results") if isinstance(body, dict) else body
            if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "id" in rows[0]:
                with CaptureQueriesContext(connection) as detail:
                    client.get(f"/api/v1/{prefix}/{rows[0]['id']}/")
                found += [(role, prefix, sql) for sql in _writes(detail.captured_queries)]
    assert not found


def test_page_gets_write_nothing_but_the_audit_log(cast):
    found = []
    for role in ("coordinator_a", "referrer_a"):
        client = signed_in(cast.roles[role])
        for name, (arg_names, _codes) in PAGES.items():
            if name in KNOWN_WRITING_PAGES:
                continue
            args = [getattr(cast, a).pk for a in arg_names]
            with CaptureQueriesContext(connection) as page:
                client.get(reverse(f"web:{name}", args=args))
            found += [(role, name, sql) for sql in _writes(page.captured_queries)]
    assert not found, sorted({(n, sql[:60]) for _r, n, sql in found})
