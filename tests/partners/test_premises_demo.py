"""The premises and meeting demo in Fjordvik: two premises, bookings including a recurring one,
a key log with a key still out, a dialogue meeting held with minutes and attendance, and every
volunteer organisation with its contact person in the municipality."""

from __future__ import annotations

import pytest

from kobling.demo.loader import load_demo
from kobling.partners import services
from kobling.partners.models import Booking, Meeting, Partner, Premises

pytestmark = pytest.mark.django_db


def test_the_premises_demo_fills_fjordvik(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    counts = load_demo()
    assert counts["premises"] == 2 and counts["partner_meetings"] == 2
    places = list(Premises.objects.filter(municipality__name="Fjordvik"))
    assert len(places) == 2
    series = Booking.objects.filter(series__isnull=False).values_list("series", flat=True)
    assert len(set(series)) == 1 and len(series) >= 10
    room = next(p for p in places if p.kind == "room")
    assert [k.key_label for k in services.keys_out(room)] == ["Nøkkel 3"]
    held = Meeting.objects.get(kind="dialogue")
    assert held.minutes and held.booking_id
    came = [i.attended for i in held.invitations.all()]
    assert came and True in came
    volunteers = Partner.objects.filter(municipality__name="Fjordvik", kind="volunteer")
    assert volunteers.exists() and not volunteers.filter(municipal_contact__isnull=True).exists()
    assert any(a.premises.exists() for p in volunteers for a in p.agreements.all())
