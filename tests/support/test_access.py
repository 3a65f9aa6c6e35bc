"""Every supervision endpoint and page × every role of the cast, and the API's writes.

Decisions recorded here:

* Groups, meetings and the lines of supervision belong to the municipality's managers; a
  helper (signing in with a helper's role) sees the groups they belong to, their meetings and
  their own lines; a group's leader plans meetings and records who came. A member who does not
  lead gets 403 on the attendance list.
* The pool (share-outs and ledger) and the settings are the managers' alone.
* Referrers, the analyst and course providers: 403 up front. Another municipality's
  coordinator: 404 on A's rows, empty lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.support import services
from kobling.support.models import SupervisionEntry, SupervisionSettings
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.support.helpers import make_group

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


SHARED_LISTS = matrix(200, 200, 403, 200, 200, 403, 403)
SHARED_ROWS = matrix(200, 200, 403, 200, 404, 403, 403)
MANAGER_LISTS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGER_ROWS = matrix(200, 200, 403, 403, 404, 403, 403)

PUBLIC = {"support_training_form"}  # signed single-use link from the e-mail

RUN_EVALUATION = matrix(200, 200, 403, 403, 404, 403, 200)
PROVIDER_EVALUATION = matrix(200, 200, 403, 403, 200, 403, 200)

READS = {
    "/api/v1/supervision-settings/": MANAGER_LISTS,
    "/api/v1/supervision-settings/{settings}/": MANAGER_ROWS,
    "/api/v1/supervision-groups/": SHARED_LISTS,
    "/api/v1/supervision-groups/{group}/": SHARED_ROWS,
    "/api/v1/supervision-meetings/": SHARED_LISTS,
    "/api/v1/supervision-meetings/{meeting}/": SHARED_ROWS,
    # Contact A is a member, not the leader: the attendance list is the leader's.
    "/api/v1/supervision-meetings/{meeting}/attendance/": MANAGER_ROWS,
    "/api/v1/supervision-entries/": SHARED_LISTS,
    "/api/v1/supervision-entries/{entry}/": SHARED_ROWS,
    "/api/v1/supervision-pool-runs/": MANAGER_LISTS,
    "/api/v1/supervision-pool-runs/{run}/": MANAGER_ROWS,
    "/api/v1/supervision-pool-lines/": MANAGER_LISTS,
    "/api/v1/supervision-pool-lines/{line}/": MANAGER_ROWS,
    # Training evaluated: the run's municipality and its course provider (their own trainees).
    "/api/v1/course-runs/{course_run}/evaluation/": RUN_EVALUATION,
    # Every manager may see the provider directory: B's coordinator gets B's runs (none here).
    "/api/v1/course-providers/{course_provider}/evaluation/": PROVIDER_EVALUATION,
}

PAGES = {
    "supervision_home": ((), "get", SHARED_LISTS),
    "supervision_group_create": ((), "get", MANAGER_LISTS),
    "supervision_group": (("group",), "get", SHARED_ROWS),
    "supervision_group_edit": (("group",), "get", MANAGER_ROWS),
    "supervision_meeting": (("meeting",), "get", MANAGER_ROWS),
    "supervision_helper": (("helper",), "get", SHARED_ROWS),
    # A group line is corrected through the meeting: refused with a message, redirected.
    "supervision_correct": (("entry",), "post", matrix(302, 302, 403, 403, 404, 403, 403)),
    "supervision_pool": (("programme",), "get", MANAGER_ROWS),
    "support_run_evaluation": (("course_run",), "get", RUN_EVALUATION),
    # A helper's own course form: only the trainee; everyone else does not find it.
    "support_own_training_form": (
        ("enrolment", "form"),
        "get",
        matrix(404, 404, 404, 200, 404, 404, 404),
    ),
    "support_provider_evaluation": (("course_provider",), "get", PROVIDER_EVALUATION),
    # Nothing is due for the cast's run (started a month ago, not completed): a message.
    "support_run_forms_send": (("course_run",), "post", matrix(302, 302, 403, 403, 404, 403, 302)),
}


@pytest.fixture
def ids(cast):
    group, meeting = make_group(cast)
    services.attendance_record(
        meeting=meeting, by=cast.coordinator_a, present={cast.helper_a.pk, cast.helper_a2.pk}
    )
    settings = services.settings_save(
        programme=cast.programme_a, by=cast.coordinator_a, data={}, expected_version=None
    )
    run = services.pool_share_out(
        programme=cast.programme_a,
        year=timezone.localdate().year,
        by=cast.coordinator_a,
        on=timezone.localdate(),
    )
    services.session_record(
        helper=cast.helper_a, by=cast.coordinator_a, date=timezone.localdate(), hours=D(1)
    )
    return {
        "group": group.pk,
        "meeting": meeting.pk,
        "entry": SupervisionEntry.objects.filter(helper=cast.helper_a).order_by("pk").first().pk,
        "settings": settings.pk,
        "run": run.pk,
        "line": run.entries.first().pk,
        "helper": cast.helper_a.pk,
        "programme": cast.programme_a.pk,
        "course_run": cast.run_a.pk,
        "course_provider": cast.provider.pk,
        "enrolment": cast.enrolment_a.pk,
        "form": "before",
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_supervision_read_endpoint_allows_or_denies_each_role(
    cast, api, ids, url, role, expected
):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:200])
    if expected == 200 and role == "coordinator_b" and url.endswith("s/"):
        body = response.json()
        assert body.get("results", body) == []


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_supervision_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_a_helper_sees_only_their_own_lines(cast, api, ids):
    mine = api(cast.contact_user_a).get("/api/v1/supervision-entries/").json()["results"]
    assert {row["helper"] for row in mine} == {cast.helper_a.pk}
    every = api(cast.coordinator_a).get("/api/v1/supervision-entries/").json()["results"]
    assert {row["helper"] for row in every} == {cast.helper_a.pk, cast.helper_a2.pk}
    # Reading lines about a helper is audited.
    assert AuditEntry.objects.filter(
        action="view", object_type="support.supervisionentry", user=cast.contact_user_a
    ).exists()


def test_the_api_creates_a_group_plans_a_meeting_and_records_attendance(cast, api):
    from tests.support.helpers import activate

    activate(cast.helper_a, cast.helper_a2)
    coordinator = api(cast.coordinator_a)
    body = {
        "programme": cast.programme_a.pk,
        "name": "Erfaringsutveksling",
        "leader": cast.contact_user_a.pk,
        "members": [cast.helper_a.pk, cast.helper_a2.pk],
    }
    made = coordinator.post("/api/v1/supervision-groups/", body, format="json")
    assert made.status_code == 201, made.content
    group = made.json()
    assert group["municipality"] == cast.a.pk and group["version"] == 1
    # Another municipality cannot name A's programme; a referrer cannot create.
    assert (
        api(cast.coordinator_b).post("/api/v1/supervision-groups/", body, format="json").status_code
        == 400
    )
    assert (
        api(cast.referrer_a).post("/api/v1/supervision-groups/", body, format="json").status_code
        == 403
    )
    # The leader (contact A) plans a meeting and records who came.
    leader = api(cast.contact_user_a)
    day = str(timezone.localdate() - dt.timedelta(days=2))
    meeting = leader.post(
        "/api/v1/supervision-meetings/", {"group": group["id"], "date": day}, format="json"
    )
    assert meeting.status_code == 201, meeting.content
    assert meeting.json()["minutes"] == 90
    url = f"/api/v1/supervision-meetings/{meeting.json()['id']}/attendance/"
    done = leader.post(url, {"present": [cast.helper_a2.pk]}, format="json")
    assert done.status_code == 200 and done.json() == {"present": [cast.helper_a2.pk]}
    bad = leader.post(url, {"present": [cast.helper_b.pk]}, format="json")
    assert bad.status_code == 400
    # A stale version of the group is refused; the current one passes.
    patch = f"/api/v1/supervision-groups/{group['id']}/"
    assert coordinator.patch(patch, {"name": "Ny"}, format="json").status_code == 400
    assert coordinator.patch(patch, {"name": "Ny", "version": 7}, format="json").status_code == 409
    ok = coordinator.patch(patch, {"name": "Ny", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 2


def test_the_api_records_and_corrects_a_session_and_shares_the_pool_out(cast, api):
    from tests.support.helpers import activate

    activate(cast.helper_a, cast.helper_a2)
    coordinator = api(cast.coordinator_a)
    today = str(timezone.localdate())
    made = coordinator.post(
        "/api/v1/supervision-entries/",
        {"helper": cast.helper_a.pk, "date": today, "hours": "2.00", "supervisor": "Dahl"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "individual"
    assert (
        api(cast.contact_user_a)
        .post(
            "/api/v1/supervision-entries/",
            {"helper": cast.helper_a.pk, "date": today, "hours": "2.00"},
            format="json",
        )
        .status_code
        == 403
    )
    assert (
        api(cast.coordinator_b)
        .post(
            "/api/v1/supervision-entries/",
            {"helper": cast.helper_a.pk, "date": today, "hours": "2.00"},
            format="json",
        )
        .status_code
        == 400
    )
    run = coordinator.post(
        "/api/v1/supervision-pool-runs/", {"programme": cast.programme_a.pk}, format="json"
    )
    assert run.status_code == 201, run.content
    # helper_a2 returned 6, helper_a 4: all 10 to helper_a, the only one who used any.
    assert (run.json()["returned_hours"], run.json()["shared_hours"]) == ("10.00", "10.00")
    again = coordinator.post(
        "/api/v1/supervision-pool-runs/", {"programme": cast.programme_a.pk}, format="json"
    )
    assert again.status_code == 400
    corrected = coordinator.post(f"/api/v1/supervision-entries/{made.json()['id']}/correct/")
    assert corrected.status_code == 201 and corrected.json()["hours"] == "-2.00"
    assert SupervisionSettings.objects.count() == 0
