"""The access-log review's thresholds per municipality (its privacy officer sets them; the
instance's settings are the default) and the review records in the API (issue 16)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.core import access_review
from kobling.core.models import AccessReview, AccessReviewRules
from kobling.tenancy.choices import Role
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.core.test_access_review import entry, period, rows_of
from tests.followup import scenario as s

pytestmark = pytest.mark.django_db

URL = reverse("web:access_review")
RULES = {
    "rules-burst_persons": "3",
    "rules-burst_minutes": "10",
    "rules-night_start": "22:00",
    "rules-night_end": "07:00",
    "rules-grace_days": "30",
}


def test_without_own_thresholds_the_instances_apply(cast, settings):
    settings.KOBLING_REVIEW_BURST_PERSONS = 42
    rules = access_review.rules_for(cast.a.pk)
    assert rules.burst_persons == 42
    assert rules.night_start == dt.time(23, 0)


def test_the_admin_sets_thresholds_on_the_page_and_the_flags_follow_them(cast):
    stranger = s.waiting(cast.programme_a, first_name="Sven")
    # 22:30 is not night by the instance's 23:00, but is by the municipality's own 22:00.
    entry(cast.coordinator_a, stranger, when=late())
    client = signed_in(cast.admin_a)
    assert "night" not in flags_of(client)

    response = client.post(URL + "?" + query(), {**RULES, "rules-version": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    own = AccessReviewRules.objects.get(municipality=cast.a)
    assert (own.burst_persons, own.night_start, own.grace_days, own.version) == (
        3,
        dt.time(22, 0),
        30,
        1,
    )
    assert AuditEntry.objects.filter(
        action="create", object_type="core.accessreviewrules", username=cast.admin_a.username
    ).exists()
    assert "night" in flags_of(client)
    # Municipality B keeps the instance's thresholds.
    assert access_review.rules_for(cast.b.pk).night_start == dt.time(23, 0)

    # A second save needs the version read; a stale one is refused and changes nothing.
    stale = client.post(URL, {**RULES, "rules-grace_days": "60", "rules-version": "0"})
    assert stale.status_code == 200 and "someone else" in stale.content.decode()
    saved = client.post(URL, {**RULES, "rules-grace_days": "60", "rules-version": "1"})
    assert saved.status_code == 302
    own.refresh_from_db()
    assert (own.grace_days, own.version) == (60, 2)
    change = AuditEntry.objects.get(action="update", object_type="core.accessreviewrules")
    assert change.changes == {"grace_days": ["30", "60"]}


def test_bad_thresholds_get_a_message_and_save_nothing(cast):
    client = signed_in(cast.admin_a)
    response = client.post(
        URL, {**RULES, "rules-night_end": "22:00", "rules-burst_persons": "1", "rules-version": "0"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2" in page and not AccessReviewRules.objects.exists()
    response = client.post(URL, {**RULES, "rules-night_end": "22:00", "rules-version": "0"})
    assert "another time than it starts" in response.content.decode()
    assert not AccessReviewRules.objects.exists()


def test_only_the_municipalitys_admin_sets_them(cast):
    admin_b = f.member(f.UserFactory(username="admin@b.test"), cast.b, Role.MUNICIPAL_ADMIN)
    with pytest.raises(Exception, match="administrator"):
        access_review.access_review_rules_set(
            municipality=cast.a,
            by=admin_b,
            version=0,
            burst_persons=5,
            burst_minutes=5,
            night_start=dt.time(22),
            night_end=dt.time(6),
            grace_days=10,
        )
    assert (
        signed_in(cast.coordinator_a).post(URL, {**RULES, "rules-version": "0"}).status_code == 403
    )
    assert not AccessReviewRules.objects.exists()


def test_the_api_reads_and_sets_thresholds_with_the_version(cast, api):
    client = api(cast.admin_a)
    [row] = client.get("/api/v1/access-review-rules/").json()
    assert row["municipality"] == cast.a.pk and row["own"] is False and row["version"] == 0
    body = {
        "burst_persons": 5,
        "burst_minutes": 20,
        "night_start": "22:00",
        "night_end": "06:30",
        "grace_days": 100,
    }
    url = f"/api/v1/access-review-rules/{cast.a.pk}/"
    assert client.put(url, body, format="json").status_code == 400  # no version
    set_ = client.put(url, {**body, "version": 0}, format="json")
    assert set_.status_code == 200, set_.json()
    assert set_.json()["own"] is True and set_.json()["version"] == 1
    assert client.put(url, {**body, "version": 0}, format="json").status_code == 409
    assert client.get(url).json()["grace_days"] == 100
    # Another municipality's, or a non-admin: nothing to see.
    assert client.get(f"/api/v1/access-review-rules/{cast.b.pk}/").status_code == 404
    assert api(cast.coordinator_a).get("/api/v1/access-review-rules/").status_code == 403


def test_the_api_lists_and_records_monthly_reviews(cast, api):
    client = api(cast.admin_a)
    month = timezone.localdate().replace(day=1)
    made = client.post(
        "/api/v1/access-reviews/",
        {
            "municipality": cast.a.pk,
            "month": month.isoformat(),
            "findings": "Ingen funn.",
            "flags_checked": ["night"],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["reviewed_by"] == cast.admin_a.username
    again = client.post(
        "/api/v1/access-reviews/",
        {"municipality": cast.a.pk, "month": month.isoformat(), "findings": "x"},
        format="json",
    )
    assert again.status_code == 400 and "already been reviewed" in str(again.json())
    listed = client.get("/api/v1/access-reviews/").json()["results"]
    assert [r["findings"] for r in listed] == ["Ingen funn."]
    admin_b = f.member(f.UserFactory(username="admin@b.test"), cast.b, Role.MUNICIPAL_ADMIN)
    assert api(admin_b).get("/api/v1/access-reviews/").json()["results"] == []
    refused = api(admin_b).post(
        "/api/v1/access-reviews/",
        {"municipality": cast.a.pk, "month": month.isoformat(), "findings": "x"},
        format="json",
    )
    assert refused.status_code == 400 and AccessReview.objects.count() == 1
    assert api(cast.coordinator_a).get("/api/v1/access-reviews/").status_code == 403


# --- helpers -----------------------------------------------------------------------------------


def late() -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(22, 30), tzinfo=timezone.get_current_timezone())


def query() -> str:
    from urllib.parse import urlencode

    return urlencode(period())


def flags_of(client) -> set[str]:  # noqa: ANN001
    rows = rows_of(client.get(URL, period()))
    return {flag for row in rows for flag in row.flags}
