"""Writes to the catalogue. Managers (municipal admins, coordinators) make entries for their
municipality — from a programme, a group offer or a provider (a snapshot they edit before
publishing), or from scratch; an organisation's signed-in contact (the grants sign-in) enters
its own peer groups and courses. Only managers publish; an organisation's change takes its
entry off the public pages until a manager publishes it again. Every write bumps the public
cache's generation on commit (``selectors.bump_generation``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kobling.catalogue import selectors
from kobling.catalogue.choices import ORGANISATION_KINDS, JoinBy, OfferKind
from kobling.catalogue.models import CourseHandover, Offer
from kobling.core.versions import lock_versioned
from kobling.groups.models import GroupOffer
from kobling.helpers.models import TargetGroup
from kobling.partners.models import Partner
from kobling.providers.models import ActivityProvider
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import EligibilityRules, Episode
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme, User

# What an editor may set. ``kind``, the sources and the owner are fixed at creation.
OFFER_FIELDS = (
    "title",
    "summary",
    "prevention_level",
    "place",
    "times",
    "is_free",
    "cost",
    "join_by",
    "join_details",
    "contact_phone",
    "contact_email",
    "website",
    "programme",
)
ORGANISATION_FIELDS = tuple(f for f in OFFER_FIELDS if f != "programme")


def _check_fields(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )


def _snapshot(offer: Offer) -> dict[str, Any]:
    values = {f: getattr(offer, f"{f}_id" if f == "programme" else f) for f in OFFER_FIELDS}
    values["is_published"] = offer.is_published
    return values


def _clean(offer: Offer) -> None:
    offer.title = (offer.title or "").strip()
    if offer.is_free:
        offer.cost = ""
    if offer.programme_id and offer.programme.municipality_id != offer.municipality_id:
        raise ValidationError({"programme": _("Choose a programme of the offer's municipality.")})
    offer.full_clean()


def _changed() -> None:
    # Now (this transaction's own reads, and tests that never commit) and again on commit (a
    # search by another request between the two would otherwise cache the old rows under the
    # new generation).
    selectors.bump_generation()
    transaction.on_commit(selectors.bump_generation)


def _create(
    *,
    by: User | None,
    offer: Offer,
    target_groups: Iterable[TargetGroup] = (),
    note: str = "",
) -> Offer:
    _clean(offer)
    with transaction.atomic():
        offer.save()
        offer.target_groups.set(list(target_groups))
        changes = _snapshot(offer)
        if note:
            changes["by"] = note
        audit_log(user=by, action=AuditAction.CREATE, obj=offer, changes=changes)
        _changed()
    return offer


def offer_create(
    *,
    by: User,
    municipality: Municipality,
    kind: str,
    data: dict[str, Any],
    target_groups: Iterable[TargetGroup] = (),
    partner: Partner | None = None,
) -> Offer:
    """A manager's new entry (not yet published). A peer group or course names the
    organisation (a partner of the same municipality)."""
    _check_fields(data, OFFER_FIELDS)
    if partner is not None and partner.municipality_id != municipality.pk:
        raise ValidationError({"partner": _("Choose an organisation of the municipality.")})
    offer = Offer(municipality=municipality, kind=kind, partner=partner, created_by=by, **data)
    return _create(by=by, offer=offer, target_groups=target_groups)


def offer_create_for_organisation(
    *, contact: Any, kind: str, data: dict[str, Any], target_groups: Iterable[TargetGroup] = ()
) -> Offer:
    """An organisation's own peer group or course, entered by its signed-in contact
    (``grants.OrganisationContact``); the municipality publishes it."""
    _check_fields(data, ORGANISATION_FIELDS)
    if kind not in ORGANISATION_KINDS:
        raise ValidationError({"kind": _("An organisation offers peer groups and courses.")})
    offer = Offer(
        municipality_id=contact.municipality_id, kind=kind, partner_id=contact.partner_id, **data
    )
    return _create(
        by=None,
        offer=offer,
        target_groups=target_groups,
        note=f"organisation contact {contact.pk}",
    )


def _update(
    *,
    offer: Offer,
    by: User | None,
    data: dict[str, Any],
    target_groups: Iterable[TargetGroup] | None,
    expected_version: int | None,
    unpublish: bool,
    note: str = "",
) -> Offer:
    with transaction.atomic():
        locked = lock_versioned(Offer, offer, expected_version)
        before = _snapshot(locked)
        for name, value in data.items():
            setattr(locked, name, value)
        if unpublish:
            locked.is_published = False
        _clean(locked)
        locked.version += 1
        locked.save()
        if target_groups is not None:
            locked.target_groups.set(list(target_groups))
        changes = diff(before, _snapshot(locked))
        if note:
            changes["by"] = note
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
        _changed()
    return locked


def offer_update(
    *,
    offer: Offer,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    target_groups: Iterable[TargetGroup] | None = None,
) -> Offer:
    """A manager's change, from the version read (stale → ConflictError)."""
    _check_fields(data, OFFER_FIELDS)
    return _update(
        offer=offer,
        by=by,
        data=data,
        target_groups=target_groups,
        expected_version=expected_version,
        unpublish=False,
    )


def offer_update_for_organisation(
    *,
    offer: Offer,
    contact: Any,
    data: dict[str, Any],
    expected_version: int | None,
    target_groups: Iterable[TargetGroup] | None = None,
) -> Offer:
    """The organisation's change to its own entry. It leaves the public pages until a manager
    publishes it again: the municipality publishes what it has read."""
    if offer.partner_id != contact.partner_id or offer.municipality_id != contact.municipality_id:
        raise ValidationError(_("This offer is not your organisation's."))
    _check_fields(data, ORGANISATION_FIELDS)
    return _update(
        offer=offer,
        by=None,
        data=data,
        target_groups=target_groups,
        expected_version=expected_version,
        unpublish=True,
        note=f"organisation contact {contact.pk}",
    )


def offer_publish(*, offer: Offer, by: User, publish: bool, expected_version: int | None) -> Offer:
    """Put an entry on the public pages, or take it off."""
    with transaction.atomic():
        locked = lock_versioned(Offer, offer, expected_version)
        before = locked.is_published
        locked.is_published = publish
        _clean(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"is_published": [before, publish]},
        )
        _changed()
    return locked


def _weekly_times(group: GroupOffer) -> str:
    from django.utils.formats import time_format

    return ", ".join(
        f"{t.get_weekday_display()} {time_format(t.start_time, 'H:i')} ({t.minutes} min)"
        for t in group.times.all()
    )


def offer_from_source(*, by: User, source: Programme | GroupOffer | ActivityProvider) -> Offer:
    """A draft entry made from the municipality's own data: a programme, a group offer or a
    provider. It copies what is public by nature (name, place, weekly times, sites and opening
    hours, the programme's target groups) and never a person: no leader, no trainer, no
    contact person's name. The manager completes and publishes it."""
    municipality_id = source.municipality_id
    target_groups: list[TargetGroup] = []
    data: dict[str, Any] = {"title": source.name if hasattr(source, "name") else str(source)}
    if isinstance(source, Programme):
        kind = OfferKind.PROGRAMME
        data.update(programme=source, join_by=JoinBy.REFER, summary=source.get_kind_display())
        rules = EligibilityRules.objects.filter(programme=source).first()
        if rules is not None:
            target_groups = list(rules.target_groups.all())
    elif isinstance(source, GroupOffer):
        kind = OfferKind.GROUP
        venue = source.venue.name if source.venue_id else ""
        data.update(
            title=source.title,
            summary=source.get_topic_display(),
            programme=source.programme,
            group_offer=source,
            place=", ".join(p for p in (venue, source.place) if p),
            times=_weekly_times(source),
            join_by=JoinBy.COME if source.is_drop_in else JoinBy.REFER,
        )
    elif isinstance(source, ActivityProvider):
        kind = OfferKind.PROVIDER
        sites = [s for s in source.sites.all() if s.is_active]
        data.update(
            summary=source.get_kind_display(),
            provider=source,
            place="; ".join(
                f"{s.street_address}, {s.postcode} {s.post_town}".strip() for s in sites
            ),
            times="; ".join(s.opening_hours for s in sites if s.opening_hours)[:300],
            join_by=JoinBy.REFER,
            contact_phone=source.contact_phone,
            contact_email=source.contact_email,
        )
    else:  # pragma: no cover - typed
        raise TypeError(source)
    offer = Offer(municipality_id=municipality_id, kind=kind, created_by=by, **data)
    offer.place = offer.place[:200]
    # A draft: the prevention level is the manager's to choose before it is published.
    offer.prevention_level = offer.prevention_level or ""
    with transaction.atomic():
        offer.full_clean(exclude=["prevention_level", "summary"])
        offer.save()
        offer.target_groups.set(target_groups)
        audit_log(user=by, action=AuditAction.CREATE, obj=offer, changes=_snapshot(offer))
        _changed()
    return offer


def handover_set(*, episode: Episode, offer: Offer, by: User) -> CourseHandover:
    """Point an ended course's hand-over to a published catalogue offer (any municipality's:
    a person may move on to an offer next door). Setting it again replaces it."""
    if episode.status != EpisodeStatus.ENDED:
        raise ValidationError({"offer": _("Only an ended course is handed over.")})
    if not offer.is_published:
        raise ValidationError({"offer": _("Choose an offer that is published in the catalogue.")})
    with transaction.atomic():
        handover, created = CourseHandover.objects.update_or_create(
            episode=episode,
            defaults={"offer": offer, "made_by": by, "municipality_id": episode.municipality_id},
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=handover,
            changes={"episode": episode.pk, "offer": offer.pk},
        )
    return handover
