"""The course workflow rules, at the service layer: enrolment within capacity and municipality,
attendance, assessment, completion into a qualification, and the helper's lifecycle moves."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kobling.courses import services
from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import CourseRun, Enrolment, ModuleAttendance, Qualification
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import HelperStatusChange
from kobling.helpers.services import helper_change_status
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def _modules(run):
    return list(run.template.modules.order_by("position"))


def _ready_to_complete(enrolment, by=None):
    services.attendance_record(
        enrolment=enrolment, by=by, marks={m.pk: True for m in _modules(enrolment.run)}
    )
    return services.enrolment_assess(enrolment=enrolment, by=by, result="passed")


# --- completion --------------------------------------------------------------------------------


def test_completing_a_qualifying_course_gives_a_qualification_and_makes_the_trainee_qualified(
    cast,
):
    helper = cast.helper_a
    helper_change_status(helper=helper, by=None, to_status=HelperStatus.SCREENING)
    helper_change_status(helper=helper, by=None, to_status=HelperStatus.IN_TRAINING)
    enrolment = _ready_to_complete(cast.enrolment_a, by=cast.coordinator_a)

    done = services.enrolment_complete(enrolment=enrolment, by=cast.coordinator_a)

    assert done.status == EnrolmentStatus.COMPLETED
    assert done.completed_on == timezone.localdate()
    qualification = Qualification.objects.get(helper=helper)
    assert qualification.enrolment == done
    assert qualification.programme == cast.run_a.programme
    assert qualification.template == cast.run_a.template
    assert qualification.qualified_on == timezone.localdate()
    helper.refresh_from_db()
    assert helper.status == HelperStatus.QUALIFIED
    last = HelperStatusChange.objects.filter(helper=helper).order_by("-at", "-id").first()
    assert (last.from_status, last.to_status) == ("in_training", "qualified")
    assert last.by == cast.coordinator_a
    assert AuditEntry.objects.filter(
        object_type="courses.qualification", object_id=str(qualification.pk), action="create"
    ).exists()


def test_completion_is_refused_and_lists_the_module_that_was_missed(cast):
    enrolment = cast.enrolment_a
    first, second = _modules(cast.run_a)
    services.attendance_record(
        enrolment=enrolment, by=None, marks={first.pk: True, second.pk: False}
    )
    services.enrolment_assess(enrolment=enrolment, by=None, result="passed")

    with pytest.raises(ValidationError) as err:
        services.enrolment_complete(enrolment=enrolment, by=None)

    assert list(err.value.message_dict) == ["attendance"]
    assert second.title in err.value.message_dict["attendance"][0]
    assert first.title not in err.value.message_dict["attendance"][0]
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert not Qualification.objects.exists()


def test_completion_is_refused_when_the_assessment_was_not_passed(cast):
    enrolment = cast.enrolment_a
    f.attend_all(enrolment)
    services.enrolment_assess(enrolment=enrolment, by=None, result="failed")

    with pytest.raises(ValidationError) as err:
        services.enrolment_complete(enrolment=enrolment, by=None)

    assert list(err.value.message_dict) == ["assessment_result"]
    assert "not passed" in err.value.message_dict["assessment_result"][0]
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.FAILED
    assert not Qualification.objects.exists()


def test_completion_without_any_attendance_or_assessment_lists_everything_missing(cast):
    with pytest.raises(ValidationError) as err:
        services.enrolment_complete(enrolment=cast.enrolment_a, by=None)

    problems = err.value.message_dict
    assert set(problems) == {"attendance", "assessment_result"}
    for module in _modules(cast.run_a):
        assert module.title in problems["attendance"][0]
    assert "has not been recorded" in problems["assessment_result"][0]


def test_a_resit_that_is_passed_lets_a_failed_trainee_complete(cast):
    enrolment = cast.enrolment_a
    f.attend_all(enrolment)
    services.enrolment_assess(enrolment=enrolment, by=None, result="failed")
    services.enrolment_assess(enrolment=enrolment, by=None, result="passed")

    done = services.enrolment_complete(enrolment=enrolment, by=None)

    assert done.status == EnrolmentStatus.COMPLETED
    assert Qualification.objects.filter(enrolment=done).exists()


def test_a_course_cannot_be_completed_twice(cast):
    enrolment = _ready_to_complete(cast.enrolment_a)
    services.enrolment_complete(enrolment=enrolment, by=None)

    with pytest.raises(ValidationError) as err:
        services.enrolment_complete(enrolment=enrolment, by=None)

    assert "already been completed" in str(err.value)
    assert Qualification.objects.count() == 1


def test_completion_date_cannot_be_in_the_future(cast):
    enrolment = _ready_to_complete(cast.enrolment_a)
    with pytest.raises(ValidationError) as err:
        services.enrolment_complete(
            enrolment=enrolment, by=None, completed_on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert "completed_on" in err.value.message_dict


def test_a_follow_up_course_is_recorded_as_completed_but_gives_no_new_qualification(cast):
    follow_up = f.shared_template("oppfolging-20t")
    run = f.CourseRunFactory(template=follow_up, provider=cast.provider, programme=cast.programme_a)
    helper = f.make_active(cast.helper_a2)
    enrolment = services.enrolment_create(run=run, helper=helper, by=None)
    before = Qualification.objects.filter(helper=helper).count()

    done = services.enrolment_complete(enrolment=_ready_to_complete(enrolment), by=None)

    assert done.status == EnrolmentStatus.COMPLETED
    assert Qualification.objects.filter(helper=helper).count() == before
    helper.refresh_from_db()
    assert helper.status == HelperStatus.ACTIVE


def test_a_qualifying_course_does_not_touch_a_helper_who_is_already_active(cast):
    helper = f.make_active(cast.helper_a2)
    enrolment = services.enrolment_create(run=cast.run_a, helper=helper, by=None)

    services.enrolment_complete(enrolment=_ready_to_complete(enrolment), by=None)

    helper.refresh_from_db()
    assert helper.status == HelperStatus.ACTIVE
    assert Qualification.objects.filter(enrolment=enrolment).exists()


# --- enrolment ---------------------------------------------------------------------------------


def test_enrolment_beyond_capacity_is_refused_with_a_clear_message(cast):
    cast.run_a.capacity = 1  # helper_a already holds the only place
    cast.run_a.save()

    with pytest.raises(ValidationError) as err:
        services.enrolment_create(run=cast.run_a, helper=cast.helper_a2, by=None)

    assert err.value.messages == ["The course run is full: all 1 places are taken."]
    assert not Enrolment.objects.filter(helper=cast.helper_a2).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_enrolments_racing_for_the_last_place_never_overbook_the_run(cast):
    CourseRun.objects.filter(pk=cast.run_a.pk).update(capacity=2)  # one place left
    helpers = [f.HelperFactory(programme=cast.programme_a) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol(helper):
        try:
            barrier.wait()
            services.enrolment_create(run=cast.run_a, helper=helper, by=None)
            outcomes.append("enrolled")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(h,)) for h in helpers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["The course run is full: all 2 places are taken.", "enrolled"]
    assert Enrolment.objects.filter(run=cast.run_a).count() == 2


def test_a_withdrawal_frees_the_place_for_someone_else(cast):
    cast.run_a.capacity = 1
    cast.run_a.save()
    services.enrolment_withdraw(enrolment=cast.enrolment_a, by=None)

    enrolment = services.enrolment_create(run=cast.run_a, helper=cast.helper_a2, by=None)

    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_a_helper_who_withdrew_can_be_enrolled_again_on_the_same_run(cast):
    services.enrolment_withdraw(enrolment=cast.enrolment_a, by=None)

    again = services.enrolment_create(run=cast.run_a, helper=cast.helper_a, by=None)

    assert again.pk == cast.enrolment_a.pk
    assert again.status == EnrolmentStatus.ENROLLED


def test_enrolling_a_helper_twice_is_refused(cast):
    with pytest.raises(ValidationError) as err:
        services.enrolment_create(run=cast.run_a, helper=cast.helper_a, by=None)
    assert "already enrolled" in err.value.message_dict["helper"][0]
    assert Enrolment.objects.filter(helper=cast.helper_a).count() == 1


def test_enrolling_a_helper_from_another_municipality_is_refused(cast):
    with pytest.raises(ValidationError) as err:
        services.enrolment_create(run=cast.run_a, helper=cast.helper_b, by=None)

    assert err.value.message_dict["helper"] == [
        "Only helpers registered in Aby can be enrolled on this course run."
    ]
    assert not Enrolment.objects.filter(helper=cast.helper_b).exists()


def test_enrolling_on_a_cancelled_run_is_refused(cast):
    cast.run_a.status = RunStatus.CANCELLED
    cast.run_a.save()
    with pytest.raises(ValidationError) as err:
        services.enrolment_create(run=cast.run_a, helper=cast.helper_a2, by=None)
    assert "closed" in err.value.messages[0]


def test_enrolling_a_helper_in_screening_moves_them_into_training(cast):
    helper = helper_change_status(helper=cast.helper_a2, by=None, to_status=HelperStatus.SCREENING)

    services.enrolment_create(run=cast.run_a, helper=helper, by=cast.coordinator_a)

    helper.refresh_from_db()
    assert helper.status == HelperStatus.IN_TRAINING
    change = HelperStatusChange.objects.filter(helper=helper, to_status="in_training").get()
    assert change.by == cast.coordinator_a
    assert cast.run_a.template.name in change.reason


def test_enrolling_an_applicant_walks_them_through_screening_into_training(cast):
    helper = cast.helper_a2
    assert helper.status == HelperStatus.APPLICANT

    services.enrolment_create(run=cast.run_a, helper=helper, by=None)

    steps = list(
        HelperStatusChange.objects.filter(helper=helper)
        .order_by("at", "id")
        .values_list("to_status", flat=True)
    )
    assert steps[-2:] == ["screening", "in_training"]


def test_enrolment_is_audited(cast):
    enrolment = services.enrolment_create(
        run=cast.run_a, helper=cast.helper_a2, by=cast.coordinator_a
    )
    entry = AuditEntry.objects.get(
        object_type="courses.enrolment", object_id=str(enrolment.pk), action="create"
    )
    assert entry.user == cast.coordinator_a
    assert entry.municipality == cast.a


# --- attendance --------------------------------------------------------------------------------


def test_attendance_for_a_module_of_another_course_is_refused_and_nothing_is_saved(cast):
    first = _modules(cast.run_a)[0]
    foreign = f.shared_template("oppfolging-20t").modules.first()

    with pytest.raises(ValidationError) as err:
        services.attendance_record(
            enrolment=cast.enrolment_a, by=None, marks={first.pk: True, foreign.pk: True}
        )

    assert "module" in err.value.message_dict
    assert not ModuleAttendance.objects.exists()


def test_attendance_can_be_recorded_for_one_module_across_the_run(cast):
    other = services.enrolment_create(run=cast.run_a, helper=cast.helper_a2, by=None)
    module = _modules(cast.run_a)[1]

    services.module_attendance_record(
        run=cast.run_a,
        module=module,
        by=cast.provider_user,
        marks={cast.enrolment_a.pk: True, other.pk: False},
    )

    marks = dict(
        ModuleAttendance.objects.filter(module=module).values_list("enrolment_id", "attended")
    )
    assert marks == {cast.enrolment_a.pk: True, other.pk: False}
    assert AuditEntry.objects.filter(
        object_type="courses.enrolment", object_id=str(other.pk), action="update"
    ).exists()


def test_attendance_cannot_change_after_completion(cast):
    enrolment = services.enrolment_complete(enrolment=_ready_to_complete(cast.enrolment_a), by=None)
    module = _modules(cast.run_a)[0]

    with pytest.raises(ValidationError):
        services.attendance_record(enrolment=enrolment, by=None, marks={module.pk: False})

    assert ModuleAttendance.objects.get(enrolment=enrolment, module=module).attended is True


# --- runs --------------------------------------------------------------------------------------


def _run_data(**overrides):
    today = timezone.localdate()
    data = {
        "starts_on": today + dt.timedelta(days=10),
        "ends_on": today + dt.timedelta(days=11),
        "place": "Idrettens hus",
        "capacity": 12,
        "price_for_trainee": Decimal("0"),
        "cost_to_municipality": Decimal("24000"),
        "leader_name": "Kari Kursleder",
        "leader_education": "higher_sports_education",
    }
    data.update(overrides)
    return data


def test_a_run_is_created_for_the_programmes_municipality_and_audited(cast):
    run = services.course_run_create(
        by=cast.coordinator_a,
        template=f.shared_template("treningskontakt-light"),
        provider=cast.provider,
        programme=cast.programme_a,
        data=_run_data(),
    )
    assert run.municipality == cast.a
    assert AuditEntry.objects.filter(
        object_type="courses.courserun", object_id=str(run.pk), action="create"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": timezone.localdate()}, "ends_on"),
        ({"price_for_trainee": Decimal("-1")}, "price_for_trainee"),
        ({"cost_to_municipality": Decimal("-0.01")}, "cost_to_municipality"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_a_run_with_bad_input_is_refused_with_a_field_error(cast, overrides, field):
    before = CourseRun.objects.count()
    with pytest.raises(ValidationError) as err:
        services.course_run_create(
            by=None,
            template=f.shared_template("treningskontakt-40t"),
            provider=cast.provider,
            programme=cast.programme_a,
            data=_run_data(**overrides),
        )
    assert field in err.value.message_dict
    assert CourseRun.objects.count() == before


def test_a_run_cannot_use_another_providers_course(cast):
    other_template = f.CourseTemplateFactory()  # belongs to a different provider
    with pytest.raises(ValidationError) as err:
        services.course_run_create(
            by=None,
            template=other_template,
            provider=cast.provider,
            programme=cast.programme_a,
            data=_run_data(),
        )
    assert "template" in err.value.message_dict


def test_capacity_cannot_be_lowered_below_the_places_taken(cast):
    services.enrolment_create(run=cast.run_a, helper=cast.helper_a2, by=None)
    with pytest.raises(ValidationError) as err:
        services.course_run_update(run=cast.run_a, by=None, data={"capacity": 1})
    assert "2 trainees" in err.value.message_dict["capacity"][0]
    cast.run_a.refresh_from_db()
    assert cast.run_a.capacity == 20


def test_a_run_with_enrolments_cannot_be_deleted(cast):
    with pytest.raises(ValidationError):
        services.course_run_delete(run=cast.run_a, by=None)
    assert CourseRun.objects.filter(pk=cast.run_a.pk).exists()
