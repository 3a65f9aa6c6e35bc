from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    SPORTS_COUNCIL = "sports_council", _("Sports council (idrettskrets)")
    SPECIALIST_HEALTH = "specialist_health", _("Specialist health service (DPS)")
    MUNICIPALITY = "municipality", _("The municipality")
    ORGANISATION = "organisation", _("Organisation")


class LeaderEducation(models.TextChoices):
    NONE = "none", _("None")
    INTERNAL_COURSE = "internal_course", _("Internal course")
    HIGHER_EDUCATION = "higher_education", _("Higher education")
    HIGHER_SPORTS_EDUCATION = "higher_sports_education", _("Higher sports education")


class CourseLevel(models.TextChoices):
    BASIC = "basic", _("Basic course")
    FOLLOW_UP = "follow_up", _("Follow-up course")
    LIGHT = "light", _("Light course")


class RunStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Not passed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AssessmentResult(models.TextChoices):
    NONE = "", _("Not assessed")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")
