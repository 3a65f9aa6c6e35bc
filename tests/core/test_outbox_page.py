"""The outbox page and API list: what was sent to whom and what failed, scoped to the
municipality — another municipality's coordinator never sees the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(cast):
    in_a = outbox.message_queue(
        purpose="test-letter",
        subject="letter:1",
        recipient="ola@aby.test",
        municipality_id=cast.a.pk,
        enqueue=False,
    )
    OutboxMessage.objects.filter(pk=in_a.pk).update(
        status="failed", attempts=2, last_error="SMTPDataError: 451 try later"
    )
    national = outbox.message_queue(
        purpose="test-letter", subject="letter:2", recipient="post@unit.test", enqueue=False
    )
    return in_a, national


def test_the_coordinator_sees_what_was_sent_and_what_failed_without_bodies(cast, sent):
    page = signed_in(cast.coordinator_a).get(reverse("web:outbox_list"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "ola@aby.test" in html and "451 try later" in html
    assert "post@unit.test" not in html  # national, not the municipality's


def test_a_coordinator_of_another_municipality_sees_none_of_the_rows(cast, sent):
    page = signed_in(cast.coordinator_b).get(reverse("web:outbox_list"))
    listed = signed_in(cast.coordinator_b).get("/api/v1/outbox/")

    assert page.status_code == 200 and "ola@aby.test" not in page.content.decode()
    assert listed.status_code == 200 and listed.json()["results"] == []


def test_the_api_lists_the_municipalitys_rows_for_its_coordinator(cast, sent, api):
    rows = api(cast.coordinator_a).get("/api/v1/outbox/").json()["results"]

    assert [(r["recipient"], r["status"], r["attempts"]) for r in rows] == [
        ("ola@aby.test", "failed", 2)
    ]
    assert "body" not in rows[0]


def test_the_national_analyst_sees_only_the_national_e_mails(cast, sent, api):
    rows = api(cast.analyst).get("/api/v1/outbox/").json()["results"]

    assert [r["recipient"] for r in rows] == ["post@unit.test"]


def test_people_who_do_not_run_the_programme_are_refused(cast, sent):
    for user in (cast.referrer_a, cast.contact_user_a, cast.provider_user):
        assert signed_in(user).get(reverse("web:outbox_list")).status_code == 403


def test_the_coordinators_menu_leads_to_the_outbox(cast):
    home = signed_in(cast.coordinator_a).get("/").content.decode()

    assert reverse("web:outbox_list") in home


def test_the_page_filters_by_status(cast, sent):
    page = signed_in(cast.coordinator_a).get(reverse("web:outbox_list") + "?status=sent")

    assert "ola@aby.test" not in page.content.decode()
