"""Writes to the partner register. Views, the API and the demo all come here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.core.access import require_manager
from kobling.core.versions import lock_versioned
from kobling.lib.errors import ConflictError
from kobling.partners.choices import MAX_RECURRING_WEEKS, BookingStatus, KeyAction
from kobling.partners.models import (
    Agreement,
    Booking,
    IncidentNote,
    KeyLogEntry,
    Meeting,
    MeetingInvitation,
    Partner,
    PartnerSettings,
    Premises,
)
from kobling.partners.organisations import SignedInOrganisation
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import Municipality, Programme, User

PARTNER_FIELDS: tuple[str, ...] = (
    "name",
    "organisation_number",
    "kind",
    "prevention_level",
    "contact_name",
    "contact_phone",
    "contact_email",
    "municipal_contact",
    "is_active",
)
AGREEMENT_FIELDS: tuple[str, ...] = (
    "kind",
    "starts_on",
    "ends_on",
    "review_on",
    "covers",
    "clauses",
)
AGREEMENT_M2M = ("premises",)


def _check_fields(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )


def _partner_snapshot(partner: Partner) -> dict[str, Any]:
    data = {field: getattr(partner, field) for field in PARTNER_FIELDS}
    if partner.pk:
        data["programmes"] = sorted(partner.programmes.values_list("pk", flat=True))
    return data


def _check_partner(partner: Partner, programmes: list[Programme] | None) -> None:
    """Field rules, the duplicate name (in the user's language, on the name field) and the
    programmes (the partner's own municipality's)."""
    errors: dict[str, list[str]] = {}
    # Normalised before the field checks: "988 077 917" is a fine way to type a number.
    partner.name = (partner.name or "").strip()
    partner.organisation_number = "".join((partner.organisation_number or "").split())
    try:
        partner.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    if partner.name and "name" not in errors:
        same = Partner.objects.filter(
            municipality_id=partner.municipality_id, name__iexact=partner.name
        ).exclude(pk=partner.pk)
        if same.exists():
            errors["name"] = [_("The municipality already has a partner by this name.")]
    contact = partner.municipal_contact
    if contact is not None and not contact.is_manager_of(partner.municipality_id):
        errors["municipal_contact"] = [
            _("Choose a coordinator or administrator of the partner's municipality.")
        ]
    if programmes is not None and any(
        p.municipality_id != partner.municipality_id for p in programmes
    ):
        errors["programmes"] = [_("Choose programmes of the partner's own municipality.")]
    if errors:
        raise ValidationError(errors)


def partner_create(
    *,
    by: User | None,
    municipality: Municipality,
    data: dict[str, Any],
    programmes: Iterable[Programme] | None = None,
) -> Partner:
    """Register a partner. Validates every field; nothing is saved on error."""
    _check_fields(data, PARTNER_FIELDS)
    chosen = list(programmes) if programmes is not None else None
    partner = Partner(municipality=municipality, **data)
    _check_partner(partner, chosen)
    with transaction.atomic():
        partner.save()
        if chosen:
            partner.programmes.set(chosen)
        audit_log(
            user=by, action=AuditAction.CREATE, obj=partner, changes=_partner_snapshot(partner)
        )
    return partner


def _lock(model: type, obj: Any, expected_version: int | None) -> Any:
    locked = model.objects.select_for_update().get(pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "%(name)s was changed by someone else while you were editing. Reload to see the latest version; nothing was saved."
            )
            % {"name": str(locked)}
        )
    return locked


def partner_update(
    *,
    partner: Partner,
    by: User | None,
    data: dict[str, Any],
    expected_version: int | None,
    programmes: Iterable[Programme] | None = None,
) -> Partner:
    """Change a partner. ``expected_version`` is the version the editor started from; a
    mismatch raises :class:`ConflictError`."""
    _check_fields(data, PARTNER_FIELDS)
    chosen = list(programmes) if programmes is not None else None
    with transaction.atomic():
        locked = _lock(Partner, partner, expected_version)
        before = _partner_snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        _check_partner(locked, chosen)
        locked.version += 1
        locked.save()
        if chosen is not None:
            locked.programmes.set(chosen)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _partner_snapshot(locked)),
        )
    return locked


def _agreement_snapshot(agreement: Agreement) -> dict[str, Any]:
    data = {field: getattr(agreement, field) for field in AGREEMENT_FIELDS}
    if agreement.pk:
        data["premises"] = sorted(agreement.premises.values_list("pk", flat=True))
    return data


def _check_agreement(agreement: Agreement, premises: list[Premises] | None = None) -> None:
    # Constraints are checked by clean() with field keys; the CheckConstraint stays as a guard.
    agreement.full_clean(exclude=["municipality", "partner"], validate_constraints=False)
    if premises and any(p.municipality_id != agreement.municipality_id for p in premises):
        raise ValidationError({"premises": _("Choose premises of the partner's municipality.")})


def agreement_create(
    *,
    partner: Partner,
    by: User | None,
    data: dict[str, Any],
    premises: Iterable[Premises] | None = None,
) -> Agreement:
    """Record an agreement with ``partner`` (and the premises it covers). Nothing is saved on
    error."""
    _check_fields(data, AGREEMENT_FIELDS)
    chosen = list(premises) if premises is not None else None
    agreement = Agreement(partner=partner, municipality_id=partner.municipality_id, **data)
    _check_agreement(agreement, chosen)
    with transaction.atomic():
        agreement.save()
        if chosen:
            agreement.premises.set(chosen)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=agreement,
            changes={"partner": partner.pk, **_agreement_snapshot(agreement)},
        )
    return agreement


def agreement_update(
    *,
    agreement: Agreement,
    by: User | None,
    data: dict[str, Any],
    expected_version: int | None,
    premises: Iterable[Premises] | None = None,
) -> Agreement:
    """Change an agreement (renew it, set a review date, record what it covers)."""
    _check_fields(data, AGREEMENT_FIELDS)
    chosen = list(premises) if premises is not None else None
    with transaction.atomic():
        locked = _lock(Agreement, agreement, expected_version)
        before = _agreement_snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        _check_agreement(locked, chosen)
        locked.version += 1
        locked.save()
        if chosen is not None:
            locked.premises.set(chosen)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _agreement_snapshot(locked)),
        )
    return locked


# --- the watchdog sentence ----------------------------------------------------------------


def settings_update(
    *, municipality: Municipality, by: User, watchdog_sentence: str, expected_version: int | None
) -> PartnerSettings:
    """Set the watchdog-role sentence printed on the municipality's agreements and grant letters
    (municipal admins)."""
    if not by.has_role(Role.MUNICIPAL_ADMIN, municipality.pk):
        raise PermissionDenied
    text = (watchdog_sentence or "").strip()
    if not text:
        raise ValidationError({"watchdog_sentence": _("Write the sentence; it cannot be empty.")})
    with transaction.atomic():
        found, created = PartnerSettings.objects.get_or_create(
            municipality=municipality, defaults={"watchdog_sentence": text}
        )
        if not created:
            found = lock_versioned(PartnerSettings, found, expected_version)
            before = found.watchdog_sentence
            found.watchdog_sentence = text
            found.version += 1
            found.full_clean()
            found.save()
            changes = diff({"watchdog_sentence": before}, {"watchdog_sentence": text})
        else:
            changes = {"watchdog_sentence": text}
        audit_log(user=by, action=AuditAction.UPDATE, obj=found, changes=changes)
    return found


# --- premises -----------------------------------------------------------------------------

PREMISES_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "address",
    "capacity",
    "owner",
    "keys",
    "locking",
    "cleaning",
    "alarm",
    "contact_name",
    "contact_phone",
    "is_active",
)


def _check_premises(premises: Premises) -> None:
    premises.name = (premises.name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        premises.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    if premises.name and "name" not in errors:
        same = Premises.objects.filter(
            municipality_id=premises.municipality_id, name__iexact=premises.name
        ).exclude(pk=premises.pk)
        if same.exists():
            errors["name"] = [_("The municipality already has premises by this name.")]
    if errors:
        raise ValidationError(errors)


def premises_create(*, by: User, municipality: Municipality, data: dict[str, Any]) -> Premises:
    """Register premises the municipality (or a partner) lends out."""
    require_manager(by, municipality.pk)
    _check_fields(data, PREMISES_FIELDS)
    premises = Premises(municipality=municipality, **data)
    _check_premises(premises)
    with transaction.atomic():
        premises.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=premises,
            changes={
                f: getattr(premises, f"{f}_id" if f == "owner" else f) for f in PREMISES_FIELDS
            },
        )
    return premises


def premises_update(
    *, premises: Premises, by: User, data: dict[str, Any], expected_version: int | None
) -> Premises:
    """Change the premises' facts (send the version you read)."""
    require_manager(by, premises.municipality_id)
    _check_fields(data, PREMISES_FIELDS)
    with transaction.atomic():
        locked = lock_versioned(Premises, premises, expected_version)
        before = {f: getattr(locked, f"{f}_id" if f == "owner" else f) for f in PREMISES_FIELDS}
        for field, value in data.items():
            setattr(locked, field, value)
        _check_premises(locked)
        locked.version += 1
        locked.save()
        after = {f: getattr(locked, f"{f}_id" if f == "owner" else f) for f in PREMISES_FIELDS}
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=diff(before, after))
    return locked


# --- bookings -----------------------------------------------------------------------------


def _when(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    last = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%d.%m.%Y %H:%M}"
    return f"{start:%d.%m.%Y %H:%M}–{last}"


def booking_occurrences(
    starts_at: dt.datetime, ends_at: dt.datetime, repeat_until: dt.date | None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The weekly occurrences from the first one until ``repeat_until`` (inclusive), at the
    same local time each week (daylight saving does not move them)."""
    if repeat_until is None:
        return [(starts_at, ends_at)]
    local_start = timezone.localtime(starts_at).replace(tzinfo=None)
    duration = ends_at - starts_at
    found = []
    week = 0
    while True:
        naive = local_start + dt.timedelta(weeks=week)
        if naive.date() > repeat_until:
            break
        start = timezone.make_aware(naive)
        found.append((start, start + duration))
        week += 1
    return found


def _overlapping(premises: Premises, starts_at: dt.datetime, ends_at: dt.datetime):  # noqa: ANN202
    return Booking.objects.filter(
        premises=premises,
        status=BookingStatus.ACTIVE,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )


def booking_create(
    *,
    premises: Premises,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: User | None = None,
    organisation: SignedInOrganisation | None = None,
    partner: Partner | None = None,
    repeat_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[Booking]:
    """Book ``premises`` once, or weekly until ``repeat_until`` (a term). Staff book for the
    municipality or for a partner; a signed-in organisation books for itself. All or nothing:
    if any occurrence overlaps an active booking, nothing is booked and the error lists the
    dates. Checked under the premises' row lock, so two people booking at once cannot both
    get the same hour."""
    now = now or timezone.now()
    if (by is None) == (organisation is None):
        raise ValueError("a booking is made by a staff user or by a signed-in organisation")
    if by is not None:
        require_manager(by, premises.municipality_id)
    else:
        assert organisation is not None
        if premises.municipality_id != organisation.municipality_id:
            raise PermissionDenied
        partner = Partner.objects.get(pk=organisation.partner_id)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Say what the premises are booked for.")
    if starts_at is None or ends_at is None:
        errors["starts_at"] = _("Give the start and end time.")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("A booking must end after it starts.")
    elif ends_at - starts_at > dt.timedelta(days=7):
        errors["ends_at"] = _("A booking can last at most a week.")
    elif organisation is not None and starts_at < now:
        errors["starts_at"] = _("A booking cannot start in the past.")
    if partner is not None and partner.municipality_id != premises.municipality_id:
        errors["partner"] = _("Choose a partner of the premises' municipality.")
    if not premises.is_active:
        errors["premises"] = _("These premises cannot be booked now.")
    if repeat_until is not None and starts_at is not None and "starts_at" not in errors:
        first = timezone.localtime(starts_at).date()
        if repeat_until < first:
            errors["repeat_until"] = _("Repeat until a date after the first booking.")
        elif repeat_until > first + dt.timedelta(weeks=MAX_RECURRING_WEEKS):
            errors["repeat_until"] = _(
                "A recurring booking covers at most %(weeks)d weeks; book the next term later."
            ) % {"weeks": MAX_RECURRING_WEEKS}
    if errors:
        raise ValidationError(errors)
    occurrences = booking_occurrences(starts_at, ends_at, repeat_until)
    series = uuid.uuid4() if len(occurrences) > 1 else None
    with transaction.atomic():
        # The premises' row lock serialises bookings of the same premises: the overlap check
        # and the insert below see every booking committed before.
        Premises.objects.select_for_update(of=("self",)).get(pk=premises.pk)
        taken = [
            (start, end)
            for start, end in occurrences
            if _overlapping(premises, start, end).exists()
        ]
        if taken:
            if len(occurrences) == 1:
                message = _(
                    "%(premises)s is already booked then (%(when)s). Nothing was booked."
                ) % {"premises": premises.name, "when": _when(*taken[0])}
            else:
                message = _(
                    "%(premises)s is already booked on these dates: %(dates)s. Nothing was booked."
                ) % {
                    "premises": premises.name,
                    "dates": ", ".join(f"{timezone.localtime(s):%d.%m.%Y}" for s, _e in taken),
                }
            raise ValidationError({"starts_at": message}, code="booking_conflict")
        made = []
        for start, end in occurrences:
            booking = Booking(
                municipality_id=premises.municipality_id,
                premises=premises,
                partner=partner,
                title=title,
                starts_at=start,
                ends_at=end,
                series=series,
                booked_by=by,
                booked_by_name=organisation.contact_name if organisation else by.get_full_name(),
            )
            booking.full_clean(validate_constraints=False)
            booking.save()
            made.append(booking)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=made[0],
            changes={
                "premises": premises.pk,
                "partner": partner.pk if partner else None,
                "title": title,
                "occurrences": len(made),
                "series": str(series) if series else None,
                "by_organisation_contact": organisation.contact_id if organisation else None,
            },
        )
    return made


def booking_cancel(
    *,
    booking: Booking,
    by: User | None = None,
    organisation: SignedInOrganisation | None = None,
    reason: str = "",
    whole_series: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Cancel a booking (or the rest of its series from it on). An organisation cancels only
    its own bookings that have not started. Returns how many were cancelled."""
    now = now or timezone.now()
    if (by is None) == (organisation is None):
        raise ValueError("a booking is cancelled by a staff user or by a signed-in organisation")
    if by is not None:
        require_manager(by, booking.municipality_id)
    elif booking.partner_id != organisation.partner_id:  # type: ignore[union-attr]
        raise PermissionDenied
    with transaction.atomic():
        Premises.objects.select_for_update(of=("self",)).get(pk=booking.premises_id)
        current = Booking.objects.get(pk=booking.pk)
        if current.status != BookingStatus.ACTIVE:
            raise ValidationError(_("The booking is already cancelled."))
        if organisation is not None and current.starts_at <= now:
            raise ValidationError(_("A booking that has started cannot be cancelled here."))
        targets = Booking.objects.filter(pk=current.pk)
        if whole_series and current.series:
            targets = Booking.objects.filter(
                series=current.series,
                status=BookingStatus.ACTIVE,
                starts_at__gte=current.starts_at,
            )
        count = targets.update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancel_reason=(reason or "")[:300]
        )
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=current,
            changes={
                "status": [BookingStatus.ACTIVE, BookingStatus.CANCELLED],
                "cancelled": count,
                "reason": reason,
                "by_organisation_contact": organisation.contact_id if organisation else None,
            },
        )
    return count


# --- the key log and incident notes --------------------------------------------------------


def key_log_record(
    *,
    premises: Premises,
    by: User,
    key_label: str,
    action: str,
    holder_name: str,
    happened_at: dt.datetime,
    partner: Partner | None = None,
    note: str = "",
    supersedes: KeyLogEntry | None = None,
) -> KeyLogEntry:
    """A key handed out or returned (append-only; ``supersedes`` corrects an earlier line)."""
    require_manager(by, premises.municipality_id)
    entry = KeyLogEntry(
        municipality_id=premises.municipality_id,
        premises=premises,
        key_label=(key_label or "").strip(),
        action=action,
        partner=partner,
        holder_name=(holder_name or "").strip() or (partner.name if partner else ""),
        happened_at=happened_at,
        note=note or "",
        recorded_by=by,
        supersedes=supersedes,
    )
    errors: dict[str, list[str]] = {}
    try:
        entry.full_clean(exclude=["municipality", "premises", "recorded_by"])
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.message_dict.items()}
    if partner is not None and partner.municipality_id != premises.municipality_id:
        errors["partner"] = [_("Choose a partner of the premises' municipality.")]
    if supersedes is not None and supersedes.premises_id != premises.pk:
        errors["supersedes"] = [_("Correct a line of the same premises' key log.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=entry,
            changes={
                "premises": premises.pk,
                "key": entry.key_label,
                "action": action,
                "holder": entry.holder_name,
                "partner": partner.pk if partner else None,
                "supersedes": supersedes.pk if supersedes else None,
            },
        )
    return entry


def keys_out(premises: Premises) -> list[KeyLogEntry]:
    """Per key, the latest line in force (not superseded) when it says "handed out"."""
    latest: dict[str, KeyLogEntry] = {}
    for entry in premises.key_log.filter(superseded_by__isnull=True).order_by("happened_at", "pk"):
        latest[entry.key_label] = entry
    return [e for e in latest.values() if e.action == KeyAction.HANDED_OUT]


def incident_record(
    *,
    premises: Premises,
    by: User,
    description: str,
    happened_at: dt.datetime,
    partner: Partner | None = None,
    booking: Booking | None = None,
) -> IncidentNote:
    """Note something that happened at the premises (append-only)."""
    require_manager(by, premises.municipality_id)
    note = IncidentNote(
        municipality_id=premises.municipality_id,
        premises=premises,
        booking=booking,
        partner=partner or (booking.partner if booking else None),
        happened_at=happened_at,
        description=(description or "").strip(),
        recorded_by=by,
    )
    note.full_clean(exclude=["municipality", "premises", "recorded_by", "booking", "partner"])
    if booking is not None and booking.premises_id != premises.pk:
        raise ValidationError({"booking": _("Choose a booking of these premises.")})
    if partner is not None and partner.municipality_id != premises.municipality_id:
        raise ValidationError({"partner": _("Choose a partner of the premises' municipality.")})
    with transaction.atomic():
        note.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=note,
            changes={
                "premises": premises.pk,
                "partner": note.partner_id,
                "booking": note.booking_id,
            },
        )
    return note


# --- meetings -----------------------------------------------------------------------------

MEETING_FIELDS: tuple[str, ...] = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "booking",
    "agenda",
    "minutes",
)


def _check_meeting(meeting: Meeting) -> None:
    meeting.full_clean(exclude=["municipality", "created_by"], validate_constraints=False)
    errors: dict[str, str] = {}
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        errors["ends_at"] = _("A meeting must end after it starts.")
    if meeting.booking_id and meeting.booking.municipality_id != meeting.municipality_id:
        errors["booking"] = _("Choose a booking of the municipality's premises.")
    if errors:
        raise ValidationError(errors)


def _meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {f: getattr(meeting, f"{f}_id" if f == "booking" else f) for f in MEETING_FIELDS}


def meeting_create(*, municipality: Municipality, by: User, data: dict[str, Any]) -> Meeting:
    """Put a meeting between the municipality and the organisations in the calendar."""
    require_manager(by, municipality.pk)
    _check_fields(data, MEETING_FIELDS)
    meeting = Meeting(municipality=municipality, created_by=by, **data)
    _check_meeting(meeting)
    with transaction.atomic():
        meeting.save()
        audit_log(
            user=by, action=AuditAction.CREATE, obj=meeting, changes=_meeting_snapshot(meeting)
        )
    return meeting


def meeting_update(
    *, meeting: Meeting, by: User, data: dict[str, Any], expected_version: int | None
) -> Meeting:
    """Change a meeting — its time, place, agenda or minutes (send the version you read)."""
    require_manager(by, meeting.municipality_id)
    _check_fields(data, MEETING_FIELDS)
    with transaction.atomic():
        locked = lock_versioned(Meeting, meeting, expected_version)
        before = _meeting_snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        _check_meeting(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _meeting_snapshot(locked)),
        )
    return locked


def meeting_invite(
    *, meeting: Meeting, by: User, partners: Iterable[Partner]
) -> list[MeetingInvitation]:
    """Invite partners (those not yet invited); each with a contact e-mail gets the invitation
    with the meeting as an .ics file, through the outbox."""
    from kobling.partners import notices

    require_manager(by, meeting.municipality_id)
    chosen = list(partners)
    if not chosen:
        raise ValidationError({"partners": _("Choose at least one partner to invite.")})
    if any(p.municipality_id != meeting.municipality_id for p in chosen):
        raise ValidationError({"partners": _("Choose partners of the meeting's municipality.")})
    made = []
    with transaction.atomic():
        already = set(meeting.invitations.values_list("partner_id", flat=True))
        for partner in chosen:
            if partner.pk in already:
                continue
            invitation = MeetingInvitation.objects.create(
                municipality_id=meeting.municipality_id,
                meeting=meeting,
                partner=partner,
                email=partner.contact_email,
            )
            if invitation.email:
                notices.invitation_queue(invitation=invitation)
            made.append(invitation)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=meeting,
            changes={"invited": [i.partner_id for i in made]},
        )
    return made


def meeting_attendance(
    *, meeting: Meeting, by: User, came: Iterable[int], expected_version: int | None
) -> Meeting:
    """Record which invited partners came (the rest did not)."""
    require_manager(by, meeting.municipality_id)
    came_ids = {int(pk) for pk in came}
    with transaction.atomic():
        locked = lock_versioned(Meeting, meeting, expected_version)
        invited = set(locked.invitations.values_list("partner_id", flat=True))
        unknown = came_ids - invited
        if unknown:
            raise ValidationError({"came": _("Only invited partners can be marked as present.")})
        locked.invitations.filter(partner_id__in=came_ids).update(attended=True)
        locked.invitations.exclude(partner_id__in=came_ids).update(attended=False)
        locked.version += 1
        locked.save(update_fields=["version"])
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=locked, changes={"came": sorted(came_ids)}
        )
    return locked
