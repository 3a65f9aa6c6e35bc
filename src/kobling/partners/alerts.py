"""The "agreement needs a look" alert on the coordinators' alerts page (kobling.core.alerts):
agreements that end within 60 days or whose review date has come. Registered in
``PartnersConfig.ready``. One query however many agreements."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core.alerts import KIND_LABELS, Alert
from kobling.partners.choices import AgreementStatus
from kobling.partners.selectors import agreements_needing_attention

AGREEMENT_DUE = "agreement_due"
KIND_LABELS.setdefault(AGREEMENT_DUE, gettext_lazy("Partner agreement to follow up"))


def _day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def agreement_due_provider(municipality_ids: list[int], today: dt.date) -> list[Alert]:
    """Valid agreements ending within 60 days or past their review date, soonest first."""
    alerts = []
    for agreement in agreements_needing_attention(municipality_ids, today):
        partner = agreement.partner
        if agreement.status_on(today) == AgreementStatus.REVIEW_DUE:
            since = agreement.review_on
            text = _("The %(kind)s was to be reviewed on %(day)s.") % {
                "kind": str(agreement.get_kind_display()).lower(),
                "day": _day(since),
            }
        else:
            since = agreement.ends_on
            text = _("The %(kind)s ends on %(day)s.") % {
                "kind": str(agreement.get_kind_display()).lower(),
                "day": _day(since),
            }
        alerts.append(
            Alert(
                AGREEMENT_DUE,
                None,
                since,
                text,
                subject=f"{partner.name} · {agreement.municipality.name}",
                url=reverse("web:partner_detail", args=[partner.pk]),
            )
        )
    return sorted(alerts, key=lambda a: (a.since, a.subject))
