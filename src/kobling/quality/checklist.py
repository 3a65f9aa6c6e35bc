"""The implementation-quality checklist (Meyers, Durlak & Wandersman 2012, as listed in
shared/DOMAIN.md §5): six domains, 20 items, each scored 0–3.

Defined in code, not in the database: the texts are translatable like every other string and
nothing needs seeding. An assessment stores the checklist ``version`` it was answered on and each
answer stores its item ``code``, so a later revision of the list (a new version with other items)
never changes what an old assessment meant. Never edit the items of a published version: add a
new :class:`Checklist` to ``CHECKLISTS`` instead."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MAX_SCORE = 3


class Score:
    """The 0–3 scale of every item."""

    NOT_IN_PLACE = 0
    STARTED = 1
    PARTLY = 2
    FULLY = 3

    CHOICES = (
        (NOT_IN_PLACE, _("0 – not in place")),
        (STARTED, _("1 – started")),
        (PARTLY, _("2 – partly in place")),
        (FULLY, _("3 – fully in place")),
    )


@dataclass(frozen=True)
class Item:
    code: str
    number: str  # "1.5", as printed beside the item
    text: str | Promise
    guidance: str | Promise  # what "in place" means for a treningskontakt scheme


@dataclass(frozen=True)
class Domain:
    code: str
    number: int
    title: str | Promise
    items: tuple[Item, ...]

    @property
    def max_points(self) -> int:
        return MAX_SCORE * len(self.items)


@dataclass(frozen=True)
class Checklist:
    version: str
    domains: tuple[Domain, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for domain in self.domains for item in domain.items)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def domain_of(self, code: str) -> Domain | None:
        return next((d for d in self.domains if any(i.code == code for i in d.items)), None)


def _domain(code: str, number: int, title: Promise, *items: tuple[str, Promise, Promise]) -> Domain:
    return Domain(
        code=code,
        number=number,
        title=title,
        items=tuple(
            Item(code=f"{code}.{key}", number=f"{number}.{n}", text=text, guidance=guidance)
            for n, (key, text, guidance) in enumerate(items, start=1)
        ),
    )


CHECKLIST = Checklist(
    version="mdw2012-1",
    domains=(
        _domain(
            "team",
            1,
            _("Implementation team"),
            (
                "steering_group",
                _("A steering group owns the scheme"),
                _(
                    "A named group (for example the head of health and care, the coordinator "
                    "and the sports council) meets at least once a year and decides the scheme's "
                    "goals, budget and changes."
                ),
            ),
            (
                "leaders",
                _("Leaders back the scheme"),
                _(
                    "The leaders the coordinator reports to know the scheme, put it in the "
                    "unit's plans and budget, and make room in the coordinator's position for it."
                ),
            ),
            (
                "specialists",
                _("Specialists take part"),
                _(
                    "People with the competence the participants need (mental health, substance "
                    "use, disability, physiotherapy) advise on referrals, courses and hard cases."
                ),
            ),
            (
                "advisory_council",
                _("Participants and partners are heard"),
                _(
                    "A user council, a partner forum or a yearly meeting lets participants, "
                    "contacts, referrers and partners say what works and what does not."
                ),
            ),
            (
                "roles",
                _("Roles are clear and not held by one person alone"),
                _(
                    "Coordination, course leadership, matching and pay approval each have a "
                    "named person and a deputy who knows the work, so the scheme survives when "
                    "someone leaves."
                ),
            ),
        ),
        _domain(
            "climate",
            2,
            _("Supportive climate"),
            (
                "enthusiasts",
                _("Enthusiasts are identified and supported"),
                _(
                    "The people who carry the scheme are known, have time set aside, a network "
                    "of peers, and are not left to do it on goodwill alone."
                ),
            ),
            (
                "need_and_benefits",
                _("The need and the benefits are communicated"),
                _(
                    "Referrers, leaders and politicians hear regularly who the scheme helps, how "
                    "many are waiting, and what it achieves and costs."
                ),
            ),
            (
                "resistance",
                _("Resistance is met"),
                _(
                    "Doubts (cost, redundancy with other offers, risk) are answered with facts "
                    "and dialogue rather than left to grow."
                ),
            ),
            (
                "anchoring",
                _("The scheme is anchored and has administrative support"),
                _(
                    "The scheme is written into the municipality's plans, has a lasting budget "
                    "line, and gets help with decisions, pay and records."
                ),
            ),
        ),
        _domain(
            "plan",
            3,
            _("Implementation plan"),
            (
                "task_list",
                _("There is a list of tasks"),
                _(
                    "What has to be done to run the scheme (recruiting and training contacts, "
                    "handling referrals, matching, follow-up, pay, reporting) is written down."
                ),
            ),
            (
                "timeline",
                _("There is a timeline"),
                _(
                    "The year's courses, check-ins, reviews and reports have dates, and the plan "
                    "is followed up."
                ),
            ),
            (
                "task_owners",
                _("Every task has an owner"),
                _("Each task in the plan has a named person responsible for it."),
            ),
        ),
        _domain(
            "training",
            4,
            _("Training and technical support"),
            (
                "needs",
                _("Training needs are assessed"),
                _(
                    "What contacts and coordinators need to learn is asked and used to plan "
                    "courses and refreshers, including the target groups the scheme serves."
                ),
            ),
            (
                "trainer_relations",
                _("Good relations with the trainers"),
                _(
                    "The municipality and the course provider (for example the sports council) "
                    "agree on content, dates and cost, and tell each other how trainees do."
                ),
            ),
            (
                "local_knowledge",
                _("Training uses local knowledge"),
                _(
                    "Courses include the local offers, partners and routines contacts will meet "
                    "(gyms, clubs, the healthy-life centre, how to report)."
                ),
            ),
            (
                "support",
                _("Contacts have support while they work"),
                _(
                    "Contacts know whom to call, get supervision and meet for exchange of "
                    "experience, and get help when a pair does not work."
                ),
            ),
        ),
        _domain(
            "cooperation",
            5,
            _("Cooperation between practitioners and developers"),
            (
                "quality_issues",
                _("Quality issues are raised and followed up"),
                _(
                    "Contacts, coordinators and course providers report what does not work, and "
                    "the report leads to changes in courses or routines."
                ),
            ),
            (
                "problem_solving",
                _("Problems are solved together"),
                _(
                    "When something goes wrong (drop-outs, long waits, a pair that fails) the "
                    "people involved meet and agree on what to do."
                ),
            ),
        ),
        _domain(
            "evaluation",
            6,
            _("Evaluation"),
            (
                "adherence",
                _("Delivery is checked against the model"),
                _(
                    "Someone checks that pairs meet as intended (regularly, physically active, "
                    "goals and reviews) and that contacts are trained as the scheme requires."
                ),
            ),
            (
                "dose",
                _("The dose actually delivered is known"),
                _(
                    "Sessions held versus planned, and how long pairs last, are counted and "
                    "looked at at least once a year."
                ),
            ),
        ),
    ),
)

CHECKLISTS: dict[str, Checklist] = {CHECKLIST.version: CHECKLIST}


def checklist_for(version: str) -> Checklist:
    """The checklist an assessment was answered on (KeyError for an unknown version)."""
    return CHECKLISTS[version]
