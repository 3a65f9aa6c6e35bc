"""The alert for the coordinators' alerts page (registered in SupportConfig.ready):
``no_supervision`` — an active helper who has had no supervision for longer than their
programme's ``alert_weeks`` (DOMAIN §3 item 7: supervision is asked for and rarely given). A
helper never supervised counts from when they became active. Two queries however many
helpers there are."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.alerts import KIND_LABELS, Alert
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.support.choices import EntryKind
from kobling.support.models import SupervisionSettings

NO_SUPERVISION = "no_supervision"
DEFAULT_ALERT_WEEKS = SupervisionSettings._meta.get_field("alert_weeks").default

KIND_LABELS[NO_SUPERVISION] = gettext_lazy("Helper without supervision")


def no_supervision(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    helpers = list(
        Helper.objects.filter(
            municipality_id__in=list(municipality_ids), status=HelperStatus.ACTIVE
        )
        .annotate(
            last=Max(
                "supervision_entries__date",
                filter=~Q(supervision_entries__kind=EntryKind.CORRECTION)
                & Q(supervision_entries__correction__isnull=True),
            )
        )
        .order_by("last_name", "first_name", "pk")
    )
    weeks = dict(
        SupervisionSettings.objects.filter(
            programme_id__in={h.programme_id for h in helpers}
        ).values_list("programme_id", "alert_weeks")
    )
    found: list[Alert] = []
    for helper in helpers:
        limit = weeks.get(helper.programme_id, DEFAULT_ALERT_WEEKS)
        if not limit:
            continue
        since = helper.last or helper.status_since.date()
        if since > today - dt.timedelta(weeks=limit):
            continue
        text = (
            _("No supervision since %(date)s.") % {"date": helper.last.strftime("%d.%m.%Y")}
            if helper.last
            else _("No supervision recorded since the helper became active.")
        )
        found.append(
            Alert(
                kind=NO_SUPERVISION,
                pairing=None,
                since=since,
                text=text,
                subject=helper.full_name,
                url=reverse("web:supervision_helper", args=[helper.pk]),
            )
        )
    found.sort(key=lambda a: a.since or today)
    return found
