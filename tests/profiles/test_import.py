"""Storing profiles and status sets: all or nothing, every problem reported, a later import of
the same period replaces a unit's category, other periods are left alone; audited."""

import pytest
from django.core.exceptions import ValidationError

from kobling.profiles import io, services
from kobling.profiles.choices import DEMO_SOURCE
from kobling.profiles.demo import PERIOD, load_profiles_demo
from kobling.profiles.models import ProfileCategory, ProfileIndicator, StatusSet
from kobling.tenancy.models import AuditEntry

pytestmark = pytest.mark.django_db

FIRST = b"unit_code,indicator,category\r\n0301,x,better\r\n4650,x,same\r\n0301,y,worse\r\n"


def categories(period="2016"):
    return set(
        ProfileCategory.objects.filter(indicator__period=period).values_list(
            "unit_code", "indicator__code", "category"
        )
    )


def test_an_import_creates_indicators_and_categories_with_source_and_time():
    report = services.profiles_import(data=FIRST, period="2016", source="FHI 2016")
    assert (report.ok, report.rows, report.created, report.indicators) == (True, 3, 3, 2)
    assert categories() == {("0301", "x", "better"), ("4650", "x", "same"), ("0301", "y", "worse")}
    indicator = ProfileIndicator.objects.get(code="x")
    assert (indicator.name, indicator.period, indicator.source) == ("x", "2016", "FHI 2016")
    assert set(ProfileCategory.objects.values_list("source", flat=True)) == {"FHI 2016"}
    entry = AuditEntry.objects.get(object_type="profiles.profilecategory")
    assert entry.changes["created"] == 3 and entry.changes["period"] == "2016"


def test_a_second_import_of_the_period_replaces_changed_categories_and_keeps_the_rest():
    services.profiles_import(data=FIRST, period="2016", source="a")
    report = services.profiles_import(
        data=b"unit_code,indicator,category\n0301,x,worse\n4650,x,same\n5560,z,better\n",
        period="2016",
        source="a",
    )
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert categories() == {
        ("0301", "x", "worse"),
        ("4650", "x", "same"),
        ("0301", "y", "worse"),  # not in the second file: kept
        ("5560", "z", "better"),
    }


def test_periods_are_kept_apart():
    services.profiles_import(data=FIRST, period="2016")
    services.profiles_import(data=b"unit_code,indicator,category\n0301,x,same\n", period="2024")
    assert ProfileIndicator.objects.filter(code="x").count() == 2
    assert ("0301", "x", "better") in categories("2016")
    assert categories("2024") == {("0301", "x", "same")}


def test_a_file_with_problems_saves_nothing_and_lists_every_problem():
    services.profiles_import(data=FIRST, period="2016")
    before = categories()
    report = services.profiles_import(
        data=b"unit_code,indicator,category\n0301,x,same\n0301,x,worse\n,q,better\n9999,q,meh\n",
        period="2016",
    )
    assert not report.ok
    assert [(p.line, p.column) for p in report.problems] == [
        (3, "unit_code,indicator"),
        (4, "unit_code"),
        (5, "category"),
    ]
    assert categories() == before
    assert not ProfileIndicator.objects.filter(code="q").exists()


def test_a_dry_run_checks_and_saves_nothing():
    report = services.profiles_import(data=FIRST, period="2016", dry_run=True)
    assert report.ok and report.dry_run and report.created == 3
    assert not ProfileIndicator.objects.exists()
    assert not AuditEntry.objects.filter(object_type="profiles.profilecategory").exists()


def test_the_period_is_required_and_large_files_are_refused():
    with pytest.raises(ValidationError) as caught:
        services.profiles_import(data=FIRST, period=" ")
    assert "period" in caught.value.message_dict
    report = services.profiles_import(data=b"x" * (services.MAX_IMPORT_BYTES + 1), period="2016")
    assert not report.ok and "10 MB" in report.problems[0].message


def test_a_status_set_is_stored_with_its_units_and_audited():
    status_set = services.status_set_create(
        data="\ufeffunit_code,has_scheme\r\n0301,true\r\n4650,False\r\n".encode(), name="Mapping"
    )
    assert status_set.as_map() == {"0301": True, "4650": False}
    entry = AuditEntry.objects.get(object_type="profiles.statusset")
    assert entry.changes == {"units": 2, "with_scheme": 1}


def test_a_broken_status_file_saves_nothing_and_lists_every_problem():
    with pytest.raises(io.DataError) as caught:
        services.status_set_create(
            data=b"unit_code,has_scheme\n0301,yes\n0301,true\n4650,\n", name="Bad"
        )
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (2, "has_scheme"),
        (3, "unit_code"),
        (4, "has_scheme"),
    ]
    assert not StatusSet.objects.exists()
    with pytest.raises(io.DataError):
        services.status_set_create(data=b"unit_code,has_scheme\n", name="Empty")


def test_the_demo_loader_marks_its_data_by_source_not_in_the_values_and_can_run_twice():
    report = load_profiles_demo()
    assert report.ok and report.created == 1054
    assert PERIOD == "2016"
    assert set(ProfileCategory.objects.values_list("source", flat=True)) == {DEMO_SOURCE}
    assert StatusSet.objects.get().name == "Ordningsstatus 2016"
    assert {"4650", "5560"} <= set(ProfileCategory.objects.values_list("unit_code", flat=True))
    load_profiles_demo()
    assert StatusSet.objects.count() == 1
    assert ProfileCategory.objects.count() == 1054
