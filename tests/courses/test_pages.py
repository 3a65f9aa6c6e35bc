"""The course pages: who may open them, planning a run, enrolling, the attendance grid (with and
without htmx), assessing and completing, the provider's trainees, and fixed query counts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.courses.models import CourseRun, Enrolment, ModuleAttendance, Qualification
from kobling.helpers.models import Helper
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ROLES = ("coordinator_a", "referrer_a", "contact_a", "coordinator_b", "analyst", "provider")


def page(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"web:{name}", args=args)


# --- access ------------------------------------------------------------------------------------

PAGE_ACCESS = {
    # coordinator_a, referrer_a, contact_a, coordinator_b, analyst, provider
    "course_list": (200, 403, 403, 200, 403, 200),
    "course_template_list": (200, 403, 403, 200, 403, 200),
    "course_run_detail": (200, 403, 403, 404, 403, 200),
    "course_run_edit": (200, 403, 403, 404, 403, 200),
    "course_run_enrol": (200, 403, 403, 404, 403, 200),
    "course_run_create": (200, 403, 403, 200, 403, 403),
    "provider_trainees": (403, 403, 403, 403, 403, 200),
}


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [
        (name, role, code)
        for name, codes in PAGE_ACCESS.items()
        for role, code in zip(ROLES, codes, strict=True)
    ],
)
def test_every_course_page_allows_or_denies_each_role(cast, name, role, expected):
    args = (
        (cast.run_a.pk,) if name.startswith("course_run_") and name != "course_run_create" else ()
    )
    response = page(cast.roles[role]).get(url(name, *args))
    assert response.status_code == expected


@pytest.mark.parametrize("name", ["course_list", "provider_trainees", "course_run_create"])
def test_anonymous_visitors_are_sent_to_sign_in(cast, name):
    response = page().get(url(name))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_a_municipal_admin_must_pass_two_factor_before_the_course_pages(cast):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = page(cast.admin_a)
    assert client.get(url("course_list"))["Location"] == url("two_factor")

    device = TOTPDevice.objects.create(user=cast.admin_a, name="app", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.get(url("course_list"))
    assert response.status_code == 200
    assert cast.run_a.template.name in response.content.decode()


def test_the_course_list_shows_only_runs_the_user_may_see_and_filters_them(cast):
    other = f.CourseRunFactory(programme=cast.programme_b)
    html_b = page(cast.coordinator_b).get(url("course_list")).content.decode()
    assert url("course_run_detail", other.pk) in html_b
    assert url("course_run_detail", cast.run_a.pk) not in html_b

    planned = f.CourseRunFactory(
        template=cast.run_a.template, programme=cast.programme_a, status="planned"
    )
    CourseRun.objects.filter(pk=cast.run_a.pk).update(status="completed")
    html = page(cast.coordinator_a).get(url("course_list") + "?status=planned").content.decode()
    assert url("course_run_detail", planned.pk) in html
    assert url("course_run_detail", cast.run_a.pk) not in html


# --- planning and editing ----------------------------------------------------------------------


def _form(cast, **overrides):
    data = {
        "template": f.shared_template("treningskontakt-light").pk,
        "provider": cast.provider.pk,
        "programme": cast.programme_a.pk,
        "starts_on": str(TODAY + dt.timedelta(days=20)),
        "ends_on": str(TODAY + dt.timedelta(days=21)),
        "place": "Aby rådhus",
        "capacity": "12",
        "price_for_trainee": "0",
        "cost_to_municipality": "15000",
        "leader_name": "Per Kursleder",
        "leader_education": "internal_course",
        "status": "planned",
    }
    data.update(overrides)
    return data


def test_a_coordinator_plans_a_run_from_the_form(cast):
    response = page(cast.coordinator_a).post(url("course_run_create"), _form(cast))
    run = CourseRun.objects.get(template__code="treningskontakt-light")
    assert response.status_code == 302
    assert response["Location"] == url("course_run_detail", run.pk)
    assert run.municipality == cast.a
    assert run.place == "Aby rådhus"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": str(TODAY)}, "The course cannot end before it starts."),
        ({"price_for_trainee": "-5"}, "greater than or equal to 0"),
        ({"capacity": "0"}, "at least one trainee"),
    ],
)
def test_the_run_form_shows_field_errors_and_saves_nothing(cast, overrides, message):
    before = CourseRun.objects.count()
    response = page(cast.coordinator_a).post(url("course_run_create"), _form(cast, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert CourseRun.objects.count() == before


def test_provider_staff_can_change_their_runs_place_and_leader(cast):
    data = _form(cast, place="Ny hall", leader_name="Ola Leder", status="running")
    data["starts_on"], data["ends_on"] = str(cast.run_a.starts_on), str(cast.run_a.ends_on)
    response = page(cast.provider_user).post(url("course_run_edit", cast.run_a.pk), data)
    assert response.status_code == 302
    run = CourseRun.objects.get(pk=cast.run_a.pk)
    assert (run.place, run.leader_name, run.status) == ("Ny hall", "Ola Leder", "running")
    assert run.template_id == cast.run_a.template_id  # the posted template is ignored


# --- enrolment ---------------------------------------------------------------------------------


def test_a_coordinator_enrols_a_helper_from_their_own_register(cast):
    client = page(cast.coordinator_a)
    form = client.get(url("course_run_enrol", cast.run_a.pk)).content.decode()
    assert "Anders Aasen" in form
    assert "Berit Berg" not in form  # another municipality's helper is not offered

    response = client.post(url("course_run_enrol", cast.run_a.pk), {"helper": cast.helper_a2.pk})

    assert response.status_code == 302
    assert Enrolment.objects.filter(run=cast.run_a, helper=cast.helper_a2).exists()


def test_the_enrol_form_refuses_a_full_run_with_a_clear_message(cast):
    CourseRun.objects.filter(pk=cast.run_a.pk).update(capacity=1)
    response = page(cast.coordinator_a).post(
        url("course_run_enrol", cast.run_a.pk), {"helper": cast.helper_a2.pk}
    )
    assert response.status_code == 400
    assert "The course run is full: all 1 places are taken." in response.content.decode()
    assert not Enrolment.objects.filter(helper=cast.helper_a2).exists()


def test_the_enrol_form_refuses_a_helper_from_another_municipality(cast):
    response = page(cast.coordinator_a).post(
        url("course_run_enrol", cast.run_a.pk), {"helper": cast.helper_b.pk}
    )
    assert response.status_code == 400
    assert not Enrolment.objects.filter(helper=cast.helper_b).exists()


# --- the attendance grid -----------------------------------------------------------------------


def test_the_run_page_shows_an_attendance_grid_with_a_cell_per_module(cast):
    html = page(cast.coordinator_a).get(url("course_run_detail", cast.run_a.pk)).content.decode()
    for module in cast.run_a.template.modules.all():
        assert url("enrolment_attendance", cast.enrolment_a.pk, module.pk) in html
        assert module.title in html
    assert "Astrid Aas" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_the_run_page_has_no_inline_script_or_style_for_the_content_security_policy(cast):
    response = page(cast.coordinator_a).get(url("course_run_detail", cast.run_a.pk))
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    assert "<style" not in html


def test_toggling_an_attendance_cell_with_htmx_swaps_in_the_new_cell(cast):
    module = cast.run_a.template.modules.order_by("position").first()
    response = page(cast.provider_user).post(
        url("enrolment_attendance", cast.enrolment_a.pk, module.pk),
        {"attended": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<td>")
    assert 'aria-pressed="true"' in html
    assert 'name="attended" value="0"' in html  # the next click marks absent again
    assert ModuleAttendance.objects.get(enrolment=cast.enrolment_a, module=module).attended


def test_toggling_an_attendance_cell_without_javascript_reloads_the_run_page(cast):
    module = cast.run_a.template.modules.order_by("position").first()
    ModuleAttendance.objects.create(enrolment=cast.enrolment_a, module=module, attended=True)
    response = page(cast.coordinator_a).post(
        url("enrolment_attendance", cast.enrolment_a.pk, module.pk), {"attended": "0"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("course_run_detail", cast.run_a.pk)
    assert not ModuleAttendance.objects.get(enrolment=cast.enrolment_a, module=module).attended


def test_the_other_municipality_cannot_toggle_attendance(cast):
    module = cast.run_a.template.modules.first()
    response = page(cast.coordinator_b).post(
        url("enrolment_attendance", cast.enrolment_a.pk, module.pk), {"attended": "1"}
    )
    assert response.status_code == 404
    assert not ModuleAttendance.objects.exists()


def test_marking_everyone_present_for_a_module_covers_every_open_enrolment(cast):
    other = f.EnrolmentFactory(run=cast.run_a, helper=cast.helper_a2)
    module = cast.run_a.template.modules.first()
    page(cast.coordinator_a).post(url("module_attendance_all", cast.run_a.pk, module.pk))
    assert set(
        ModuleAttendance.objects.filter(module=module, attended=True).values_list(
            "enrolment_id", flat=True
        )
    ) == {cast.enrolment_a.pk, other.pk}


# --- assess and complete -----------------------------------------------------------------------


def test_completing_too_early_explains_what_is_missing(cast):
    client = page(cast.coordinator_a)
    response = client.post(url("enrolment_complete", cast.enrolment_a.pk), follow=True)
    html = response.content.decode()
    assert "Astrid Aas cannot complete the course yet." in html
    assert "Psykisk helse" in html
    assert "The assessment has not been recorded." in html
    assert Enrolment.objects.get(pk=cast.enrolment_a.pk).status == "enrolled"


def test_assessing_and_completing_from_the_run_page_qualifies_the_helper(cast):
    client = page(cast.provider_user)
    f.attend_all(cast.enrolment_a)
    client.post(url("enrolment_assess", cast.enrolment_a.pk), {"result": "passed"})
    response = client.post(url("enrolment_complete", cast.enrolment_a.pk), follow=True)
    assert "Astrid Aas completed the course and is qualified." in response.content.decode()
    assert Qualification.objects.filter(enrolment=cast.enrolment_a).exists()


def test_withdrawing_from_the_run_page_frees_the_place(cast):
    page(cast.coordinator_a).post(url("enrolment_withdraw", cast.enrolment_a.pk))
    assert Enrolment.objects.get(pk=cast.enrolment_a.pk).status == "withdrawn"


@pytest.mark.parametrize("role", ["referrer_a", "contact_a", "analyst"])
def test_roles_outside_courses_cannot_post_course_actions(cast, role):
    client = page(cast.roles[role])
    for name in ("enrolment_assess", "enrolment_complete", "enrolment_withdraw"):
        assert client.post(url(name, cast.enrolment_a.pk), {"result": "passed"}).status_code == 403
    enrolment = Enrolment.objects.get(pk=cast.enrolment_a.pk)
    assert (enrolment.status, enrolment.assessment_result) == ("enrolled", "")


# --- the provider's trainees -------------------------------------------------------------------


def test_the_provider_trainees_page_shows_names_and_status_but_no_contact_details(cast):
    Helper.objects.filter(pk=cast.helper_a.pk).update(phone="41234567")
    f.EnrolmentFactory(run=f.CourseRunFactory(programme=cast.programme_a), helper=cast.helper_a2)
    html = page(cast.provider_user).get(url("provider_trainees")).content.decode()
    assert "Astrid Aas" in html
    assert cast.run_a.template.name in html
    assert "Applicant" in html
    assert "Anders Aasen" not in html  # trained by another provider
    assert cast.helper_a.email not in html
    assert "41234567" not in html


def test_the_template_page_lists_the_seeded_courses_with_their_hours(cast):
    html = page(cast.coordinator_a).get(url("course_template_list")).content.decode()
    assert "Oppfølgingskurs (20 timer)" in html
    assert "Treningskontaktkurs – light (12 timer)" in html


# --- query counts ------------------------------------------------------------------------------


def _count(client, path):
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx)


def _more_runs(cast, n):
    for _ in range(n):
        f.EnrolmentFactory(
            run=f.CourseRunFactory(template=cast.run_a.template, programme=cast.programme_a),
            helper=cast.helper_a2,
        )


def _more_enrolments(cast, n):
    for _ in range(n):
        helper = f.HelperFactory(programme=cast.programme_a)
        f.attend_all(f.EnrolmentFactory(run=cast.run_a, helper=helper))


@pytest.mark.parametrize(
    ("role", "name", "grow"),
    [
        ("coordinator_a", "course_list", _more_runs),
        ("coordinator_a", "course_run_detail", _more_enrolments),
        ("provider", "course_run_detail", _more_enrolments),
        ("provider", "provider_trainees", _more_enrolments),
    ],
)
def test_course_pages_issue_the_same_number_of_queries_for_2_rows_as_for_20(cast, role, name, grow):
    client = page(cast.roles[role])
    path = url(name, cast.run_a.pk) if name == "course_run_detail" else url(name)
    grow(cast, 1)  # two rows
    small = _count(client, path)
    grow(cast, 18)  # twenty rows
    assert _count(client, path) == small
