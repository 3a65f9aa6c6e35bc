"""The API's writes end to end: the leader asks, the adviser links, the coach orders and logs,
the scale series comes back; stale versions 409, missing versions 400, others' rows 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_an_assignment_runs_through_the_api(hefa, api):
    made = api(hefa.leader_a).post(
        "/api/v1/workplace-assignments/",
        {"workplace": hefa.workplace_a.pk, "request": "Omstilling"},
        format="json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    base = f"/api/v1/workplace-assignments/{pk}/"
    # Leader A2 cannot ask for workplace A; the coach cannot link.
    other = api(hefa.leader_a2).post(
        "/api/v1/workplace-assignments/",
        {"workplace": hefa.workplace_a.pk, "request": "x"},
        format="json",
    )
    # A workplace they may not see is unknown to them (400), as one that does not exist is:
    # the answer does not tell that the id is taken, here or in another municipality.
    assert other.status_code == 400 and "workplace" in other.json()
    for who, workplace in ((hefa.adviser_b, hefa.workplace_a.pk), (hefa.adviser_b, 10**9)):
        unknown = api(who).post(
            "/api/v1/workplace-assignments/",
            {"workplace": workplace, "request": "x"},
            format="json",
        )
        assert unknown.status_code == 400
        assert unknown.json()["workplace"] == [f'Invalid pk "{workplace}" - object does not exist.']
    link = {"coach": hefa.coach_a.pk, "co_coach": "BHT"}
    assert api(hefa.coach_user_a).post(f"{base}link/", {**link, "version": 1}).status_code == 403
    assert api(hefa.adviser_a).post(f"{base}link/", link, format="json").status_code == 400
    linked = api(hefa.adviser_a).post(f"{base}link/", {**link, "version": 1}, format="json")
    assert linked.status_code == 200 and linked.json()["status"] == "linked"
    order = {"goals": "Mål", "target_low": 8, "target_high": 9, "planned_meetings": 7}
    stale = api(hefa.coach_user_a).post(f"{base}order/", {**order, "version": 1}, format="json")
    assert stale.status_code == 409
    ordered = api(hefa.coach_user_a).post(f"{base}order/", {**order, "version": 2}, format="json")
    assert ordered.json()["target"] == "8–9"
    today = timezone.localdate()
    for days, low, high in ((20, 4, 5), (6, 6, 7)):
        logged = api(hefa.coach_user_a).post(
            "/api/v1/workplace-meetings/",
            {
                "assignment": pk,
                "held_on": str(today - dt.timedelta(days=days)),
                "participants": "leder, coach",
                "scale_low": low,
                "scale_high": high,
                "notes": "Notat",
            },
            format="json",
        )
        assert logged.status_code == 201, logged.content
    meeting = logged.json()
    wrong = api(hefa.coach_user_a).patch(
        f"/api/v1/workplace-meetings/{meeting['id']}/", {"homework": "x"}, format="json"
    )
    assert wrong.status_code == 400 and "version" in wrong.json()
    fixed = api(hefa.coach_user_a).patch(
        f"/api/v1/workplace-meetings/{meeting['id']}/",
        {"homework": "Les", "version": meeting["version"]},
        format="json",
    )
    assert fixed.status_code == 200 and fixed.json()["homework"] == "Les"
    scales = api(hefa.leader_a).get(f"{base}scales/").json()
    assert (scales["target_low"], scales["target_high"]) == (8, 9)
    assert [(p["low"], p["high"]) for p in scales["points"]] == [(4, 5), (6, 7)]
    # Another coach cannot log on it (to them it is unknown: 400, as for another
    # municipality's adviser), nor can the leader, who may see it (403).
    body = {"assignment": pk, "held_on": str(today), "participants": "x", "scale_low": 5}
    for outsider in (hefa.coach_user_a2, hefa.adviser_b):
        refused = api(outsider).post("/api/v1/workplace-meetings/", body)
        assert refused.status_code == 400 and "assignment" in refused.json()
    assert api(hefa.leader_a).post("/api/v1/workplace-meetings/", body).status_code == 403
    closed = api(hefa.coach_user_a).post(
        f"{base}decide/", {"decision": "close", "version": ordered.json()["version"] + 1}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    evaluated = api(hefa.leader_a).post(f"{base}evaluate/", {"reaction": 4, "usefulness": 5})
    assert evaluated.status_code == 200 and evaluated.json()["usefulness"] == 5
