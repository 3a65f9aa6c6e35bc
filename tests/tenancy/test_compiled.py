"""A query compiled once per process runs with the caller's value where the marker was, and
tells apart the rows of different values (kobling.tenancy.compiled)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kobling.tenancy.choices import Role
from kobling.tenancy.compiled import CompiledQuery
from kobling.tenancy.models import Membership
from tests import factories as f

pytestmark = pytest.mark.django_db


def _roles(pk):
    return (
        Membership.objects.filter(user_id=pk)
        .order_by("role")
        .values_list("role", "municipality_id")
    )


def test_rows_for_each_value_compiled_once(cast):
    calls = []

    def build(pk):
        calls.append(pk)
        return _roles(pk)

    query = CompiledQuery(build)
    anne, bo = f.UserFactory(username="anne.k"), f.UserFactory(username="bo.k")
    f.member(anne, cast.a, Role.COORDINATOR)
    f.member(anne, cast.b, Role.REFERRER)
    f.member(bo, cast.b, Role.TRAINING_CONTACT)
    with CaptureQueriesContext(connection) as queries:
        assert query.rows(anne.pk) == [tuple(r) for r in _roles(anne.pk)]
        assert query.rows(bo.pk) == [(Role.TRAINING_CONTACT, cast.b.pk)]
        assert query.rows(-1) == []
    # Django's own queryset ran once above, in the comparison; ours three times.
    assert len(queries) == 4
    assert len(calls) == 1


def test_a_query_without_the_marker_is_refused():
    with pytest.raises(ValueError, match="marker"):
        CompiledQuery(lambda pk: Membership.objects.filter(user_id=1)).compile()
