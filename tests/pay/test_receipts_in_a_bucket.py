"""KOBLING_FILE_STORE=s3: a receipt goes into the private bucket of an S3-compatible server (a
real one on loopback, tests/s3.py), not onto the disk; it has no URL of any kind; it comes back
only through the scoped, audited receipt endpoint, and not to another municipality."""

from __future__ import annotations

import pytest

from kobling.core.uploads import private_files
from kobling.pay import services
from kobling.tenancy.models import AuditEntry
from tests.pay import builders as b
from tests.s3 import object_keys, s3_client

pytestmark = pytest.mark.django_db


def test_a_receipt_is_kept_in_the_private_bucket_and_served_only_by_the_scoped_view(
    world, api, s3_endpoint, s3_bucket, tmp_path
):
    expense = services.expense_create(
        helper=world.cast.helper_a,
        by=world.cast.contact_user_a,
        date=b.day(world.m1, 3),
        category="transport",
        amount="120",
        receipt=b.receipt("pdf"),
    )
    name = expense.receipt.name
    assert name.startswith(f"receipts/{expense.municipality_id}/")
    assert object_keys(s3_endpoint, s3_bucket) == [name]
    assert not (tmp_path / "media").exists()
    # Written private: no grant beyond the bucket's owner.
    acl = s3_client(s3_endpoint).get_object_acl(Bucket=s3_bucket, Key=name)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    with pytest.raises(ValueError, match="no public URL"):
        private_files.url(name)

    response = api(world.cast.coordinator_a).get(f"/api/v1/expenses/{expense.pk}/receipt")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b.pdf_bytes()
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.filter(
        action="view", object_type="pay.expense", object_id=str(expense.pk), changes__receipt=True
    ).exists()
    outsider = api(world.cast.coordinator_b).get(f"/api/v1/expenses/{expense.pk}/receipt")
    assert outsider.status_code == 404

    # A second receipt never replaces the first, even under the same name.
    again = private_files.save(name, expense.receipt.file)
    assert again != name and len(object_keys(s3_endpoint, s3_bucket)) == 2
