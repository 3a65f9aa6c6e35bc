"""The API writes through the same services as the pages: 400 with field messages, 409 on a
stale version, submitted assessments refused, and every write audited."""

import pytest
from django.utils import timezone

from kobling.quality.models import SelfAssessment
from kobling.tenancy.models import AuditEntry
from tests.quality.builders import answers

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
URL = "/api/v1/quality/assessments/"


def _rows(default=2, **by_code):
    return [
        {"item_code": code, "score": score, "comment": comment}
        for code, (score, comment) in answers(default, **by_code).items()
    ]


def test_start_change_submit_and_correct_through_the_api(cast, api):
    client = api(cast.coordinator_a)
    response = client.post(
        URL,
        {"programme": cast.programme_a.pk, "year": YEAR - 1, "answers": _rows()[:5]},
        format="json",
    )
    assert response.status_code == 201, response.data
    pk, version = response.data["id"], response.data["version"]
    assert response.data["status"] == "draft" and response.data["scores"]["answered"] == 5
    assert response.data["scores"]["domains"][0]["percent"] == "66.7"

    # Submitting a partly answered draft: 400 naming the missing items.
    response = client.post(f"{URL}{pk}/submit/", {"version": version}, format="json")
    assert response.status_code == 400 and "answers" in response.data
    response = client.patch(
        f"{URL}{pk}/", {"version": version, "answers": _rows(team__roles=0)}, format="json"
    )
    assert response.status_code == 200 and response.data["scores"]["complete"] is True
    assert response.data["scores"]["not_in_place"] == 1

    # Someone else's stale version: 409, nothing saved.
    response = api(cast.admin_a).patch(
        f"{URL}{pk}/",
        {"version": version, "answers": [{"item_code": "team.roles", "score": 3}]},
        format="json",
    )
    assert response.status_code == 409 and response.data["code"] == "conflict"
    assert SelfAssessment.objects.get(pk=pk).answers.get(item_code="team.roles").score == 0

    response = client.post(f"{URL}{pk}/submit/", {"version": version + 1}, format="json")
    assert response.status_code == 200 and response.data["status"] == "submitted"
    # Submitted: no more changes, no deletion.
    response = client.patch(f"{URL}{pk}/", {"version": version + 2, "note": "x"}, format="json")
    assert response.status_code == 400
    assert client.delete(f"{URL}{pk}/").status_code == 400

    response = client.post(f"{URL}{pk}/correct/", {"reason": "Feil i 1.5"}, format="json")
    assert response.status_code == 201 and response.data["supersedes"] == pk
    assert response.data["is_standing"] is False
    assert client.post(f"{URL}{pk}/correct/", {"reason": "Igjen"}, format="json").status_code == 400

    actions = list(
        AuditEntry.objects.filter(object_type="quality.selfassessment")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update", "create"]


def test_the_api_gives_field_messages(cast, api):
    client = api(cast.coordinator_a)
    response = client.post(URL, {"programme": cast.programme_a.pk, "year": YEAR + 1}, format="json")
    assert response.status_code == 400 and "year" in response.data
    response = client.post(
        URL,
        {
            "programme": cast.programme_a.pk,
            "year": YEAR,
            "answers": [{"item_code": "team.roles", "score": 9}, {"item_code": "x", "score": 1}],
        },
        format="json",
    )
    assert response.status_code == 400 and {"team.roles", "x"} <= set(response.data)
    response = api(cast.coordinator_b).post(
        URL, {"programme": cast.programme_a.pk, "year": YEAR}, format="json"
    )
    assert response.status_code == 400 and "programme" in response.data
    client.post(URL, {"programme": cast.programme_a.pk, "year": YEAR}, format="json")
    response = client.post(URL, {"programme": cast.programme_a.pk, "year": YEAR}, format="json")
    assert response.status_code == 400 and "year" in response.data
    response = client.post(f"{URL}{SelfAssessment.objects.get().pk}/correct/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.data
    assert SelfAssessment.objects.count() == 1
