"""Reads about courses and qualifications."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kobling.courses.models import Qualification


def helper_has_valid_qualification(*, helper, programme, day: dt.date) -> bool:  # noqa: ANN001
    return (
        Qualification.objects.filter(helper=helper, programme=programme, qualified_on__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .exists()
    )
