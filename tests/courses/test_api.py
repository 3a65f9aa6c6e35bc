"""The courses API end to end: the workflow from run to qualification, bad input, the provider's
feedback view and what it may show, fixed query counts on lists, and a clean schema."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.courses.models import CourseRun, Enrolment, ModuleAttendance, Qualification
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.helpers.services import helper_change_status
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _run_payload(cast, **overrides):
    payload = {
        "template": f.shared_template("treningskontakt-40t").pk,
        "provider": cast.provider.pk,
        "programme": cast.programme_a.pk,
        "starts_on": str(TODAY - dt.timedelta(days=14)),
        "ends_on": str(TODAY - dt.timedelta(days=7)),
        "place": "Idrettens hus, Aby",
        "capacity": 16,
        "price_for_trainee": "500.00",
        "cost_to_municipality": "30000.00",
        "leader_name": "Kari Kursleder",
        "leader_education": "higher_sports_education",
        "status": "running",
    }
    payload.update(overrides)
    return payload


def test_a_coordinator_takes_a_helper_from_enrolment_to_qualification_through_the_api(cast, api):
    client = api(cast.coordinator_a)
    helper = helper_change_status(helper=cast.helper_a2, by=None, to_status=HelperStatus.SCREENING)

    run = client.post("/api/v1/course-runs/", _run_payload(cast), format="json")
    assert run.status_code == 201, run.content
    assert run.json()["municipality"] == cast.a.pk
    assert run.json()["total_hours"] == "42.0"
    run_id = run.json()["id"]

    enrol = client.post(
        f"/api/v1/course-runs/{run_id}/enrolments/", {"helper": helper.pk}, format="json"
    )
    assert enrol.status_code == 201, enrol.content
    enrolment = enrol.json()
    assert Helper.objects.get(pk=helper.pk).status == HelperStatus.IN_TRAINING
    assert [c["attended"] for c in enrolment["attendance"]] == [False] * 7

    marks = [{"module": c["module"], "attended": True} for c in enrolment["attendance"]]
    attended = client.post(
        f"/api/v1/enrolments/{enrolment['id']}/attendance/", marks, format="json"
    )
    assert attended.status_code == 200
    assert attended.json()["attended_hours"] == "42.0"

    assessed = client.post(
        f"/api/v1/enrolments/{enrolment['id']}/assess/", {"result": "passed"}, format="json"
    )
    assert assessed.json()["assessment_result"] == "passed"

    completed = client.post(f"/api/v1/enrolments/{enrolment['id']}/complete/", {}, format="json")
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "completed"
    assert completed.json()["qualification"] is not None

    quals = client.get(f"/api/v1/qualifications/?helper={helper.pk}").json()["results"]
    assert len(quals) == 1
    assert quals[0]["programme"] == cast.programme_a.pk
    assert quals[0]["course"] == "Treningskontaktkurs (40 timer)"
    assert quals[0]["qualified_on"] == str(TODAY)
    assert Helper.objects.get(pk=helper.pk).status == HelperStatus.QUALIFIED


def test_qualifications_can_be_filtered_by_programme(cast, api):
    f.qualify(cast.helper_a)
    f.qualify(cast.helper_b)
    client = api(cast.coordinator_a)
    own = client.get(f"/api/v1/qualifications/?programme={cast.programme_a.pk}").json()
    other = client.get(f"/api/v1/qualifications/?programme={cast.programme_b.pk}").json()
    assert [q["helper"] for q in own["results"]] == [cast.helper_a.pk]
    assert other["results"] == []


def test_completion_through_the_api_names_what_is_missing(cast, api):
    first = cast.run_a.template.modules.order_by("position").first()
    client = api(cast.provider_user)
    client.post(
        f"/api/v1/enrolments/{cast.enrolment_a.pk}/attendance/",
        [{"module": first.pk, "attended": True}],
        format="json",
    )
    response = client.post(f"/api/v1/enrolments/{cast.enrolment_a.pk}/complete/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"attendance", "assessment_result"}
    assert "Psykisk helse" in body["attendance"][0]
    assert Enrolment.objects.get(pk=cast.enrolment_a.pk).status == "enrolled"


def test_enrolling_beyond_capacity_through_the_api_is_refused_with_a_clear_message(cast, api):
    CourseRun.objects.filter(pk=cast.run_a.pk).update(capacity=1)
    response = api(cast.coordinator_a).post(
        f"/api/v1/course-runs/{cast.run_a.pk}/enrolments/",
        {"helper": cast.helper_a2.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The course run is full: all 1 places are taken."]
    }
    assert not Enrolment.objects.filter(helper=cast.helper_a2).exists()


@pytest.mark.parametrize("which", ["other_municipality", "does_not_exist"])
def test_enrolling_a_helper_not_registered_in_the_runs_municipality_gets_the_same_answer(
    cast, api, which
):
    helper_id = cast.helper_b.pk if which == "other_municipality" else 999_999
    response = api(cast.coordinator_a).post(
        f"/api/v1/course-runs/{cast.run_a.pk}/enrolments/", {"helper": helper_id}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "helper": ["Only helpers registered in Aby can be enrolled on this course run."]
    }
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": str(TODAY - dt.timedelta(days=20))}, "ends_on"),
        ({"price_for_trainee": "-1.00"}, "price_for_trainee"),
        ({"cost_to_municipality": "-100"}, "cost_to_municipality"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"starts_on": "not a date"}, "starts_on"),
        ({"leader_education": "phd"}, "leader_education"),
    ],
)
def test_bad_run_input_gives_400_with_the_field_error_and_saves_nothing(
    cast, api, overrides, field
):
    before = CourseRun.objects.count()
    response = api(cast.coordinator_a).post(
        "/api/v1/course-runs/", _run_payload(cast, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert CourseRun.objects.count() == before


def test_bad_input_on_update_gives_400_and_leaves_the_run_unchanged(cast, api):
    response = api(cast.provider_user).patch(
        f"/api/v1/course-runs/{cast.run_a.pk}/",
        {"ends_on": str(cast.run_a.starts_on - dt.timedelta(days=1)), "place": "Ny plass"},
        format="json",
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    run = CourseRun.objects.get(pk=cast.run_a.pk)
    assert (run.ends_on, run.place) == (cast.run_a.ends_on, cast.run_a.place)


def test_course_provider_and_programme_of_a_run_cannot_be_changed(cast, api):
    response = api(cast.coordinator_a).patch(
        f"/api/v1/course-runs/{cast.run_a.pk}/",
        {"template": f.shared_template("treningskontakt-light").pk},
        format="json",
    )
    assert response.status_code == 400
    assert "template" in response.json()
    assert CourseRun.objects.get(pk=cast.run_a.pk).template_id == cast.run_a.template_id


def test_a_coordinator_cannot_plan_a_run_for_another_municipalitys_programme(cast, api):
    response = api(cast.coordinator_b).post(
        "/api/v1/course-runs/", _run_payload(cast), format="json"
    )
    assert response.status_code == 400
    assert "programme" in response.json()
    assert not CourseRun.objects.filter(municipality=cast.a).exclude(pk=cast.run_a.pk).exists()


def test_attendance_actions_also_answer_without_the_trailing_slash(cast, api):
    module = cast.run_a.template.modules.first()
    response = api(cast.provider_user).post(
        f"/api/v1/enrolments/{cast.enrolment_a.pk}/attendance",
        [{"module": module.pk, "attended": True}],
        format="json",
    )
    assert response.status_code == 200
    assert ModuleAttendance.objects.get(enrolment=cast.enrolment_a, module=module).attended


def test_reading_an_enrolment_is_audited_and_shows_no_contact_details(cast, api):
    from kobling.tenancy.models import AuditEntry

    response = api(cast.provider_user).get(f"/api/v1/enrolments/{cast.enrolment_a.pk}/")
    body = response.json()
    assert response.status_code == 200
    assert not {"email", "phone", "national_id"} & set(body)
    assert cast.helper_a.email not in response.content.decode()
    assert AuditEntry.objects.filter(
        action="view", object_type="courses.enrolment", object_id=str(cast.enrolment_a.pk)
    ).exists()


# --- the provider's feedback view --------------------------------------------------------------

TRAINEE_KEYS = {
    "enrolment",
    "helper_name",
    "municipality_name",
    "course",
    "run",
    "run_starts_on",
    "course_result",
    "course_result_label",
    "completed_on",
    "qualified",
    "helper_status",
    "helper_status_label",
    "helper_status_since",
    "is_active",
    "is_assigned",
}


def test_the_provider_sees_each_helper_it_trained_with_only_the_allowed_fields(cast, api):
    cast.helper_a.phone = "41234567"
    cast.helper_a.national_id = ""
    cast.helper_a.save()
    f.make_active(cast.helper_a)
    other_provider_run = f.CourseRunFactory(programme=cast.programme_a)
    f.EnrolmentFactory(run=other_provider_run, helper=cast.helper_a2)

    response = api(cast.provider_user).get("/api/v1/provider-trainees/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == TRAINEE_KEYS
    helper = Helper.objects.get(pk=cast.helper_a.pk)
    assert row["helper_name"] == "Astrid Aas"
    assert row["enrolment"] == cast.enrolment_a.pk
    assert row["course"] == cast.run_a.template.name
    assert row["course_result"] == "enrolled"
    assert row["helper_status"] == "active"
    assert row["helper_status_label"] == "Active"
    assert row["is_active"] is True
    assert row["is_assigned"] is False
    assert row["helper_status_since"] is not None
    # In the server's time zone, as the API writes it (late in a UTC evening it is tomorrow here).
    assert row["helper_status_since"].startswith(
        str(timezone.localtime(helper.status_since).date())
    )
    text = response.content.decode()
    for secret in (helper.email, helper.phone, "Aasen"):
        assert secret not in text


def test_the_provider_view_reports_a_completed_course_and_the_qualification(cast, api):
    f.attend_all(cast.enrolment_a)
    Enrolment.objects.filter(pk=cast.enrolment_a.pk).update(assessment_result="passed")
    api(cast.provider_user).post(f"/api/v1/enrolments/{cast.enrolment_a.pk}/complete/")

    row = api(cast.provider_user).get("/api/v1/provider-trainees/").json()["results"][0]

    assert row["course_result"] == "completed"
    assert row["completed_on"] == str(TODAY)
    assert row["qualified"] is True
    assert row["is_active"] is False


def test_a_provider_with_no_runs_sees_no_trainees(cast, api):
    lonely = f.provider_staff(f.UserFactory(), f.CourseProviderFactory())
    response = api(lonely).get("/api/v1/provider-trainees/")
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- query counts ------------------------------------------------------------------------------


def _measure(client, url):
    client.get(url)  # warm the per-user role caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx), response.json()["count"]


def _helpers_in_a(cast, n):
    return [f.HelperFactory(programme=cast.programme_a) for _ in range(n)]


def _grow_runs(cast, n):
    for _ in range(n):
        run = f.CourseRunFactory(template=cast.run_a.template, programme=cast.programme_a)
        f.EnrolmentFactory(run=run, helper=cast.helper_a2)


def _grow_enrolments(cast, n):
    for helper in _helpers_in_a(cast, n):
        f.attend_all(f.EnrolmentFactory(run=cast.run_a, helper=helper))


def _grow_enrolments_elsewhere(cast, n):
    for helper in _helpers_in_a(cast, n):
        run = f.CourseRunFactory(
            template=f.CourseTemplateFactory(provider=cast.provider), programme=cast.programme_a
        )
        f.attend_all(f.EnrolmentFactory(run=run, helper=helper))


def _grow_qualifications(cast, n):
    for helper in _helpers_in_a(cast, n):
        enrolment = f.EnrolmentFactory(run=cast.run_a, helper=helper)
        Qualification.objects.create(
            helper=helper,
            municipality=cast.a,
            programme=cast.programme_a,
            enrolment=enrolment,
            template=cast.run_a.template,
            qualified_on=TODAY,
        )


def _grow_templates(cast, n):
    for _ in range(n):
        f.CourseTemplateFactory(provider=cast.provider)


def _grow_providers(cast, n):
    for _ in range(n):
        f.CourseProviderFactory()


QUERY_CASES = [
    ("coordinator_a", "/api/v1/course-runs/", _grow_runs),
    ("provider", "/api/v1/course-runs/", _grow_runs),
    ("coordinator_a", "/api/v1/course-runs/{run}/enrolments/", _grow_enrolments),
    ("provider", "/api/v1/enrolments/", _grow_enrolments_elsewhere),
    ("coordinator_a", "/api/v1/qualifications/", _grow_qualifications),
    ("provider", "/api/v1/provider-trainees/", _grow_enrolments_elsewhere),
    ("coordinator_a", "/api/v1/course-templates/", _grow_templates),
    ("coordinator_a", "/api/v1/course-providers/", _grow_providers),
]


@pytest.mark.parametrize(("role", "url", "grow"), QUERY_CASES)
def test_course_lists_issue_the_same_number_of_queries_for_2_rows_as_for_20(
    cast, api, role, url, grow
):
    client = api(cast.roles[role])
    url = url.format(run=cast.run_a.pk)
    _, start = _measure(client, url)
    if start < 2:
        grow(cast, 2 - start)
    small, small_count = _measure(client, url)
    grow(cast, 18)
    large, large_count = _measure(client, url)
    assert large_count == small_count + 18
    assert large == small


# --- schema ------------------------------------------------------------------------------------


def test_the_openapi_schema_covers_the_course_endpoints_without_warnings_from_them():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()

    for path in (
        "/api/v1/course-providers/",
        "/api/v1/course-templates/",
        "/api/v1/course-runs/",
        "/api/v1/course-runs/{id}/",
        "/api/v1/course-runs/{run_pk}/enrolments/",
        "/api/v1/enrolments/{id}/",
        "/api/v1/enrolments/{id}/attendance/",
        "/api/v1/enrolments/{id}/assess/",
        "/api/v1/enrolments/{id}/complete/",
        "/api/v1/qualifications/",
        "/api/v1/provider-trainees/",
    ):
        assert path in schema["paths"], path
    assert "/api/v1/enrolments/{id}/attendance" not in schema["paths"]
    ours = ("courses", "Course", "Enrolment", "Qualification", "Trainee", "Attendance", "Assess")
    assert [w for w in warnings if any(word in w for word in ours)] == []


def test_provider_staff_cannot_enrol_and_so_cannot_probe_the_register(cast, api):
    """Enrolling means choosing from the municipality's register, which providers never see: a
    provider trying helper ids learns nothing and changes nothing."""
    secret = f.HelperFactory(programme=cast.programme_a, first_name="Hemmelig")
    response = api(cast.provider_user).post(
        f"/api/v1/course-runs/{cast.run_a.pk}/enrolments/", {"helper": secret.pk}, format="json"
    )
    assert response.status_code == 403
    assert "Hemmelig" not in response.content.decode()
    secret.refresh_from_db()
    assert secret.status == "applicant"
    assert not Enrolment.objects.filter(helper=secret).exists()


def test_the_provider_sees_whether_a_trainee_has_a_participant_now_but_not_whom(cast, api):
    from tests.followup import scenario as s

    helper = f.make_active(cast.helper_a)
    s.pairing(s.waiting(cast.programme_a, first_name="Hemmelig"), helper)
    response = api(cast.provider_user).get("/api/v1/provider-trainees/")
    row = response.json()["results"][0]
    assert row["is_assigned"] is True
    assert "Hemmelig" not in response.content.decode()
