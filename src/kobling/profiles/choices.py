from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """How a unit scores on an indicator of its public-health profile, compared with the national
    average (FHI's colour coding)."""

    BETTER = "better", _("Better than the national average")
    SAME = "same", _("Not different from the national average")
    WORSE = "worse", _("Worse than the national average")
