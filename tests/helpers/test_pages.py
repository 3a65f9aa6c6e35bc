import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kobling.helpers.models import Activity, Helper
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_coordinator_sees_only_their_municipalitys_contacts_in_the_list(cast):
    body = login(cast.coordinator_a).get("/kontakter/").content.decode()
    assert "Astrid" in body and "Anders" in body and "Berit" not in body


def test_training_contact_sees_only_their_own_profile(cast):
    client = login(cast.contact_user_a)
    body = client.get("/kontakter/").content.decode()
    assert "Astrid" in body and "Anders" not in body
    assert client.get(f"/kontakter/{cast.helper_a.pk}/").status_code == 200
    assert client.get(f"/kontakter/{cast.helper_a2.pk}/").status_code == 404
    assert client.get(f"/kontakter/{cast.helper_a.pk}/endre/").status_code == 403


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator_a", 200),
        ("coordinator_b", 404),
        ("referrer_a", 403),
        ("analyst", 403),
        ("provider", 403),
    ],
)
def test_contact_detail_page_answers_each_role(cast, role, status):
    assert login(cast.roles[role]).get(f"/kontakter/{cast.helper_a.pk}/").status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("coordinator_a", 200),
        ("coordinator_b", 200),
        ("referrer_a", 403),
        ("contact_a", 403),
        ("analyst", 403),
        ("provider", 403),
    ],
)
def test_register_pages_are_for_managers_only(cast, role, status):
    client = login(cast.roles[role])
    for url in ("/kontakter/oversikt/", "/kontakter/ny/", "/kontakter/import/"):
        assert client.get(url).status_code == status, url


def test_opening_a_contact_page_is_audited(cast):
    login(cast.coordinator_a).get(f"/kontakter/{cast.helper_a.pk}/")
    entry = AuditEntry.objects.get(action="view", object_id=str(cast.helper_a.pk))
    assert entry.user == cast.coordinator_a and entry.via.startswith("GET web:helper_detail")


def test_register_form_creates_an_applicant(cast):
    response = login(cast.coordinator_a).post(
        "/kontakter/ny/",
        {
            "programme": cast.programme_a.pk,
            "kind": "training_contact",
            "first_name": "Per",
            "last_name": "Pedersen",
            "email": "per@example.test",
            "postcode": "6800",
            "gender": "male",
            "capacity": 1,
            "hourly_rate": "150",
            "activities": [Activity.objects.get(code="walking").pk],
            "availability-TOTAL_FORMS": "1",
            "availability-INITIAL_FORMS": "0",
            "availability-0-weekday": "2",
            "availability-0-start_time": "17:00",
            "availability-0-end_time": "19:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    helper = Helper.objects.get(email="per@example.test")
    assert helper.status == "applicant" and helper.availability.count() == 1


def test_register_form_shows_errors_and_saves_nothing(cast):
    response = login(cast.coordinator_a).post(
        "/kontakter/ny/",
        {
            "programme": cast.programme_a.pk,
            "kind": "training_contact",
            "first_name": "P",
            "last_name": "P",
            "email": "p@example.test",
            "postcode": "68",
            "gender": "male",
            "capacity": 1,
            "hourly_rate": "-1",
            "availability-TOTAL_FORMS": "0",
            "availability-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Helper.objects.filter(email="p@example.test").exists()
    assert "four digits" in response.content.decode()


def test_stale_edit_form_is_refused_with_an_explanation(cast):
    helper = cast.helper_a2
    client = login(cast.coordinator_a)
    form = {
        "kind": "training_contact",
        "first_name": helper.first_name,
        "last_name": helper.last_name,
        "email": helper.email,
        "postcode": "6800",
        "gender": "unspecified",
        "capacity": 2,
        "hourly_rate": "150",
        "version": 1,
        "availability-TOTAL_FORMS": "0",
        "availability-INITIAL_FORMS": "0",
    }
    assert (
        client.post(f"/kontakter/{helper.pk}/endre/", {**form, "phone": "111"}).status_code == 302
    )
    response = client.post(f"/kontakter/{helper.pk}/endre/", {**form, "phone": "222"})
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    helper.refresh_from_db()
    assert helper.phone == "111"


def test_status_page_moves_a_contact_and_explains_refusals(cast):
    client = login(cast.coordinator_a)
    url = f"/kontakter/{cast.helper_a2.pk}/status/"
    assert client.post(url, {"to_status": "screening", "version": 1}).status_code == 302
    cast.helper_a2.refresh_from_db()
    assert cast.helper_a2.status == "screening"


def _page_queries(user, url):
    client = login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_contact_list_page_uses_a_fixed_number_of_queries(cast):
    few = _page_queries(cast.coordinator_a, "/kontakter/")
    for i in range(30):
        h = f.HelperFactory(programme=cast.programme_a)
        h.activities.set(
            Activity.objects.filter(code__in=["walking", "dance"] if i % 2 else ["hiking"])
        )
    assert _page_queries(cast.coordinator_a, "/kontakter/") == few


def test_overview_page_uses_a_fixed_number_of_queries(cast):
    few = _page_queries(cast.coordinator_a, "/kontakter/oversikt/")
    for _ in range(30):
        f.HelperFactory(programme=cast.programme_a, home_area=f"Omr{_ % 5}")
    assert _page_queries(cast.coordinator_a, "/kontakter/oversikt/") == few


def test_pages_work_in_english_and_norwegian(cast):
    client = login(cast.coordinator_a)
    client.cookies["django_language"] = "en"
    assert "Training contacts" in client.get("/kontakter/").content.decode()
