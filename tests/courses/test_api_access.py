"""Allow/deny for every course endpoint and every role of the cast. Invisible → 404, visible but
not allowed → 403; roles that never see courses get 403 up front."""

import datetime as dt

import pytest
from django.utils import timezone

from kobling.courses.models import CourseRun, Enrolment, ModuleAttendance, Qualification
from tests import factories as f

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


def matrix(*codes):
    """Pair each role (in ROLES order) with its expected status code."""
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


# Who may see what (admin_a, coordinator_a, referrer_a, contact_a, coordinator_b, analyst, provider)
READS = {
    "/api/v1/course-providers/": matrix(200, 200, 403, 403, 200, 403, 200),
    "/api/v1/course-providers/{provider}/": matrix(200, 200, 403, 403, 200, 403, 200),
    "/api/v1/course-templates/": matrix(200, 200, 403, 403, 200, 403, 200),
    "/api/v1/course-templates/{template}/": matrix(200, 200, 403, 403, 200, 403, 200),
    "/api/v1/course-runs/": matrix(200, 200, 403, 403, 200, 403, 200),
    "/api/v1/course-runs/{run}/": matrix(200, 200, 403, 403, 404, 403, 200),
    "/api/v1/course-runs/{run}/enrolments/": matrix(200, 200, 403, 403, 404, 403, 200),
    "/api/v1/enrolments/": matrix(200, 200, 403, 200, 200, 403, 200),
    "/api/v1/enrolments/{enrolment}/": matrix(200, 200, 403, 200, 404, 403, 200),
    "/api/v1/qualifications/": matrix(200, 200, 403, 200, 200, 403, 200),
    "/api/v1/qualifications/{qualification}/": matrix(200, 200, 403, 200, 404, 403, 200),
    "/api/v1/provider-trainees/": matrix(403, 403, 403, 403, 403, 403, 200),
}


def _ids(cast):
    qualification = Qualification.objects.create(
        helper=cast.helper_a,
        municipality=cast.a,
        programme=cast.programme_a,
        enrolment=cast.enrolment_a,
        template=cast.run_a.template,
        qualified_on=timezone.localdate(),
    )
    return {
        "provider": cast.provider.pk,
        "template": cast.run_a.template_id,
        "run": cast.run_a.pk,
        "enrolment": cast.enrolment_a.pk,
        "qualification": qualification.pk,
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_course_read_endpoint_allows_or_denies_each_role(cast, api, url, role, expected):
    response = api(cast.roles[role]).get(url.format(**_ids(cast)))
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("url", [u for u in READS if "{" not in u])
def test_anonymous_callers_are_refused_on_every_course_list(cast, api, url):
    assert api().get(url).status_code == 401


def test_the_other_municipality_sees_none_of_a_course_runs_or_enrolments(cast, api):
    client = api(cast.coordinator_b)
    own = f.CourseRunFactory(programme=cast.programme_b)
    runs = client.get("/api/v1/course-runs/").json()["results"]
    assert [r["id"] for r in runs] == [own.pk]
    assert client.get("/api/v1/enrolments/").json()["results"] == []
    assert client.get("/api/v1/qualifications/").json()["results"] == []


def test_a_training_contact_sees_only_their_own_enrolments_and_qualifications(cast, api):
    other = f.EnrolmentFactory(run=cast.run_a, helper=cast.helper_a2)
    f.qualify(cast.helper_a)
    f.qualify(cast.helper_a2)
    client = api(cast.contact_user_a)

    enrolments = client.get("/api/v1/enrolments/").json()["results"]
    qualifications = client.get("/api/v1/qualifications/").json()["results"]

    assert [e["id"] for e in enrolments] == [cast.enrolment_a.pk]
    assert {q["helper"] for q in qualifications} == {cast.helper_a.pk}
    assert client.get(f"/api/v1/enrolments/{other.pk}/").status_code == 404


def test_provider_staff_see_only_their_own_provider_and_runs(cast, api):
    other_run = f.CourseRunFactory(programme=cast.programme_a)  # another provider, same town
    client = api(cast.provider_user)

    providers = client.get("/api/v1/course-providers/").json()["results"]
    runs = client.get("/api/v1/course-runs/").json()["results"]

    assert [p["id"] for p in providers] == [cast.provider.pk]
    assert [r["id"] for r in runs] == [cast.run_a.pk]
    assert client.get(f"/api/v1/course-runs/{other_run.pk}/").status_code == 404
    assert client.get(f"/api/v1/course-runs/{other_run.pk}/enrolments/").status_code == 404


def test_provider_staff_see_their_own_and_the_shared_templates_but_not_other_providers(cast, api):
    other = f.CourseTemplateFactory()
    codes = {
        t["code"]
        for t in api(cast.provider_user)
        .get("/api/v1/course-templates/?page_size=100")
        .json()["results"]
    }
    assert cast.run_a.template.code in codes
    assert "treningskontakt-40t" in codes
    assert other.code not in codes


def test_provider_staff_cannot_read_the_full_helper_record_of_someone_they_trained(cast, api):
    response = api(cast.provider_user).get(f"/api/v1/helpers/{cast.helper_a.pk}/")
    assert response.status_code in (403, 404)
    assert cast.helper_a.email not in response.content.decode()


# --- writes ------------------------------------------------------------------------------------


def _modules(cast):
    return list(cast.run_a.template.modules.order_by("position"))


def _prepare_completion(cast):
    f.attend_all(cast.enrolment_a)
    cast.enrolment_a.assessment_result = "passed"
    cast.enrolment_a.save()


WRITES = {
    "patch_run": matrix(200, 200, 403, 403, 404, 403, 200),
    "enrol": matrix(201, 201, 403, 403, 404, 403, 403),
    "attendance": matrix(200, 200, 403, 403, 404, 403, 200),
    "assess": matrix(200, 200, 403, 403, 404, 403, 200),
    "complete": matrix(200, 200, 403, 403, 404, 403, 200),
    "withdraw": matrix(200, 200, 403, 403, 404, 403, 200),
    "create_run": matrix(201, 201, 403, 403, 400, 403, 403),
    "delete_run": matrix(204, 204, 403, 403, 404, 403, 403),
}


def _write(cast, client, name):
    run, enrolment = cast.run_a.pk, cast.enrolment_a.pk
    if name == "patch_run":
        return client.patch(f"/api/v1/course-runs/{run}/", {"place": "Ny plass"}, format="json")
    if name == "enrol":
        return client.post(
            f"/api/v1/course-runs/{run}/enrolments/", {"helper": cast.helper_a2.pk}, format="json"
        )
    if name == "attendance":
        marks = [{"module": _modules(cast)[0].pk, "attended": True}]
        return client.post(f"/api/v1/enrolments/{enrolment}/attendance/", marks, format="json")
    if name == "assess":
        return client.post(
            f"/api/v1/enrolments/{enrolment}/assess/", {"result": "passed"}, format="json"
        )
    if name == "complete":
        _prepare_completion(cast)
        return client.post(f"/api/v1/enrolments/{enrolment}/complete/", {}, format="json")
    if name == "withdraw":
        return client.post(f"/api/v1/enrolments/{enrolment}/withdraw/", {}, format="json")
    if name == "create_run":
        today = timezone.localdate()
        return client.post(
            "/api/v1/course-runs/",
            {
                "template": f.shared_template("treningskontakt-light").pk,
                "provider": cast.provider.pk,
                "programme": cast.programme_a.pk,
                "starts_on": str(today + dt.timedelta(days=7)),
                "ends_on": str(today + dt.timedelta(days=8)),
                "capacity": 10,
            },
            format="json",
        )
    if name == "delete_run":
        empty = f.CourseRunFactory(template=cast.run_a.template, programme=cast.programme_a)
        cast.empty_run = empty
        return client.delete(f"/api/v1/course-runs/{empty.pk}/")
    raise AssertionError(name)


def _effect_happened(cast, name):
    enrolment = Enrolment.objects.get(pk=cast.enrolment_a.pk)
    return {
        "patch_run": lambda: CourseRun.objects.get(pk=cast.run_a.pk).place == "Ny plass",
        "enrol": lambda: Enrolment.objects.filter(helper=cast.helper_a2).exists(),
        "attendance": lambda: ModuleAttendance.objects.filter(enrolment=enrolment).exists(),
        "assess": lambda: enrolment.assessment_result == "passed",
        "complete": lambda: enrolment.status == "completed",
        "withdraw": lambda: enrolment.status == "withdrawn",
        "create_run": lambda: CourseRun.objects.filter(
            template__code="treningskontakt-light"
        ).exists(),
        "delete_run": lambda: not CourseRun.objects.filter(pk=cast.empty_run.pk).exists(),
    }[name]()


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, pairs in WRITES.items() for role, code in pairs],
)
def test_every_course_write_allows_or_denies_each_role_and_a_refusal_changes_nothing(
    cast, api, name, role, expected
):
    response = _write(cast, api(cast.roles[role]), name)
    assert response.status_code == expected, response.content
    assert _effect_happened(cast, name) is (expected < 300)
