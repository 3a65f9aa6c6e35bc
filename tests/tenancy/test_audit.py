import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.test import Client

from kobling.helpers import services
from kobling.tenancy.audit import audit_log
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_create_update_and_status_change_are_audited_with_the_changes(cast):
    helper = services.helper_create(
        by=cast.coordinator_a,
        municipality=cast.a,
        programme=cast.programme_a,
        data={
            "first_name": "Ola",
            "last_name": "N",
            "email": "ola@example.test",
            "postcode": "6800",
        },
    )
    services.helper_update(
        helper=helper, by=cast.coordinator_a, data={"phone": "12345678"}, expected_version=1
    )
    entries = list(AuditEntry.objects.filter(object_id=str(helper.pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"phone": ["", "12345678"]}
    assert all(
        e.municipality_id == cast.a.pk and e.username == cast.coordinator_a.username
        for e in entries
    )


def test_the_app_cannot_edit_or_delete_audit_entries(cast):
    entry = audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    entry.object_repr = "tampered"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="x")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()


def test_the_database_refuses_raw_updates_and_deletes_of_the_audit_log(cast):
    entry = audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    for sql in (
        "UPDATE tenancy_auditentry SET object_repr = 'x' WHERE id = %s",
        "DELETE FROM tenancy_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.object_repr == str(cast.helper_a)


def test_audit_api_is_read_only(cast, api):
    entry = audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    client = api(cast.admin_a)
    assert client.delete(f"/api/v1/audit/{entry.pk}/").status_code in {403, 405}
    assert client.patch(
        f"/api/v1/audit/{entry.pk}/", {"action": "x"}, format="json"
    ).status_code in {403, 405}
    assert client.post("/api/v1/audit/", {"action": "x"}, format="json").status_code in {403, 405}
    entry.refresh_from_db()
    assert entry.action == "view" and AuditEntry.objects.count() == 1


def test_admin_searches_the_log_of_their_own_municipality_only(cast, api):
    audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    audit_log(user=cast.coordinator_b, action="view", obj=cast.helper_b)
    data = api(cast.admin_a).get("/api/v1/audit/", {"action": "view"}).data
    assert {r["object_id"] for r in data["results"]} == {str(cast.helper_a.pk)}
    data = api(cast.admin_a).get("/api/v1/audit/", {"username": "koordinator@a"}).data
    assert data["count"] == 1


def test_admin_exports_the_log_as_csv_and_the_export_is_itself_audited(cast):
    audit_log(user=cast.coordinator_a, action="view", obj=cast.helper_a)
    audit_log(user=cast.coordinator_b, action="view", obj=cast.helper_b)
    response = signed_in(cast.admin_a).get("/revisjon/", {"export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["at", "username", "municipality_id", "action"]
    assert [r[5] for r in rows[1:]] == [str(cast.helper_a.pk)]
    assert AuditEntry.objects.filter(action="export", username=cast.admin_a.username).exists()


def test_audit_page_is_for_municipal_admins_only(cast):
    assert signed_in(cast.admin_a).get("/revisjon/").status_code == 200
    for role in (
        "coordinator_a",
        "referrer_a",
        "contact_a",
        "coordinator_b",
        "analyst",
        "provider",
    ):
        client = Client()
        client.force_login(cast.roles[role])
        assert client.get("/revisjon/").status_code == 403, role


def test_sign_in_is_audited(cast):
    from tests.factories import PASSWORD

    Client().post(
        "/konto/logg-inn/", {"username": cast.coordinator_a.username, "password": PASSWORD}
    )
    assert AuditEntry.objects.filter(action="login", username=cast.coordinator_a.username).exists()


def test_listing_contacts_records_who_saw_which_records(cast, api):
    api(cast.coordinator_a).get("/api/v1/helpers/")
    entry = AuditEntry.objects.get(action="view", object_type="helpers.helper", municipality=cast.a)
    assert sorted(entry.changes["ids"]) == sorted([str(cast.helper_a.pk), str(cast.helper_a2.pk)])
    assert entry.user == cast.coordinator_a


def test_opening_the_edit_form_is_a_read_and_is_audited(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    client.get(f"/kontakter/{cast.helper_a2.pk}/endre/")
    assert AuditEntry.objects.filter(action="view", object_id=str(cast.helper_a2.pk)).count() == 1
