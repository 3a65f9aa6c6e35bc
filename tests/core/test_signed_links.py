"""Signed single-use links: one live link per subject, used once, expiring with a clear answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kobling.core import outbox
from kobling.core.choices import LinkStatus
from kobling.core.models import SignedLink
from kobling.core.outbox import LinkClosedError, LinkOutcome

pytestmark = pytest.mark.django_db

WEEK = dt.timedelta(days=7)


def issue(subject="letter:1", now=None):  # noqa: ANN001, ANN201
    now = now or timezone.now()
    return outbox.link_issue(purpose="test-letter", subject=subject, expires_at=now + WEEK, now=now)


def test_issuing_twice_leaves_one_live_link_and_the_first_says_cancelled():
    first, first_token = issue()
    second, second_token = issue()

    assert SignedLink.objects.filter(status=LinkStatus.LIVE).get() == second
    assert outbox.link_resolve(first_token, "test-letter").outcome == LinkOutcome.CANCELLED
    assert outbox.link_resolve(second_token, "test-letter").outcome == LinkOutcome.LIVE


def test_the_database_refuses_a_second_live_link_for_the_same_subject():
    first, _token = issue()
    with pytest.raises(IntegrityError), transaction.atomic():
        SignedLink.objects.create(
            purpose=first.purpose,
            subject_key=first.subject_key,
            token_hash="x" * 64,
            expires_at=first.expires_at,
        )


def test_the_token_is_never_stored_only_its_hash():
    link, token = issue()

    stored = SignedLink.objects.filter(pk=link.pk).values().get()
    assert token not in {str(value) for value in stored.values()}
    assert outbox.link_token(link) == token


def test_a_used_link_cannot_be_used_again():
    link, token = issue()
    outbox.link_use(link=link)

    assert outbox.link_resolve(token, "test-letter").outcome == LinkOutcome.USED
    with pytest.raises(LinkClosedError) as closed:
        outbox.link_use(link=link)
    assert closed.value.outcome == LinkOutcome.USED


def test_an_expired_link_says_it_expired_and_cannot_be_used():
    past = timezone.now() - dt.timedelta(days=8)
    link, token = issue(now=past)

    assert outbox.link_resolve(token, "test-letter").outcome == LinkOutcome.EXPIRED
    with pytest.raises(LinkClosedError) as closed:
        outbox.link_use(link=link)
    assert closed.value.outcome == LinkOutcome.EXPIRED


def test_a_tampered_token_or_another_purpose_is_unknown():
    _link, token = issue()

    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "nonsense", "x" * 500):
        assert outbox.link_resolve(bad, "test-letter").outcome == LinkOutcome.UNKNOWN
    assert outbox.link_resolve(token, "another-purpose").outcome == LinkOutcome.UNKNOWN


def test_a_resolved_link_names_its_subject():
    _link, token = issue(subject="letter:42")

    assert outbox.link_resolve(token, "test-letter").subject_id == 42


def test_opening_a_link_is_noted_once():
    link, _token = issue()

    assert outbox.link_open(link=link) is True
    assert outbox.link_open(link=link) is False
    assert SignedLink.objects.get(pk=link.pk).opened_at is not None
