"""The work list on the home page: for each role, what is waiting for the user, as counts that
link to the lists that show those very rows. One query per line (a count or an aggregate),
whatever the size of the data; the alerts and the reviews due take their own fixed few."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kobling.tenancy.choices import MANAGER_ROLES, Role

# How far back a decision counts as new for the referrer, and an unconfirmed session is still
# worth asking the participant about.
RECENT_DAYS = 14


@dataclass(frozen=True)
class WorkItem:
    key: str
    label: str
    count: int
    url: str
    note: str = ""


def _url(name: str, **query: Any) -> str:
    base = reverse(f"web:{name}")
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def coordinator_items(user: Any, today: dt.date) -> list[WorkItem]:
    """Referrals awaiting a decision, people waiting (and the longest wait), proposals to
    confirm, alerts, timesheets of ended months to approve, reviews due."""
    from kobling.core.alerts import alerts_for
    from kobling.followup.models import Pairing
    from kobling.matching.choices import ProposalStatus
    from kobling.matching.models import Proposal
    from kobling.outcomes.selectors import reviews_due
    from kobling.pay.choices import TimesheetStatus
    from kobling.pay.models import Timesheet
    from kobling.referrals.choices import ReferralStatus
    from kobling.referrals.models import Referral

    managed = sorted(user.municipality_ids(*MANAGER_ROLES))
    if not managed:
        return []
    referrals = Referral.objects.filter(municipality__in=managed)
    counts = referrals.aggregate(
        awaiting=Count(
            "pk", filter=Q(status__in=[ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO])
        ),
        waiting=Count("pk", filter=Q(status=ReferralStatus.WAITING)),
        first_granted=Min("granted_at", filter=Q(status=ReferralStatus.WAITING)),
    )
    longest = (
        (today - timezone.localtime(counts["first_granted"]).date()).days
        if counts["first_granted"]
        else None
    )
    proposals = Proposal.objects.filter(
        municipality__in=managed, status=ProposalStatus.PROPOSED
    ).count()
    first_of_month = today.replace(day=1)
    timesheets = Timesheet.objects.filter(
        municipality__in=managed, status=TimesheetStatus.OPEN, month__lt=first_of_month
    ).aggregate(n=Count("pk"), oldest=Min("month"))
    reviews = len(reviews_due(Pairing.objects.filter(municipality__in=managed), today))
    alerts = len(alerts_for(user, managed, today=today))
    return [
        WorkItem(
            "awaiting_decision",
            _("Referrals awaiting a decision"),
            counts["awaiting"],
            _url("referral_list", status=[ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO]),
        ),
        WorkItem(
            "waiting",
            _("Granted and waiting for a contact"),
            counts["waiting"],
            _url("waiting_list"),
            ngettext("longest wait %(n)d day", "longest wait %(n)d days", longest) % {"n": longest}
            if longest is not None
            else "",
        ),
        WorkItem("proposals", _("Proposals to confirm"), proposals, _url("matching")),
        WorkItem("alerts", _("Alerts"), alerts, _url("alerts")),
        WorkItem(
            "timesheets",
            _("Timesheets of ended months to approve"),
            timesheets["n"],
            _url("pay_month", month=f"{timesheets['oldest']:%Y-%m}")
            if timesheets["oldest"]
            else _url("pay_month"),
        ),
        WorkItem("reviews_due", _("Reviews due"), reviews, _url("alerts")),
    ]


def contact_items(user: Any, today: dt.date) -> list[WorkItem]:
    """The contact's participants, the sessions logged today, and held sessions of the last
    weeks that the participant has not confirmed yet."""
    from kobling.followup.choices import OPEN_PAIRING_STATUSES, SessionStatus
    from kobling.followup.models import Pairing, Session

    contact_in = sorted(user.municipality_ids(Role.TRAINING_CONTACT))
    if not contact_in:
        return []
    mine = {"helper__user": user, "municipality__in": contact_in}
    participants = Pairing.objects.filter(
        status__in=[s.value for s in OPEN_PAIRING_STATUSES], **mine
    ).count()
    sessions = (
        Session.objects.current()
        .filter(**mine)
        .aggregate(
            today=Count("pk", filter=Q(date=today)),
            unconfirmed=Count(
                "pk",
                filter=Q(
                    status=SessionStatus.HELD,
                    confirmed_at__isnull=True,
                    date__gte=today - dt.timedelta(days=RECENT_DAYS),
                ),
            ),
        )
    )
    where = _url("my_participants")
    found = [
        WorkItem("participants", _("Participants you meet"), participants, where),
        WorkItem("sessions_today", _("Sessions logged today"), sessions["today"], where),
        WorkItem(
            "unconfirmed",
            _("Sessions not yet confirmed by the participant"),
            sessions["unconfirmed"],
            where,
        ),
    ]
    return found + group_leader_items(user, today)


def group_leader_items(user: Any, today: dt.date) -> list[WorkItem]:
    """For a helper who leads groups (or substitutes): meetings up to today whose attendance
    is not recorded yet. Nothing at all for helpers who lead none. One query."""
    from kobling.groups.choices import MeetingStatus
    from kobling.groups.models import Meeting

    led = Meeting.objects.filter(
        Q(offer__leaders__user=user) | Q(substitute__user=user), offer__is_active=True
    ).aggregate(
        groups=Count("offer", distinct=True),
        to_record=Count(
            "pk", filter=Q(status=MeetingStatus.PLANNED, date__lte=today), distinct=True
        ),
    )
    if not led["groups"]:
        return []
    return [
        WorkItem(
            "group_meetings",
            _("Group meetings waiting for attendance"),
            led["to_record"],
            _url("group_offer_list"),
        )
    ]


def referrer_items(user: Any, today: dt.date) -> list[WorkItem]:
    """New decisions on the user's referrals, reports they may read, and referrals still
    awaiting a decision."""
    from kobling.followup.models import Pairing
    from kobling.referrals.choices import ReferralStatus
    from kobling.referrals.models import Decision, Referral

    referrer_in = sorted(user.municipality_ids(Role.REFERRER))
    if not referrer_in:
        return []
    mine = Referral.objects.filter(referrer=user, municipality__in=referrer_in)
    awaiting = mine.filter(status__in=[ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO]).count()
    decisions = Decision.objects.filter(
        referral__in=mine, decided_on__gte=today - dt.timedelta(days=RECENT_DAYS)
    ).count()
    # The pairings the referrer may follow: Pairing.visibility_q (consent in force).
    reports = (
        Pairing.objects.visible_to(user)
        .filter(referral__referrer=user, municipality__in=referrer_in)
        .count()
    )
    where = _url("my_referrals")
    return [
        WorkItem("new_decisions", _("Decisions in the last two weeks"), decisions, where),
        WorkItem("reports", _("Reports you can read"), reports, where),
        WorkItem(
            "awaiting_decision_mine", _("Your referrals awaiting a decision"), awaiting, where
        ),
    ]


def work_list(user: Any, today: dt.date | None = None) -> list[tuple[str, list[WorkItem]]]:
    """``[(heading, items)]`` for each role the user has."""
    today = today or timezone.localdate()
    sections = [
        (_("Coordination"), coordinator_items(user, today)),
        (_("Your participants"), contact_items(user, today)),
        (_("Your referrals"), referrer_items(user, today)),
    ]
    return [(heading, items) for heading, items in sections if items]
