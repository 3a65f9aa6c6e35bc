"""The lists' prefetch without a queryset per row (kobling.tenancy.prefetch): each row reads its
own related rows with no further query, and whatever chains on them (filter, first, update)
reaches exactly that row's relation — as Django's own prefetch does."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from kobling.helpers.models import Activity, AvailabilityWindow, Helper
from kobling.tenancy.prefetch import prefetch_lists
from tests.factories import HelperFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpers():
    programme = ProgrammeFactory()
    a, b, c = (HelperFactory(programme=programme) for _ in range(3))
    walk, swim, *_rest = Activity.objects.order_by("pk")
    a.activities.set([walk, swim])
    b.activities.set([swim])
    for helper, days in ((a, (1, 3)), (b, (2,))):
        for day in days:
            AvailabilityWindow.objects.create(
                helper=helper, weekday=day, start_time=dt.time(17), end_time=dt.time(19)
            )
    return a, b, c, walk, swim


def _listed(*lookups):
    return list(Helper.objects.order_by("pk").prefetch_related(*lookups))


def test_each_row_reads_its_own_related_rows_without_a_query(helpers):
    a, b, c, walk, swim = helpers
    with CaptureQueriesContext(connection) as queries:
        rows = _listed(
            "activities",
            Prefetch("availability", queryset=AvailabilityWindow.objects.order_by("-weekday")),
        )
    assert len(queries.captured_queries) == 3  # the helpers, then one query per relation
    with CaptureQueriesContext(connection) as queries:
        seen = {
            h.pk: (
                {x.pk for x in h.activities.all()},
                [w.weekday for w in h.availability.all()],
                h.activities.count(),
                h.availability.exists(),
                bool(h.activities.all()),
            )
            for h in rows
        }
    assert not queries.captured_queries
    assert seen[a.pk] == ({walk.pk, swim.pk}, [3, 1], 2, True, True)
    assert seen[b.pk] == ({swim.pk}, [2], 1, True, True)
    assert seen[c.pk] == (set(), [], 0, False, False)
    # The reverse side of a foreign key is set from the row, not fetched again.
    with CaptureQueriesContext(connection) as queries:
        assert all(w.helper is h for h in rows for w in h.availability.all())
    assert not queries.captured_queries


def test_what_chains_on_a_prefetched_relation_reaches_that_row_only(helpers):
    a, b, c, walk, swim = helpers
    rows = {h.pk: h for h in _listed("activities", "availability")}
    assert list(rows[b.pk].activities.filter(pk=walk.pk)) == []
    assert [x.pk for x in rows[a.pk].activities.filter(pk=walk.pk)] == [walk.pk]
    assert rows[b.pk].availability.order_by("weekday").first().weekday == 2
    assert rows[c.pk].availability.first() is None
    assert {w.weekday for w in rows[a.pk].availability.exclude(weekday=1)} == {3}
    # A write through the relation touches that row's windows and nobody else's.
    assert rows[b.pk].availability.all().update(end_time=dt.time(20)) == 1
    assert set(
        AvailabilityWindow.objects.filter(end_time=dt.time(20)).values_list("helper", flat=True)
    ) == {b.pk}
    assert str(rows[a.pk].activities.all().query).count(str(a.pk)) >= 1


def test_what_it_does_not_take_is_left_to_django(helpers):
    a, *_rest = helpers
    nested = Prefetch("activities", queryset=Activity.objects.all(), to_attr="listed")
    rest = prefetch_lists(
        [Helper.objects.get(pk=a.pk)], ["availability", "programme", nested, "user__memberships"]
    )
    assert rest == ["programme", nested, "user__memberships"]


def test_a_row_with_prefetched_relations_survives_pickling(helpers):
    a, *_rest = helpers
    row = next(h for h in _listed("activities") if h.pk == a.pk)
    chained = row.activities.filter(pk__gt=0)
    assert type(chained) is type(Helper.objects.get(pk=a.pk).activities.all())
    assert {x.pk for x in pickle.loads(pickle.dumps(chained))} == {x.pk for x in chained}
    again = pickle.loads(pickle.dumps(row))
    with CaptureQueriesContext(connection) as queries:
        assert {x.pk for x in again.activities.all()} == {x.pk for x in row.activities.all()}
    assert not queries.captured_queries
