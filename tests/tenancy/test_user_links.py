"""A user's memberships, staff links and authenticators come in one query (every signed-in
page needs them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from kobling.tenancy.choices import Role
from kobling.tenancy.models import User
from tests import factories as f
from tests.providers.builders import gym

pytestmark = pytest.mark.django_db


def test_memberships_course_and_activity_providers_in_one_query(cast):
    user = f.UserFactory(username="mange.roller")
    f.member(user, cast.a, Role.COORDINATOR)
    f.member(user, cast.b, Role.REFERRER)
    course_provider = f.CourseProviderFactory()
    f.provider_staff(user, course_provider)
    activity_provider = gym(cast, staff=user)
    TOTPDevice.objects.create(user=user, name="ubekreftet", confirmed=False)
    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert fresh.municipality_ids(Role.COORDINATOR) == {cast.a.pk}
        assert fresh.municipality_ids(Role.REFERRER) == {cast.b.pk}
        assert fresh.unit_kinds(Role.COORDINATOR) == {cast.a.kind}
        assert fresh.provider_ids == {course_provider.pk}
        assert fresh.activity_provider_ids == {activity_provider.pk}
        assert not fresh.has_two_factor  # an unconfirmed authenticator is none
        # A staff link is not a role in a municipality.
        assert fresh.municipality_ids() == {cast.a.pk, cast.b.pk}
    assert len(queries) == 1
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    fresh.forget_memberships()
    assert fresh.has_two_factor and fresh.must_pass_two_factor


def test_nothing_for_a_user_without_links_and_forgetting_reads_again(cast):
    user = f.UserFactory(username="ingen.roller")
    assert (user.municipality_ids(), user.provider_ids, user.activity_provider_ids) == (
        set(),
        set(),
        set(),
    )
    gym(cast, staff=user)  # the service makes the user read their links again
    assert len(user.activity_provider_ids) == 1
    f.member(user, cast.a, Role.TRAINING_CONTACT)
    assert user.municipality_ids() == {cast.a.pk}
    assert User().provider_ids == set()
