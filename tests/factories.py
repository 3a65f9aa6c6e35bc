"""factory_boy factories for every app. Deterministic where it matters (sequences)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kobling.courses.models import (
    CourseModule,
    CourseProvider,
    CourseRun,
    CourseTemplate,
    Enrolment,
    ProviderStaff,
    Qualification,
)
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.tenancy.choices import ProgrammeKind, Role
from kobling.tenancy.models import Membership, Municipality, Programme, User

PASSWORD = "test-password-123"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: f"{9000 + n}")
    name = factory.Sequence(lambda n: f"Kommune {n}")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    municipality = factory.SubFactory(MunicipalityFactory)
    kind = ProgrammeKind.TRENINGSKONTAKT
    name = "Treningskontakt"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.LazyAttribute(lambda u: u.username)
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Bruker{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def member(user: User, municipality: Municipality, role: str) -> User:
    Membership.objects.create(user=user, municipality=municipality, role=role)
    user.forget_memberships()
    return user


class HelperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Helper
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    municipality = factory.LazyAttribute(lambda h: h.programme.municipality)
    first_name = factory.Sequence(lambda n: f"Kari{n}")
    last_name = factory.Sequence(lambda n: f"Nordmann{n}")
    email = factory.Sequence(lambda n: f"kontakt{n}@example.test")
    postcode = "6800"
    home_area = "Sentrum"
    capacity = 2
    hourly_rate = Decimal("150.00")
    status = HelperStatus.APPLICANT
    birth_year = 1990


class CourseProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseProvider

    name = factory.Sequence(lambda n: f"Idrettskrets {n}")
    kind = "sports_council"


class CourseTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseTemplate
        skip_postgeneration_save = True

    provider = factory.SubFactory(CourseProviderFactory)
    code = factory.Sequence(lambda n: f"kurs-{n}")
    name = factory.Sequence(lambda n: f"Grunnkurs {n}")

    @factory.post_generation
    def modules(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted is None:
            CourseModule.objects.create(
                template=obj, position=1, title="Treningslære", hours=Decimal("10")
            )
            CourseModule.objects.create(
                template=obj, position=2, title="Psykisk helse", hours=Decimal("8")
            )


class CourseRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRun

    template = factory.SubFactory(CourseTemplateFactory)
    provider = factory.LazyAttribute(lambda r: r.template.provider)
    programme = factory.SubFactory(ProgrammeFactory)
    municipality = factory.LazyAttribute(lambda r: r.programme.municipality)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=28))


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    run = factory.SubFactory(CourseRunFactory)
    helper = factory.SubFactory(HelperFactory)
    municipality = factory.LazyAttribute(lambda e: e.helper.municipality)


def qualify(helper: Helper, *, on: dt.date | None = None) -> Qualification:
    """Give ``helper`` a qualification for their programme (as if a course was completed)."""
    template = CourseTemplateFactory()
    return Qualification.objects.create(
        helper=helper,
        municipality=helper.municipality,
        programme=helper.programme,
        template=template,
        qualified_on=on or timezone.localdate() - dt.timedelta(days=10),
    )


def make_active(helper: Helper) -> Helper:
    """Put a helper straight into a valid active state (test setup, bypassing the lifecycle)."""
    qualify(helper)
    today = timezone.localdate()
    helper.police_certificate_date = today - dt.timedelta(days=100)
    helper.police_certificate_expires = today + dt.timedelta(days=900)
    helper.status = HelperStatus.ACTIVE
    helper.availability_confirmed_at = timezone.now()
    helper.save()
    return helper


def provider_staff(user: User, provider: CourseProvider) -> User:
    ProviderStaff.objects.create(user=user, provider=provider)
    user.forget_memberships()
    return user


__all__ = ["Role"]


# --- courses (appended) ---------------------------------------------------------------------


def shared_template(code: str) -> CourseTemplate:
    """One of the shared templates seeded by the courses migration."""
    return CourseTemplate.objects.get(provider=None, code=code)


def attend_all(enrolment: Enrolment) -> Enrolment:
    """Mark every module of the enrolment's course as attended (test setup, not the service)."""
    from kobling.courses.models import ModuleAttendance

    for module in enrolment.run.template.modules.all():
        ModuleAttendance.objects.update_or_create(
            enrolment=enrolment, module=module, defaults={"attended": True}
        )
    return enrolment


# --- referrals, matching, follow-up -------------------------------------------------------------

from kobling.referrals.models import Participant, Referral  # noqa: E402


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    municipality = factory.SubFactory(MunicipalityFactory)
    # A valid-looking D-number is not needed for most tests: people are identified by an
    # alternative unless a test sets national_id.
    alternative_id = "other"
    alternative_id_note = "Testperson"
    first_name = factory.Sequence(lambda n: f"Per{n}")
    last_name = factory.Sequence(lambda n: f"Deltaker{n}")
    birth_date = dt.date(1985, 5, 17)
    postcode = "6800"
    home_area = "Sentrum"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    programme = factory.SubFactory(ProgrammeFactory)
    municipality = factory.LazyAttribute(lambda r: r.programme.municipality)
    participant = factory.LazyAttribute(lambda r: ParticipantFactory(municipality=r.municipality))
    source = "gp"
    goals = "Komme meg ut og gå tur hver uke"
