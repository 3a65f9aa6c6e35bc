import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kobling.helpers.models import Activity, Helper
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def payload(cast, **extra):
    data = {
        "municipality": cast.a.pk,
        "programme": cast.programme_a.pk,
        "first_name": "Siri",
        "last_name": "Solberg",
        "email": "siri@example.test",
        "postcode": "6800",
        "home_area": "Sentrum",
        "activities": ["walking", "swimming"],
        "target_groups": ["mental_health"],
        "availability": [{"weekday": 1, "start_time": "17:00", "end_time": "19:00"}],
        "languages": ["nb", "en"],
        "capacity": 2,
        "hourly_rate": "160.00",
    }
    data.update(extra)
    return data


def test_coordinator_registers_a_contact_with_activities_and_availability(cast, api):
    response = api(cast.coordinator_a).post("/api/v1/helpers/", payload(cast), format="json")
    assert response.status_code == 201, response.data
    helper = Helper.objects.get(pk=response.data["id"])
    assert helper.status == "applicant"
    assert sorted(a.code for a in helper.activities.all()) == ["swimming", "walking"]
    assert [str(w.start_time) for w in helper.availability.all()] == ["17:00:00"]
    assert response.data["version"] == 1
    assert AuditEntry.objects.filter(
        action="create", object_id=str(helper.pk), municipality=cast.a
    ).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "12345"),
        ("national_id", "12345678901"),
        ("capacity", -1),
        ("hourly_rate", "-5"),
        ("activities", ["underwater_hockey"]),
        ("email", "not-an-email"),
        ("contract_end", "2026-01-01"),
        ("availability", [{"weekday": 1, "start_time": "19:00", "end_time": "17:00"}]),
    ],
)
def test_bad_input_gives_400_with_the_field_named_and_saves_nothing(cast, api, field, value):
    extra = {field: value}
    if field == "contract_end":
        extra["contract_start"] = "2026-02-01"
    before = Helper.objects.count()
    response = api(cast.coordinator_a).post(
        "/api/v1/helpers/", payload(cast, **extra), format="json"
    )
    assert response.status_code == 400
    assert field in response.data, response.data
    assert Helper.objects.count() == before


def test_field_errors_come_in_norwegian_when_asked(cast, api):
    response = api(cast.coordinator_a).post(
        "/api/v1/helpers/", payload(cast, postcode="12"), format="json", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert response.status_code == 400
    assert "fire sifre" in str(response.data["postcode"])


def test_two_coordinators_editing_at_once_cannot_overwrite_each_other(cast, api):
    url = f"/api/v1/helpers/{cast.helper_a2.pk}/"
    first = api(cast.coordinator_a).patch(url, {"phone": "40000001", "version": 1}, format="json")
    assert first.status_code == 200 and first.data["version"] == 2
    second = api(cast.admin_a).patch(url, {"phone": "40000002", "version": 1}, format="json")
    assert second.status_code == 409
    cast.helper_a2.refresh_from_db()
    assert cast.helper_a2.phone == "40000001"


def test_update_without_version_is_refused(cast, api):
    response = api(cast.coordinator_a).patch(
        f"/api/v1/helpers/{cast.helper_a2.pk}/", {"phone": "1"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.data


def test_reading_a_contact_is_audited_with_who_what_and_where(cast, api):
    api(cast.coordinator_a).get(f"/api/v1/helpers/{cast.helper_a.pk}/")
    entry = AuditEntry.objects.filter(action="view", object_id=str(cast.helper_a.pk)).get()
    assert entry.user == cast.coordinator_a
    assert entry.municipality == cast.a
    assert entry.object_type == "helpers.helper"
    assert "helper-detail" in entry.via


def test_status_change_rules_are_enforced_through_the_api(cast, api):
    url = f"/api/v1/helpers/{cast.helper_a2.pk}/status/"
    response = api(cast.coordinator_a).post(url, {"to_status": "active"}, format="json")
    assert response.status_code == 400 and "version" in response.data  # required
    response = api(cast.coordinator_a).post(
        url, {"to_status": "active", "version": 1}, format="json"
    )
    assert response.status_code == 400 and "to_status" in response.data
    response = api(cast.coordinator_a).post(
        url, {"to_status": "screening", "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.data["status"] == "screening"
    history = api(cast.coordinator_a).get(f"/api/v1/helpers/{cast.helper_a2.pk}/history/").data
    assert [h["to_status"] for h in history] == ["screening"]


def test_list_pages_with_results_and_next(cast, api):
    for _ in range(3):
        f.HelperFactory(programme=cast.programme_a)
    data = api(cast.coordinator_a).get("/api/v1/helpers/?page_size=2").data
    assert len(data["results"]) == 2 and data["next"] and data["count"] == 5


def test_overview_counts_the_register(cast, api):
    f.make_active(cast.helper_a)
    f.make_active(cast.helper_a2)
    cast.helper_a2.is_unconfirmed = True
    cast.helper_a2.save()
    data = api(cast.coordinator_a).get("/api/v1/helpers/overview/").data
    assert data["total"] == 2
    assert data["by_status"]["active"] == 2
    assert data["available"] == 1
    assert data["unconfirmed"] == 1
    assert data["free_capacity"] == cast.helper_a.capacity


def _count_queries(client, url):
    # A fresh user object per request, as in production (roles are cached per request).
    client.force_authenticate(
        type(client.handler._force_user).objects.get(pk=client.handler._force_user.pk)
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_helper_list_endpoint_uses_a_fixed_number_of_queries(cast, api):
    client = api(cast.coordinator_a)
    few = _count_queries(client, "/api/v1/helpers/")
    for i in range(25):
        h = f.HelperFactory(programme=cast.programme_a)
        h.activities.set(
            Activity.objects.filter(code__in=["walking", "running"] if i % 2 else ["swimming"])
        )
        h.availability.create(weekday=i % 7, start_time="10:00", end_time="12:00")
    assert _count_queries(client, "/api/v1/helpers/") == few
