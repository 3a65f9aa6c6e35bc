"""Demo profiles are marked once per page ("Demo data"), not by a "(synthetic)" inside every value
analysts read ("2016 (synthetic)", "Synthetic demo status" were shown as they were stored), and
installs that loaded the old demo get the clean values from a data migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kobling.profiles.choices import DEMO_SOURCE
from kobling.profiles.demo import load_profiles_demo
from kobling.profiles.models import ProfileCategory, ProfileIndicator, StatusSet
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "kobling.profiles.migrations.0002_demo_data_without_synthetic_labels"
)


def test_the_comparison_of_demo_profiles_shows_one_demo_notice_and_no_synthetic_label(cast):
    load_profiles_demo()
    client = signed_in(cast.analyst)
    html = client.get("/folkehelseprofiler/").content.decode()
    assert "synthetic" not in html.lower()
    assert html.count("data-demo-notice") == 1
    assert "Profiles 2016, grouped by Ordningsstatus 2016" in html
    client.cookies["django_language"] = "nb"
    nb = client.get("/folkehelseprofiler/").content.decode()
    assert "syntetisk" not in nb.lower() and nb.count("data-demo-notice") == 1
    assert "Demodata" in nb
    status_page = client.get("/folkehelseprofiler/status/").content.decode()
    assert "synthetic" not in status_page.lower() and "Demodata" in status_page


def test_real_profiles_show_no_demo_notice(cast):
    from kobling.profiles import services

    services.profiles_import(
        data=b"unit_code,indicator,category\n0301,smoking_women,better\n",
        period="2019",
        source="FHI",
    )
    html = signed_in(cast.analyst).get("/folkehelseprofiler/?period=2019").content.decode()
    assert "data-demo-notice" not in html


def _old_demo() -> None:
    load_profiles_demo()
    ProfileIndicator.objects.update(period=migration.OLD_PERIOD, source=migration.OLD_SOURCE)
    ProfileCategory.objects.update(source=migration.OLD_SOURCE)
    StatusSet.objects.update(name=migration.OLD_STATUS_SET_NAME, source=migration.OLD_SOURCE)


def test_the_migration_cleans_the_values_an_old_demo_stored():
    _old_demo()
    migration.forwards(apps, None)
    assert set(ProfileIndicator.objects.values_list("period", "source")) == {("2016", DEMO_SOURCE)}
    assert set(ProfileCategory.objects.values_list("source", flat=True)) == {DEMO_SOURCE}
    assert list(StatusSet.objects.values_list("name", "source")) == [
        ("Ordningsstatus 2016", DEMO_SOURCE)
    ]
    migration.backwards(apps, None)
    assert set(ProfileIndicator.objects.values_list("period", flat=True)) == {"2016 (synthetic)"}


def test_the_migration_keeps_demo_and_a_real_2016_edition_apart():
    _old_demo()
    ProfileIndicator.objects.create(code="smoking_women", name="", period="2016", source="FHI")
    migration.forwards(apps, None)
    assert ProfileIndicator.objects.filter(period="2016 (synthetic)", source=DEMO_SOURCE).exists()
    assert ProfileIndicator.objects.filter(period="2016").count() == 1
