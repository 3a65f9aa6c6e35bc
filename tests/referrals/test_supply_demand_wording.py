"""The supply-and-demand card says which way the difference goes instead of showing a negative
number ("-13 flere som venter enn ledige plasser" meant 13 more free places than people)."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.conftest import signed_in
from tests.referrals.test_waiting_list import waiting

pytestmark = pytest.mark.django_db


def _card(cast) -> str:
    client = signed_in(cast.coordinator_a)
    client.cookies["django_language"] = "nb"
    html = client.get("/tilbud-og-behov/").content.decode()
    return re.search(r'<div class="ds-card" data-key="gap">(.*?)</div>', html, re.S).group(1)


def test_more_free_places_than_people_waiting_is_said_without_a_minus(cast):
    f.make_active(f.HelperFactory(programme=cast.programme_a, capacity=3))
    card = _card(cast)
    assert ">-" not in card and "−" not in card
    assert (
        '<p class="k-stat">3</p>' in card
        and "flere ledige plasser enn det er folk som venter" in card
    )


def test_more_people_waiting_than_free_places(cast):
    waiting(cast, days=3)
    card = _card(cast)
    assert '<p class="k-stat">1</p>' in card and "flere som venter enn ledige plasser" in card


def test_as_many_free_places_as_people_waiting(cast):
    card = _card(cast)
    assert (
        '<p class="k-stat">0</p>' in card
        and "like mange ledige plasser som folk som venter" in card
    )
