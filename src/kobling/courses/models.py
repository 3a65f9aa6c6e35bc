"""Course providers and their staff, course templates made of modules, runs, enrolments with
attendance per module, and the qualifications that completion gives."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kobling.courses.choices import (
    AssessmentResult,
    CourseLevel,
    EnrolmentStatus,
    LeaderEducation,
    ProviderKind,
    RunStatus,
)
from kobling.tenancy.choices import MANAGER_ROLES, ProgrammeKind, Role
from kobling.tenancy.scoping import ScopedManager, any_of, in_municipalities


class CourseProvider(models.Model):
    """An organisation that trains helpers: a sports council, a DPS, the municipality itself, or a
    voluntary organisation. Not owned by one municipality: a sports council serves many."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=ProviderKind.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    home_municipality = models.ForeignKey(
        "tenancy.Municipality",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("home municipality"),
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("course provider")
        verbose_name_plural = _("course providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        staff = Q(pk__in=sorted(user.provider_ids)) if user.provider_ids else None
        if action == "view":
            # Every municipal manager may see the provider directory to commission courses.
            managers = Q(pk__isnull=False) if user.municipality_ids(*MANAGER_ROLES) else None
            return any_of(staff, managers)
        return staff


class ProviderStaff(models.Model):
    """A user who works for a course provider. Sees only the helpers the provider trained."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_staff",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        CourseProvider, on_delete=models.CASCADE, related_name="staff", verbose_name=_("provider")
    )

    class Meta:
        verbose_name = _("provider staff")
        verbose_name_plural = _("provider staff")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="provider_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class CourseTemplate(models.Model):
    """A course design: modules with hours, the programme kind it qualifies for. Templates with no
    provider are the shared seeds (the original 40 h course, the 20 h follow-up, a light version)."""

    provider = models.ForeignKey(
        CourseProvider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="templates",
        verbose_name=_("provider"),
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=160)
    level = models.CharField(
        _("level"), max_length=20, choices=CourseLevel.choices, default=CourseLevel.BASIC
    )
    programme_kind = models.CharField(
        _("qualifies for"),
        max_length=40,
        choices=ProgrammeKind.choices,
        default=ProgrammeKind.TRENINGSKONTAKT,
    )
    qualifies = models.BooleanField(_("gives a qualification"), default=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("course template")
        verbose_name_plural = _("course templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="course_template_unique_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_hours(self) -> Decimal:
        return sum((m.hours for m in self.modules.all()), Decimal("0"))

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        staff = Q(provider__in=sorted(user.provider_ids)) if user.provider_ids else None
        if action == "view":
            managers = Q(pk__isnull=False) if user.municipality_ids(*MANAGER_ROLES) else None
            seeds = Q(provider__isnull=True) if user.provider_ids else None
            return any_of(staff, managers, seeds)
        return staff


class CourseModule(models.Model):
    """A part of a course template with its hours (e.g. "Psychiatry", 8 h)."""

    template = models.ForeignKey(
        CourseTemplate, on_delete=models.CASCADE, related_name="modules", verbose_name=_("course")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=120)
    hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )

    class Meta:
        verbose_name = _("course module")
        verbose_name_plural = _("course modules")
        ordering = ["template", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0),
                name="course_module_hours_positive",
                violation_error_message=_("Hours must be positive."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.hours} h)"


class CourseRun(models.Model):
    """One delivery of a course: dates, place, capacity, price and cost, and the course leader.
    Commissioned by one municipality (which bears its cost)."""

    template = models.ForeignKey(
        CourseTemplate, on_delete=models.PROTECT, related_name="runs", verbose_name=_("course")
    )
    provider = models.ForeignKey(
        CourseProvider, on_delete=models.PROTECT, related_name="runs", verbose_name=_("provider")
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="course_runs",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="course_runs",
        verbose_name=_("programme"),
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    place = models.CharField(_("place"), max_length=160, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=20)
    price_for_trainee = models.DecimalField(
        _("price for the trainee (NOK)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    cost_to_municipality = models.DecimalField(
        _("cost to the municipality (NOK)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    leader_name = models.CharField(_("course leader"), max_length=120, blank=True)
    leader_education = models.CharField(
        _("course leader's education"), max_length=30, choices=LeaderEducation.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.PLANNED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("course run")
        verbose_name_plural = _("course runs")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="course_run_ends_after_start",
                violation_error_message=_("The course cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(price_for_trainee__gte=0),
                name="course_run_price_not_negative",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(cost_to_municipality__gte=0),
                name="course_run_cost_not_negative",
                violation_error_message=_("The cost cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} {self.starts_on:%d.%m.%Y}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        # Field-level messages for the rules the check constraints also enforce, so forms and
        # the API can point at the field.
        errors: dict[str, str] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The course cannot end before it starts.")
        if self.capacity is not None and self.capacity < 1:
            errors["capacity"] = _("A course run needs room for at least one trainee.")
        if (
            self.programme_id
            and self.municipality_id
            and self.programme.municipality_id != self.municipality_id
        ):
            errors["programme"] = _("The programme belongs to another municipality.")
        if self.template_id and self.provider_id:
            if self.template.provider_id not in (None, self.provider_id):
                errors["template"] = _("The course belongs to another provider.")
            elif (
                self.programme_id
                and self.template.qualifies
                and self.template.programme_kind != self.programme.kind
            ):
                errors["programme"] = _(
                    "The course qualifies for %(kind)s, not for this programme."
                ) % {"kind": self.template.get_programme_kind_display()}
        if errors:
            raise ValidationError(errors)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        staff = Q(provider__in=sorted(user.provider_ids)) if user.provider_ids else None
        return any_of(in_municipalities(user, MANAGER_ROLES), staff)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        return user.is_manager_of(self.municipality_id) or self.provider_id in user.provider_ids


class Enrolment(models.Model):
    """A helper on a course run, with attendance per module and the assessment result."""

    run = models.ForeignKey(
        CourseRun, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("course run")
    )
    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("helper"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
    )
    assessment_result = models.CharField(
        _("assessment"), max_length=10, choices=AssessmentResult.choices, blank=True, default=""
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    completed_on = models.DateField(_("completed"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["run", "helper__last_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "helper"],
                name="enrolment_unique",
                violation_error_message=_("The helper is already enrolled on this course run."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.helper} — {self.run}"

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        staff = Q(run__provider__in=sorted(user.provider_ids)) if user.provider_ids else None
        own = (
            Q(helper__user=user)
            if (action == "view" and user.municipality_ids(Role.TRAINING_CONTACT))
            else None
        )
        return any_of(in_municipalities(user, MANAGER_ROLES), staff, own)

    def permits(self, user, action: str) -> bool:  # noqa: ANN001
        if user.is_manager_of(self.municipality_id) or self.run.provider_id in user.provider_ids:
            return True
        return action == "view" and self.helper.user_id == user.pk

    @property
    def is_open(self) -> bool:
        """Attendance and assessment can still be recorded."""
        return self.status in {EnrolmentStatus.ENROLLED, EnrolmentStatus.FAILED}


class ModuleAttendance(models.Model):
    """Whether an enrolled helper attended one module of the run."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("enrolment")
    )
    module = models.ForeignKey(
        CourseModule, on_delete=models.PROTECT, related_name="+", verbose_name=_("module")
    )
    attended = models.BooleanField(_("attended"), default=False)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("module attendance")
        verbose_name_plural = _("module attendance")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "module"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}/{self.module_id}: {self.attended}"


class Qualification(models.Model):
    """What completing a qualifying course gives a helper: which course, when, and which programme
    it qualifies them for. Programmes may require one before a helper can become active."""

    helper = models.ForeignKey(
        "helpers.Helper",
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("helper"),
    )
    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "tenancy.Programme",
        on_delete=models.PROTECT,
        related_name="qualifications",
        verbose_name=_("programme"),
    )
    enrolment = models.OneToOneField(
        Enrolment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qualification",
        verbose_name=_("from enrolment"),
    )
    template = models.ForeignKey(
        CourseTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("course")
    )
    qualified_on = models.DateField(_("qualified on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["-qualified_on", "-id"]

    def __str__(self) -> str:
        return f"{self.helper}: {self.template} ({self.qualified_on:%d.%m.%Y})"

    def is_valid_on(self, day) -> bool:  # noqa: ANN001
        return self.qualified_on <= day and (self.valid_until is None or self.valid_until >= day)

    @classmethod
    def visibility_q(cls, user, action: str) -> Q | None:  # noqa: ANN001
        staff = (
            Q(enrolment__run__provider__in=sorted(user.provider_ids)) if user.provider_ids else None
        )
        own = (
            Q(helper__user=user)
            if (action == "view" and user.municipality_ids(Role.TRAINING_CONTACT))
            else None
        )
        managers = in_municipalities(user, MANAGER_ROLES)
        if action != "view":
            return managers
        return any_of(managers, staff, own)
