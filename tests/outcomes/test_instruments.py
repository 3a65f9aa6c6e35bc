"""The instruments are seeded reference data with versions and ranges; each programme chooses
which of them its reviews use (by default the core ones, functional tests off)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kobling.lib.errors import ConflictError
from kobling.outcomes import reference, selectors, services
from kobling.outcomes.models import Instrument, InstrumentItem, ProgrammeInstruments
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db

CORE = ["activity_minutes", "self_rated_health", "mastery", "goal_attainment"]


def codes(instruments):
    return [i.code for i in instruments]


def test_the_instruments_are_seeded_with_code_version_unit_range_and_kind():
    rows = {
        i.code: (i.version, i.kind, i.unit, i.min_value, i.max_value, i.is_core)
        for i in Instrument.objects.all()
    }
    assert rows == {
        "activity_minutes": ("1", "activity", "min/uke", Decimal(0), Decimal(3000), True),
        "self_rated_health": ("1", "rating", "1–5", Decimal(1), Decimal(5), True),
        "mastery": ("1", "rating", "1–10", Decimal(1), Decimal(10), True),
        "goal_attainment": ("1", "goal", "−2 til +2", Decimal(-2), Decimal(2), True),
        "six_minute_walk": ("1", "test", "m", Decimal(0), Decimal(1200), False),
        "sit_to_stand_30s": ("1", "test", "ganger", Decimal(0), Decimal(60), False),
    }
    gas = Instrument.objects.get(code="goal_attainment")
    assert list(gas.items.values_list("value", flat=True)) == [-2, -1, 0, 1, 2]


def test_seeding_again_changes_nothing_and_a_new_reference_version_updates_the_definition(
    monkeypatch,
):
    before = list(Instrument.objects.values_list("pk", "code", "version", "max_value"))
    items = InstrumentItem.objects.count()
    reference.seed_instruments(Instrument, InstrumentItem)
    assert list(Instrument.objects.values_list("pk", "code", "version", "max_value")) == before
    assert InstrumentItem.objects.count() == items

    changed = [dict(spec) for spec in reference.INSTRUMENTS]
    walk = next(s for s in changed if s["code"] == "six_minute_walk")
    walk.update(version="2", max_value=Decimal(1500))
    monkeypatch.setattr(reference, "INSTRUMENTS", changed)
    reference.seed_instruments(Instrument, InstrumentItem)
    updated = Instrument.objects.get(code="six_minute_walk")
    assert (updated.version, updated.max_value) == ("2", Decimal(1500))
    assert Instrument.objects.count() == len(before)


def test_a_flushed_database_gets_the_instruments_back():
    InstrumentItem.objects.all().delete()
    Instrument.objects.all().delete()
    from django.apps import apps

    from kobling.outcomes.apps import _seed

    _seed(sender=apps.get_app_config("outcomes"))
    assert Instrument.objects.count() == 6


def test_a_programme_uses_the_core_instruments_until_it_chooses(cast):
    assert codes(selectors.enabled_instruments(cast.programme_a.pk)) == CORE


def test_the_admin_turns_on_a_functional_test_and_reviews_then_accept_it(cast, contact):
    pairing = b.pairing(cast.programme_a, contact)
    with pytest.raises(ValidationError):
        b.review(pairing, kind="start", on=b.days_ago(10), six_minute_walk=420)
    client = signed_in(cast.admin_a)
    url = reverse("web:programme_instruments", args=[cast.programme_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "6-minute walk test" in page.content.decode()
    chosen = Instrument.objects.filter(code__in=["activity_minutes", "six_minute_walk"])
    response = client.post(url, {"instruments": [i.pk for i in chosen]})
    assert response.status_code == 302
    assert codes(selectors.enabled_instruments(cast.programme_a.pk)) == [
        "activity_minutes",
        "six_minute_walk",
    ]
    review = b.review(pairing, kind="start", on=b.days_ago(10), six_minute_walk=420)
    assert review.scores.get().instrument_version == "1"
    with pytest.raises(ValidationError) as error:
        b.review(pairing, on=b.days_ago(5), mastery=5)  # no longer used
    assert "not used by this programme" in str(error.value)
    assert AuditEntry.objects.filter(object_type="outcomes.programmeinstruments").exists()
    # Another programme is untouched.
    assert codes(selectors.enabled_instruments(cast.programme_b.pk)) == CORE


def test_choosing_no_instrument_is_refused(cast):
    response = signed_in(cast.admin_a).post(
        reverse("web:programme_instruments", args=[cast.programme_a.pk]), {"instruments": []}
    )
    assert response.status_code == 400
    assert not ProgrammeInstruments.objects.exists()
    with pytest.raises(ValidationError):
        services.programme_instruments_set(programme=cast.programme_a, by=None, instruments=[])


def test_a_stale_choice_is_refused(cast):
    mastery = Instrument.objects.get(code="mastery")
    services.programme_instruments_set(programme=cast.programme_a, by=None, instruments=[mastery])
    services.programme_instruments_set(
        programme=cast.programme_a, by=None, instruments=[mastery], expected_version=1
    )
    with pytest.raises(ConflictError):
        services.programme_instruments_set(
            programme=cast.programme_a, by=None, instruments=[mastery], expected_version=1
        )


def test_the_api_lists_instruments_and_those_a_programme_uses(cast, api):
    client = api(cast.contact_user_a)
    everything = client.get("/api/v1/instruments/").json()
    assert [i["code"] for i in everything] == CORE + ["six_minute_walk", "sit_to_stand_30s"]
    health = next(i for i in everything if i["code"] == "self_rated_health")
    assert health["min_value"] == "1.00" and health["max_value"] == "5.00"
    assert [item["value"] for item in health["items"]] == ["1.00", "2.00", "3.00", "4.00", "5.00"]
    used = client.get(f"/api/v1/instruments/?programme={cast.programme_a.pk}").json()
    assert [i["code"] for i in used] == CORE
    assert client.get("/api/v1/instruments/?programme=abc").status_code == 400
    assert client.get(f"/api/v1/instruments/?programme={cast.programme_b.pk}").status_code == 400
    one = client.get("/api/v1/instruments/mastery/").json()
    assert (one["code"], one["version"], one["kind"]) == ("mastery", "1", "rating")
