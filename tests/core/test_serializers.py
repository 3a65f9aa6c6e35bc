"""``FieldsOnceMixin`` plans a serializer's output once per instance (direct reads of plain
columns and foreign-key ids, the time zone read once): the output must be exactly DRF's own,
key for key and in the same order, for every serializer that uses it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from kobling.core.serializers import FieldsOnceMixin
from kobling.dashboards.bench import build
from kobling.followup.models import Pairing
from kobling.followup.serializers import PairingSerializer
from kobling.helpers.models import Helper
from kobling.helpers.serializers import HelperSerializer
from kobling.referrals.models import Consent, Referral
from kobling.referrals.selectors import referral_list_queryset, waiting_list_queryset
from kobling.referrals.serializers import (
    ConsentSerializer,
    ParticipantSerializer,
    ReferralSerializer,
    ReferrerReferralSerializer,
    WaitingListEntrySerializer,
)
from tests.factories import ReferralFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def drf(serializer: serializers.Serializer, instance) -> dict:  # noqa: ANN001
    """DRF's own ``Serializer.to_representation`` on the same serializer."""
    return serializers.Serializer.to_representation(serializer, instance)


def _same(serializer: serializers.Serializer, instances) -> int:  # noqa: ANN001
    assert isinstance(serializer, FieldsOnceMixin)
    for instance in instances:
        planned = FieldsOnceMixin.to_representation(serializer, instance)
        assert list(planned.items()) == list(drf(serializer, instance).items())
    return len(instances)


@pytest.fixture
def data():
    _programme, coordinator, _year = build(4, 3, 6, seed=3, tag="SER")
    return coordinator


def _context(user) -> dict:  # noqa: ANN001
    request = APIRequestFactory().get("/")
    request.user = user
    return {"request": request}


@pytest.mark.parametrize("zone", ["Europe/Oslo", "UTC"])
def test_the_hot_lists_rows_are_drfs_own(data, zone):
    with timezone.override(zone):
        context = _context(data)
        referrals = list(referral_list_queryset(Referral.objects.all()))
        referral = referrals[0]
        referral.referrer = None  # a foreign key that is not set
        referral.closed_at = timezone.now()
        assert _same(ReferralSerializer(context=context), referrals) > 3
        assert _same(ReferrerReferralSerializer(context=context), referrals)
        assert _same(ParticipantSerializer(context=context), [r.participant for r in referrals])
        waiting = waiting_list_queryset(Referral.objects.all())
        _same(WaitingListEntrySerializer(context=context), list(waiting))
        assert _same(HelperSerializer(context=context), list(Helper.objects.all())) > 2
        assert _same(PairingSerializer(context=context), list(Pairing.objects.all())) > 2


def test_a_utc_time_is_written_with_z_and_a_local_one_with_its_offset(data):
    referral = referral_list_queryset(Referral.objects.all()).first()
    referral.received_at = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
    context = _context(data)
    with timezone.override("UTC"):
        row = ReferralSerializer(context=context).to_representation(referral)
        assert row["received_at"] == "2025-06-01T08:30:00Z"
    with timezone.override("Europe/Oslo"):
        row = ReferralSerializer(context=context).to_representation(referral)
        assert row["received_at"] == "2025-06-01T10:30:00+02:00"


def test_the_plan_reads_columns_directly_and_asks_the_rest(data):
    serializer = ReferralSerializer(context=_context(data))
    referral = referral_list_queryset(Referral.objects.all()).first()
    serializer.to_representation(referral)
    _model, steps = serializer.__dict__["_plan"]
    direct = {name for name, _field, read, _convert in steps if read is not None}
    assert {"id", "municipality", "status", "received_at", "goals", "version"} <= direct
    assert {"eligibility", "latest_decision", "waiting_days"} <= direct  # methods, found once
    assert not direct & {"participant", "target_groups", "consents", "preferred_times"}


def test_a_consent_recorded_by_nobody_is_null_either_way():
    referral = ReferralFactory()
    coordinator = member(UserFactory(), referral.municipality, "coordinator")
    consent = Consent.objects.create(
        referral=referral,
        municipality=referral.municipality,
        scope="share_with_referrer",
        given_on=timezone.localdate(),
        given_by="participant",
    )
    recorded = Consent.objects.create(
        referral=referral,
        municipality=referral.municipality,
        scope="share_with_partner",
        partner_name="Friskliv",
        given_on=timezone.localdate(),
        given_by="participant",
        recorded_by=coordinator,
    )
    serializer = ConsentSerializer(context=_context(coordinator))
    assert _same(serializer, [consent, recorded])
    assert serializer.to_representation(consent)["recorded_by"] is None
    # A method at the end of a path (``recorded_by.get_full_name``) is called, as DRF does.
    assert serializer.to_representation(recorded)["recorded_by"] == coordinator.get_full_name()


def test_each_serializer_binds_fields_of_its_own_and_the_prototype_stays_unbound():
    from kobling.core.serializers import _PROTOTYPES

    first = ReferralSerializer(context=_context(UserFactory()))
    second = ReferralSerializer(context=_context(UserFactory()))
    for name in ("status", "priority", "received_at", "languages", "consents", "participant"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    prototype = _PROTOTYPES[ReferralSerializer]
    bound = [n for n, f in prototype.items() if f.parent is not None or f.field_name]
    assert not bound, bound
    # Nested serializers and children still reach their own serializer's context.
    assert first.fields["consents"].child.context is first.context
    assert second.fields["participant"].context is second.context
    assert first.fields["languages"].child.parent is first.fields["languages"]
