import pytest
from django.test import Client

from kobling.tenancy.models import AuditEntry, Programme
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_admin_changes_the_check_in_interval_and_it_is_audited(cast, api):
    response = api(cast.admin_a).patch(
        f"/api/v1/municipalities/{cast.a.pk}/", {"checkin_interval_weeks": 6}, format="json"
    )
    assert response.status_code == 200 and response.data["checkin_interval_weeks"] == 6
    assert AuditEntry.objects.filter(
        action="update", object_type="tenancy.municipality", changes__checkin_interval_weeks=[8, 6]
    ).exists()


@pytest.mark.parametrize("value", [0, -2])
def test_check_in_interval_below_one_week_is_refused(cast, api, value):
    response = api(cast.admin_a).patch(
        f"/api/v1/municipalities/{cast.a.pk}/", {"checkin_interval_weeks": value}, format="json"
    )
    assert response.status_code == 400 and "checkin_interval_weeks" in response.data
    cast.a.refresh_from_db()
    assert cast.a.checkin_interval_weeks == 8


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator_a", 403), ("coordinator_b", 403), ("referrer_a", 403), ("contact_a", 403)],
)
def test_only_the_municipalitys_admin_changes_its_settings(cast, api, role, status):
    response = api(cast.roles[role]).patch(
        f"/api/v1/municipalities/{cast.a.pk}/", {"checkin_interval_weeks": 2}, format="json"
    )
    assert response.status_code == status
    cast.a.refresh_from_db()
    assert cast.a.checkin_interval_weeks == 8


def test_admin_starts_a_second_programme_and_names_must_be_unique(cast, api):
    body = {"municipality": cast.a.pk, "kind": "frisklivsresept", "name": "Frisklivsresept"}
    assert api(cast.admin_a).post("/api/v1/programmes/", body, format="json").status_code == 201
    again = api(cast.admin_a).post("/api/v1/programmes/", body, format="json")
    assert again.status_code == 400
    assert Programme.objects.filter(municipality=cast.a).count() == 2


def test_admin_cannot_create_a_programme_in_another_municipality(cast, api):
    response = api(cast.admin_a).post(
        "/api/v1/programmes/",
        {"municipality": cast.b.pk, "kind": "frisklivsresept", "name": "X"},
        format="json",
    )
    assert response.status_code == 400 and "municipality" in response.data


def test_settings_page_saves_the_interval(cast):
    client = signed_in(cast.admin_a)
    assert client.get("/innstillinger/").status_code == 200
    prefix = f"m{cast.a.pk}"
    response = client.post(
        "/innstillinger/",
        {
            "form": prefix,
            f"{prefix}-checkin_interval_weeks": 4,
            f"{prefix}-checkin_reminder_days": 5,
            f"{prefix}-checkin_lapse_days": 5,
            f"{prefix}-contact_email": "post@a.test",
        },
    )
    assert response.status_code == 302
    cast.a.refresh_from_db()
    assert (cast.a.checkin_interval_weeks, cast.a.checkin_reminder_days) == (4, 5)


def test_settings_page_is_for_admins_only(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    assert client.get("/innstillinger/").status_code == 403


def test_a_programme_takes_its_kinds_course_settings_and_the_admin_changes_them(cast, api):
    """The course settings through the API: a new programme gets its kind's, a change is
    audited, and renewals without their length are refused with the reason."""
    client = api(cast.admin_a)
    body = {"municipality": cast.a.pk, "kind": "frisklivsresept", "name": "Frisklivsresept"}
    created = client.post("/api/v1/programmes/", body, format="json")
    assert created.status_code == 201, created.data
    assert {k: created.data[k] for k in ("delivery", "period_weeks", "renewals_max")} == {
        "delivery": "group",
        "period_weeks": 12,
        "renewals_max": 1,
    }
    assert created.data["uses_conversations"] is True
    url = f"/api/v1/programmes/{created.data['id']}/"

    without = client.patch(url, {"period_weeks": 16}, format="json")
    assert without.status_code == 400 and "version" in without.data
    version = created.data["version"]
    changed = client.patch(
        url, {"period_weeks": 16, "renewals_max": 2, "version": version}, format="json"
    )
    assert changed.status_code == 200, changed.data
    assert (changed.data["period_weeks"], changed.data["renewals_max"]) == (16, 2)
    # Based on the version before that change: refused, nothing saved.
    stale = client.patch(url, {"period_weeks": 20, "version": version}, format="json")
    assert stale.status_code == 409
    assert Programme.objects.get(pk=created.data["id"]).period_weeks == 16
    entry = AuditEntry.objects.filter(
        object_type="tenancy.programme", object_id=str(created.data["id"]), action="update"
    ).latest("pk")
    assert entry.changes["period_weeks"] == [12, 16]

    refused = client.patch(
        url, {"renewal_weeks": None, "version": changed.data["version"]}, format="json"
    )
    assert refused.status_code == 400 and "renewal_weeks" in refused.data
    assert Programme.objects.get(pk=created.data["id"]).renewal_weeks == 12


def test_the_settings_page_changes_a_programmes_course_settings(cast):
    programme = cast.programme_a
    client = signed_in(cast.admin_a)
    page = client.get("/innstillinger/").content.decode()
    assert f'value="p{programme.pk}"' in page
    assert f'type="hidden" name="p{programme.pk}-version" value="{programme.version}"' in page
    key = f"p{programme.pk}"
    fields = {
        "form": key,
        f"{key}-is_active": "on",
        f"{key}-delivery": "one_to_one",
        f"{key}-period_weeks": "26",
        f"{key}-renewals_max": "1",
        f"{key}-renewal_weeks": "",
        f"{key}-review_interval_weeks": "6",
        f"{key}-attendance_late_days": "10",
        f"{key}-version": str(programme.version),
    }
    refused = client.post("/innstillinger/", fields)
    assert refused.status_code == 200
    assert "Say how many weeks a renewal adds" in refused.content.decode()
    programme.refresh_from_db()
    assert programme.period_weeks is None

    saved = client.post("/innstillinger/", {**fields, f"{key}-renewal_weeks": "8"})
    assert saved.status_code == 302
    # The same form sent again is stale now: refused with the reason, nothing saved.
    stale = client.post(
        "/innstillinger/", {**fields, f"{key}-period_weeks": "30", f"{key}-renewal_weeks": "8"}
    )
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    programme.refresh_from_db()
    assert (programme.period_weeks, programme.renewals_max, programme.renewal_weeks) == (26, 1, 8)
    assert programme.attendance_late_days == 10
    assert AuditEntry.objects.filter(
        object_type="tenancy.programme", object_id=str(programme.pk), action="update"
    ).exists()
