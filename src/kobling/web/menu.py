"""The main menu per role, in one place: links grouped under a few headings (people, the
participant's course, follow-up, money, evaluation, administration) so the coordinator's dozen
destinations fit on one row at 1366 px. A group with a single link is shown as that link. The
roles come from the tenancy context processor's flags; the template renders the groups as
<details> disclosures (keyboard-operable without script)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kobling.core.templatetags.lists import address


@dataclass
class Link:
    label: str
    url: str
    current: bool = False


@dataclass
class Group:
    label: str
    key: str
    links: list[Link] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def _is_current(url: str, path: str) -> bool:
    return path == url or (url != "/" and path.startswith(url))


def main_menu(flags: Mapping[str, Any], path: str) -> list[Link | Group]:
    """The menu for a user with the given role flags (``is_manager``, ``is_training_contact``,
    …), as top-level links and groups, in order. The current page is marked (the longest
    matching link only, so /kontakter/oversikt/ does not also mark /kontakter/)."""
    manager = bool(flags.get("is_manager"))
    contact = bool(flags.get("is_training_contact"))
    referrer = bool(flags.get("is_referrer"))
    provider = bool(flags.get("is_provider_staff"))
    activity_provider = bool(flags.get("is_activity_provider_staff"))
    analyst = bool(flags.get("is_analyst"))
    admin = bool(flags.get("is_municipal_admin"))
    clinician = bool(flags.get("is_clinician"))
    rehab_manager = bool(flags.get("is_rehab_unit_manager"))
    region_staff = bool(flags.get("is_region_staff"))
    workplace = bool(flags.get("is_workplace_coaching"))

    def link(label: str, name: str) -> Link:
        return Link(label, address(f"web:{name}"))

    people: list[Link] = []
    if contact:
        people.append(link(_("My participants"), "my_participants"))
    if manager:
        people += [
            link(_("Training contacts"), "helper_list"),
            link(_("Overview"), "helper_overview"),
            link(_("Supervision"), "supervision_home"),
        ]
    elif contact:
        people.append(link(_("My profile"), "helper_list"))
        people.append(link(_("My supervision"), "supervision_home"))
    if manager or provider:
        people.append(link(_("Courses"), "course_list"))
    if provider:
        people.append(link(_("Our trainees"), "provider_trainees"))
    if manager:
        people += [
            link(_("Partners"), "partner_list"),
            link(_("Premises"), "premises_list"),
            link(_("Meeting calendar"), "meeting_list"),
            link(_("Catalogue of offers"), "catalogue_manage"),
        ]
    if manager or activity_provider:
        people.append(link(_("Activity providers"), "provider_list"))
    if activity_provider:
        people += [
            link(_("Provider portal"), "provider_portal"),
            link(_("Today's participants"), "provider_phone"),
        ]

    course: list[Link] = []
    if referrer:
        course.append(link(_("My referrals"), "my_referrals"))
    if manager or referrer:
        course.append(link(_("Referrals"), "referral_list"))
    if manager:
        course += [
            link(pgettext("forløp", "Courses"), "episode_list"),
            link(_("Matching"), "matching"),
            link(_("Pairings"), "pairing_list"),
            link(_("Group offers"), "group_offer_list"),
        ]
    if manager or workplace:
        course.append(link(_("Workplace coaching"), "workplace_assignment_list"))

    followup: list[Link] = []
    if manager:
        followup = [
            link(_("Alerts"), "alerts"),
            link(_("After the end"), "followup_list"),
            link(_("Sent e-mails"), "outbox_list"),
        ]

    money: list[Link] = []
    if manager:
        money.append(link(_("Pay and expenses"), "pay_month"))
        money.append(link(_("Grants"), "grant_scheme_list"))
        money.append(link(_("Reimbursement claims"), "claim_list"))
    elif contact:
        money.append(link(_("My hours"), "my_hours"))
    if activity_provider and not manager:
        money.append(link(_("Reimbursement claims"), "claim_list"))

    evaluation: list[Link] = []
    if manager:
        evaluation.append(link(_("Evaluation"), "dashboard_home"))
    if analyst:
        evaluation += [
            link(_("National overview"), "national_overview"),
            link(_("Public-health profiles"), "profiles_compare"),
            link(_("Pilots"), "pilot_list"),
        ]
    if analyst or clinician or rehab_manager or region_staff:
        evaluation.append(link(_("Rehabilitation"), "rehab_participation"))
    if clinician or rehab_manager:
        evaluation.append(link(_("Rehabilitation register"), "rehab_unit_register"))

    administration: list[Link] = []
    if admin:
        administration = [
            link(_("Users"), "membership_list"),
            link(_("Settings"), "settings"),
            link(_("Audit log"), "audit_list"),
            link(_("Access-log review"), "access_review"),
            link(_("Research exports"), "research_export_list"),
        ]

    groups = [
        Group(pgettext("menu group", "People"), "people", people),
        Group(pgettext("menu group", "Referrals and pairs"), "course", course),
        Group(pgettext("menu group", "Follow-up"), "followup", followup),
        Group(pgettext("menu group", "Money"), "money", money),
        Group(pgettext("menu group", "Evaluation"), "evaluation", evaluation),
        Group(pgettext("menu group", "Administration"), "administration", administration),
    ]
    every = [item for g in groups for item in g.links]
    matching = [item for item in every if _is_current(item.url, path)]
    if matching:
        max(matching, key=lambda item: len(item.url)).current = True
    # Few links in all (a contact, a referrer, an analyst): a flat menu, no groups to open.
    if len(every) <= 4:
        return list(every)
    return [g.links[0] if len(g.links) == 1 else g for g in groups if g.links]
