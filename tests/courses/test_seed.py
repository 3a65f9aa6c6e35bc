"""The shared course templates seeded by the courses migration (DOMAIN §6)."""

from decimal import Decimal

import pytest

from kobling.courses.models import CourseTemplate
from tests import factories as f

pytestmark = pytest.mark.django_db


def _modules(code):
    return [(m.title, m.hours) for m in f.shared_template(code).modules.order_by("position")]


def test_three_shared_templates_are_seeded_without_a_provider():
    codes = set(CourseTemplate.objects.filter(provider=None).values_list("code", flat=True))
    assert {"treningskontakt-40t", "oppfolging-20t", "treningskontakt-light"} <= codes


def test_the_original_course_is_seeded_module_by_module_as_the_source_lists_it():
    # The source calls it the 40-hour course; its listed modules add up to 42 hours, the
    # home assignment/exam coming on top of the teaching. Seeded as listed, not rounded.
    assert _modules("treningskontakt-40t") == [
        ("Rus", Decimal("8")),
        ("Psykiatri", Decimal("8")),
        ("Praktisk treningslære", Decimal("10")),
        ("Teoretisk treningslære", Decimal("6")),
        ("Anatomi og fysiologi", Decimal("6")),
        ("Kommunikasjon", Decimal("2")),
        ("Hjemmeoppgave/eksamen", Decimal("2")),
    ]
    template = f.shared_template("treningskontakt-40t")
    assert template.total_hours == Decimal("42")
    teaching = sum(h for t, h in _modules("treningskontakt-40t") if t != "Hjemmeoppgave/eksamen")
    assert teaching == Decimal("40")
    assert template.level == "basic"
    assert template.qualifies is True


def test_the_follow_up_course_has_four_five_hour_modules_and_gives_no_qualification():
    assert _modules("oppfolging-20t") == [
        ("Ernæring", Decimal("5")),
        ("Idrettsskader", Decimal("5")),
        ("Rus", Decimal("5")),
        ("Psykiatri", Decimal("5")),
    ]
    template = f.shared_template("oppfolging-20t")
    assert template.total_hours == Decimal("20")
    assert template.level == "follow_up"
    assert template.qualifies is False


def test_the_light_course_is_twelve_hours_and_covers_disability():
    template = f.shared_template("treningskontakt-light")
    assert template.total_hours == Decimal("12")
    assert template.level == "light"
    assert template.qualifies is True
    titles = [t for t, _ in _modules("treningskontakt-light")]
    assert "Funksjonsnedsettelse og tilrettelagt aktivitet" in titles
    assert "Motivasjon og mestring" in titles
