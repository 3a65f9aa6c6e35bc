"""core.paginator.CountedPaginator pages the annotated list and counts the plain one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.test.utils import CaptureQueriesContext

from kobling.core.paginator import CountedPaginator
from kobling.tenancy.models import Membership, Municipality

pytestmark = pytest.mark.django_db


def test_the_count_is_of_the_plain_queryset_and_the_page_of_the_annotated_one(cast):
    plain = Municipality.objects.order_by("pk")
    members = (
        Membership.objects.filter(municipality=OuterRef("pk"))
        .order_by()
        .values("municipality")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    annotated = plain.annotate(members=Subquery(members))
    paginator = CountedPaginator(annotated, 1, count_queryset=plain)

    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == plain.count() > 1
    assert "membership" not in queries[0]["sql"].lower()

    page = paginator.get_page(2)
    assert page.number == 2 and page.has_previous()
    assert [m.pk for m in page] == [plain[1].pk]
    assert hasattr(page[0], "members")
