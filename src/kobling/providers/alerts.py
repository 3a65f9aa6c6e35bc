"""The "placement not answered" alert on the coordinators' alerts page (kobling.core.alerts): a
placement the provider has neither accepted nor declined by its answer date. One query however
many placements."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.alerts import KIND_LABELS, Alert
from kobling.providers.choices import PlacementStatus
from kobling.providers.models import Placement

PLACEMENT_UNANSWERED = "placement_unanswered"
KIND_LABELS.setdefault(PLACEMENT_UNANSWERED, gettext_lazy("Placement not answered by the provider"))


def placement_unanswered(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Pending placements past their answer date, oldest first."""
    late = (
        Placement.objects.filter(
            municipality_id__in=municipality_ids,
            status=PlacementStatus.PENDING,
            answer_by__lt=today,
        )
        .select_related("provider", "episode__participant")
        .order_by("answer_by", "pk")
    )
    return [
        Alert(
            PLACEMENT_UNANSWERED,
            None,
            p.answer_by,
            _("%(provider)s was to answer by %(day)s.")
            % {"provider": p.provider.name, "day": date_format(p.answer_by, "SHORT_DATE_FORMAT")},
            subject=p.episode.participant.full_name,
            url=reverse("web:episode_timeline", args=[p.episode_id]),
            episode=p.episode,
        )
        for p in late
    ]
