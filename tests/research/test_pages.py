"""The research-export pages as an administrator uses them: the form shows how many have
consented per programme, the POST downloads the ZIP, a refusal explains itself, and the list and
record show what was delivered."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.urls import reverse

from kobling.research.models import ResearchExport
from tests.conftest import signed_in
from tests.research.test_access import body, consenting, record

pytestmark = pytest.mark.django_db


def test_the_form_shows_the_consenting_participants_per_programme(cast):
    consenting(cast.programme_a, 3)
    page = signed_in(cast.admin_a).get(reverse("web:research_export_create")).content.decode()
    assert "3 participants have consented to research" in page
    assert "(Aby)" in page and "(Bestad)" not in page  # only the programmes of A


def test_posting_the_form_downloads_the_zip_and_records_the_export(cast):
    consenting(cast.programme_a, 2)
    response = signed_in(cast.admin_a).post(
        reverse("web:research_export_create"), body(cast.programme_a)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    made = ResearchExport.objects.get()
    assert f'filename="kobling-research-{made.pk}.zip"' in response["Content-Disposition"]
    assert hashlib.sha256(response.content).hexdigest() == made.sha256
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "data_dictionary.csv" in archive.namelist()
    # A second download is a second export.
    signed_in(cast.admin_a).post(reverse("web:research_export_create"), body(cast.programme_a))
    assert ResearchExport.objects.count() == 2


def test_the_form_refuses_clearly_when_nobody_has_consented(cast):
    response = signed_in(cast.admin_a).post(
        reverse("web:research_export_create"), body(cast.programme_a)
    )
    assert response.status_code == 200
    assert "Nothing was exported" in response.content.decode()
    assert not ResearchExport.objects.exists()


def test_the_form_requires_every_field(cast):
    consenting(cast.programme_a)
    data = {k: v for k, v in body(cast.programme_a).items() if k != "approval_reference"}
    response = signed_in(cast.admin_a).post(reverse("web:research_export_create"), data)
    assert response.status_code == 200
    assert "approval_reference" in response.context["form"].errors
    assert not ResearchExport.objects.exists()


def test_the_list_and_the_record_show_what_was_delivered(cast):
    made = record(cast.a, cast.programme_a, "Livskvalitet hos eldre")
    client = signed_in(cast.admin_a)
    listing = client.get(reverse("web:research_export_list")).content.decode()
    assert "Livskvalitet hos eldre" in listing and "REK 1" in listing
    detail = client.get(reverse("web:research_export_detail", args=[made.pk])).content.decode()
    assert made.sha256 in detail and "participants.csv" in detail
    assert cast.programme_a.name in detail
