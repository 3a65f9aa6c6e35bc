import os
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from kobling.demo.loader import DEMO_PASSWORD, load_demo
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.models import Municipality, User

pytestmark = pytest.mark.django_db

REQUIRED_LOGINS = [
    "koordinator@fjordvik.demo",
    "koordinator@nordby.demo",
    "henviser@fjordvik.demo",
    "kontakt1@fjordvik.demo",
    "kurs@fjordvik.demo",
    "analytiker@kobling.demo",
]


def _fingerprint():
    return list(
        Helper.objects.order_by("municipality__code", "email").values_list(
            "municipality__name",
            "email",
            "first_name",
            "last_name",
            "status",
            "capacity",
            "postcode",
            "is_unconfirmed",
        )
    )


def test_demo_has_both_municipalities_with_contacts_in_every_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo()
    for name in ("Fjordvik", "Nordby"):
        municipality = Municipality.objects.get(name=name)
        assert municipality.programmes.filter(name="Treningskontakt").exists()
        # The training contacts (the workplace coaches of the coaching demo are helpers too).
        helpers = Helper.objects.filter(municipality=municipality, kind="training_contact")
        assert 15 <= helpers.count() <= 40
        assert set(helpers.values_list("status", flat=True)) == set(HelperStatus.values)
        assert helpers.filter(status="active", is_unconfirmed=True).exists()
    for username in REQUIRED_LOGINS:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username
    assert Helper.objects.get(user__username="kontakt1@fjordvik.demo").status == "active"


class _Undo(Exception):
    pass


def test_demo_is_deterministic(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    try:
        with transaction.atomic():
            load_demo()
            first = _fingerprint()
            raise _Undo
    except _Undo:
        pass
    assert not Municipality.objects.exists()
    load_demo()
    assert _fingerprint() == first


def test_demo_command_loads_only_into_an_empty_database(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--if-empty", verbosity=0)
    count = Helper.objects.count()
    call_command("demo", "--if-empty", verbosity=0)
    assert Helper.objects.count() == count
    with pytest.raises(CommandError):
        call_command("demo", verbosity=0)


def test_demo_is_refused_in_a_production_configuration(settings):
    settings.DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("demo", verbosity=0)
    assert not Municipality.objects.exists()


def test_production_settings_refuse_the_demo_command_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(
        KOBLING_ENV="production",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="x",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    manage = [sys.executable, "-m", "kobling.manage"]
    subprocess.run(
        [*manage, "migrate", "-v", "0"], env=env, check=True, capture_output=True, timeout=300
    )
    # A database that only migrate made (not the test runner) has the shared cache's table.
    with sqlite3.connect(tmp_path / "prod.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "kobling_shared_cache" in tables
    result = subprocess.run([*manage, "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "production" in result.stderr


def test_demo_names_are_unique_within_a_municipality_and_every_login_shows_its_role(settings):
    """Two participants called "Astrid Hansen" in Fjordvik could be mixed up in a demo; the
    course-provider staff were listed without a role (they have no membership)."""
    from collections import Counter

    from kobling.demo.loader import demo_users_summary
    from kobling.referrals.models import Participant

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo()
    for municipality in Municipality.objects.all():
        names = list(
            Helper.objects.filter(municipality=municipality).values_list("first_name", "last_name")
        ) + list(
            Participant.objects.filter(municipality=municipality).values_list(
                "first_name", "last_name"
            )
        )
        repeated = [name for name, n in Counter(names).items() if n > 1]
        assert repeated == [], (municipality.name, repeated)
    roles = {username: role for username, _name, role in demo_users_summary()}
    assert all(roles.values()), [u for u, r in roles.items() if not r]
    assert "Vestland idrettskrets" in roles["kurs@fjordvik.demo"]
    assert "Fjordvik DPS" in roles["kurs@dps.demo"]


def test_the_footer_outside_production_says_demo_and_test_not_development(client, settings):
    """A municipality trying the demo read "Kobling · development" under every page."""
    html = client.get("/konto/logg-inn/").content.decode()
    assert "development" not in html
    assert "Demo and test version: not for real personal data" in html
    settings.KOBLING_ENV = "production"
    assert "Demo and test" not in client.get("/konto/logg-inn/").content.decode()
