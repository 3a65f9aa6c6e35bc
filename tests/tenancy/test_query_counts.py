"""Lists cost a fixed number of queries whatever the data size: measured with a little data and
again after adding many rows of every kind."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kobling.helpers.models import CheckIn
from kobling.tenancy.audit import audit_log
from kobling.tenancy.models import User
from tests import factories as f
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

API_LISTS = [
    "/api/v1/memberships/",
    "/api/v1/audit/",
    "/api/v1/checkins/",
    "/api/v1/programmes/",
    "/api/v1/municipalities/",
    "/api/v1/helpers/",
]
PAGES = ["/brukere/", "/revisjon/", "/kontakter/", "/kontakter/oversikt/"]


def grow(cast, n=25, start=0):
    for i in range(start, start + n):
        helper = f.HelperFactory(programme=cast.programme_a)
        f.member(f.UserFactory(), cast.a, "referrer")
        audit_log(user=cast.coordinator_a, action="view", obj=helper)
        CheckIn.objects.create(
            helper=helper,
            municipality=cast.a,
            expires_at=timezone.now() + dt.timedelta(days=20),
        )


def api_queries(user, url):
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def page_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_api_lists_keep_a_fixed_number_of_queries(cast):
    grow(cast, n=2, start=100)
    before = {url: api_queries(cast.admin_a, url) for url in API_LISTS}
    grow(cast)
    after = {url: api_queries(cast.admin_a, url) for url in API_LISTS}
    assert after == before


def test_admin_pages_keep_a_fixed_number_of_queries(cast):
    client = signed_in(cast.admin_a)
    grow(cast, n=2, start=100)
    before = {url: page_queries(client, url) for url in PAGES}
    grow(cast)
    after = {url: page_queries(client, url) for url in PAGES}
    assert after == before
