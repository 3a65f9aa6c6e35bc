import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kobling.helpers import services
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import HelperStatusChange
from kobling.lib.errors import ConflictError
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def _ready(helper):
    today = timezone.localdate()
    helper.police_certificate_date = today - dt.timedelta(days=5)
    helper.police_certificate_expires = today + dt.timedelta(days=365)
    helper.save()
    return helper


def move(helper, to, **kw):
    return services.helper_change_status(helper=helper, by=None, to_status=to, **kw)


def test_helper_walks_the_whole_lifecycle_and_every_step_is_kept_in_history(cast):
    h = _ready(cast.helper_a2)
    h = move(h, HelperStatus.SCREENING)
    h = move(h, HelperStatus.IN_TRAINING)
    f.qualify(h)
    h = move(h, HelperStatus.QUALIFIED)
    h = move(h, HelperStatus.ACTIVE)
    h = move(h, HelperStatus.PAUSED, paused_until=timezone.localdate() + dt.timedelta(days=30))
    h = move(h, HelperStatus.ACTIVE)
    h = move(h, HelperStatus.LEFT, left_reason="moved")
    steps = list(
        HelperStatusChange.objects.filter(helper=h)
        .order_by("at", "id")
        .values_list("to_status", flat=True)
    )
    assert steps == ["screening", "in_training", "qualified", "active", "paused", "active", "left"]
    assert h.left_reason == "moved"
    assert AuditEntry.objects.filter(object_id=str(h.pk), action="update").count() == 7


def test_contact_cannot_become_active_without_a_qualification(cast):
    h = _ready(cast.helper_a2)
    h.status = HelperStatus.QUALIFIED
    h.save()
    with pytest.raises(ValidationError) as err:
        move(h, HelperStatus.ACTIVE)
    assert "qualification" in err.value.message_dict
    h.refresh_from_db()
    assert h.status == HelperStatus.QUALIFIED


def test_contact_cannot_become_active_with_an_expired_police_certificate(cast):
    h = cast.helper_a2
    f.qualify(h)
    h.status = HelperStatus.QUALIFIED
    h.police_certificate_date = timezone.localdate() - dt.timedelta(days=1000)
    h.police_certificate_expires = timezone.localdate() - dt.timedelta(days=1)
    h.save()
    with pytest.raises(ValidationError) as err:
        move(h, HelperStatus.ACTIVE)
    assert "police_certificate_expires" in err.value.message_dict


def test_programme_without_requirements_lets_a_qualified_contact_start_without_certificate(cast):
    cast.programme_a.requires_police_certificate = False
    cast.programme_a.requires_qualification = False
    cast.programme_a.save()
    h = cast.helper_a2
    h.status = HelperStatus.QUALIFIED
    h.save()
    assert move(h, HelperStatus.ACTIVE).status == HelperStatus.ACTIVE


def test_skipping_steps_is_refused_with_a_message(cast):
    with pytest.raises(ValidationError) as err:
        move(cast.helper_a2, HelperStatus.ACTIVE)
    assert "cannot go from" in str(err.value.message_dict["to_status"])


def test_pause_needs_a_future_date_and_leaving_needs_a_reason(cast):
    h = f.make_active(cast.helper_a2)
    with pytest.raises(ValidationError) as err:
        move(h, HelperStatus.PAUSED, paused_until=timezone.localdate())
    assert "paused_until" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        move(h, HelperStatus.LEFT)
    assert "left_reason" in err.value.message_dict


def test_pause_runs_out_and_the_contact_is_active_again_by_itself(cast):
    h = f.make_active(cast.helper_a2)
    h = move(h, HelperStatus.PAUSED, paused_until=timezone.localdate() + dt.timedelta(days=3))
    assert services.helpers_resume_paused(today=timezone.localdate() + dt.timedelta(days=2)) == []
    resumed = services.helpers_resume_paused(today=timezone.localdate() + dt.timedelta(days=3))
    assert [r.pk for r in resumed] == [h.pk]
    h.refresh_from_db()
    assert h.status == HelperStatus.ACTIVE and h.paused_until is None


def test_an_edit_based_on_an_old_version_is_refused_and_changes_nothing(cast):
    h = cast.helper_a2
    services.helper_update(
        helper=h, by=cast.coordinator_a, data={"phone": "11111111"}, expected_version=1
    )
    with pytest.raises(ConflictError):
        services.helper_update(
            helper=h, by=cast.coordinator_b, data={"phone": "22222222"}, expected_version=1
        )
    h.refresh_from_db()
    assert h.phone == "11111111" and h.version == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "68A0"),
        ("postcode", "123"),
        ("national_id", "01010112345"),
        ("capacity", -1),
        ("hourly_rate", "-10"),
        ("languages", ["xx"]),
        ("latitude", "40.0"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_nothing_is_saved(cast, field, value):
    before = cast.helper_a2.__class__.objects.count()
    data = {
        "first_name": "Ny",
        "last_name": "Kontakt",
        "email": "ny@example.test",
        "postcode": "6800",
        field: value,
    }
    with pytest.raises(ValidationError) as err:
        services.helper_create(
            by=cast.coordinator_a, municipality=cast.a, programme=cast.programme_a, data=data
        )
    assert field in err.value.message_dict
    assert cast.helper_a2.__class__.objects.count() == before


def test_contract_that_ends_before_it_starts_is_refused(cast):
    data = {
        "first_name": "Ny",
        "last_name": "K",
        "email": "n@example.test",
        "postcode": "6800",
        "contract_start": dt.date(2026, 5, 1),
        "contract_end": dt.date(2026, 4, 1),
    }
    with pytest.raises(ValidationError) as err:
        services.helper_create(
            by=cast.coordinator_a, municipality=cast.a, programme=cast.programme_a, data=data
        )
    assert "contract_end" in err.value.message_dict


def test_d_number_is_accepted_as_national_identity_number(cast):
    # 41018010001 is a D-number (day + 40) with valid check digits.
    data = {
        "first_name": "Ny",
        "last_name": "K",
        "email": "d@example.test",
        "postcode": "6800",
        "national_id": "41018010001",
    }
    h = services.helper_create(
        by=cast.coordinator_a, municipality=cast.a, programme=cast.programme_a, data=data
    )
    assert h.national_id == "41018010001"
