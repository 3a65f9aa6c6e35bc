"""Writes for referrals: receiving a referral or application (finding or creating the person),
merging a second referral into the open one, decisions, consent, withdrawal and eligibility
rules. Pages, the API, the public form and the demo all come here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kobling.helpers.models import Activity, TargetGroup
from kobling.helpers.services import Window
from kobling.lib.errors import ConflictError
from kobling.referrals import episodes
from kobling.referrals.choices import (
    OPEN_STATUSES,
    Benefit,
    ConsentScope,
    DecisionOutcome,
    Priority,
    ReferralStatus,
)
from kobling.referrals.identity import birth_date_of, normalise_national_id
from kobling.referrals.models import (
    BenefitCheck,
    Consent,
    Decision,
    EligibilityRules,
    Participant,
    PreferredTime,
    Referral,
)
from kobling.referrals.selectors import open_referral_for, referral_eligibility
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, Role
from kobling.tenancy.models import Municipality, Programme, User

__all__ = [
    "ConsentInput",
    "DuplicateReferral",
    "Window",
    "consent_record",
    "consent_withdraw",
    "eligibility_rules_update",
    "participant_update",
    "participant_version",
    "referral_create",
    "referral_decide",
    "referral_merge",
    "referral_update",
    "referral_withdraw",
]

PARTICIPANT_FIELDS: tuple[str, ...] = (
    "national_id",
    "alternative_id",
    "alternative_id_note",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "email",
    "phone",
    "care_of",
    "street_address",
    "post_box",
    "postcode",
    "post_town",
    "home_area",
    "latitude",
    "longitude",
    "languages",
    "resident",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
)
# What a coordinator may correct about a participant after they are registered: everything but
# the identity (national identity number or its alternative, and the birth date), which is how
# the person is found again and how duplicates are kept out.
PARTICIPANT_EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f
    for f in PARTICIPANT_FIELDS
    if f not in {"national_id", "alternative_id", "alternative_id_note", "birth_date"}
)
# Contact details an existing participant's record takes from a new referral when it has none.
_FILL_BLANK_PARTICIPANT_FIELDS = (
    "email",
    "phone",
    "care_of",
    "street_address",
    "post_box",
    "post_town",
    "home_area",
    "latitude",
    "longitude",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
)

REFERRAL_FIELDS: tuple[str, ...] = (
    "source",
    "referrer_name",
    "referrer_organisation",
    "referrer_phone",
    "referrer_email",
    "goals",
    "preferred_area",
    "max_travel_km",
    "preferred_gender",
    "gender_is_must",
    "contact_age_min",
    "contact_age_max",
    "age_is_must",
    "languages",
    "language_is_must",
    "needs",
    "coordinator_notes",
    "priority",
    "received_at",
)
# Only coordinators and municipal admins write these; a referrer never sees the notes.
# The received time backdates a referral in the queue, so only they set it too.
MANAGER_ONLY_FIELDS = frozenset({"coordinator_notes", "priority", "received_at"})
# What a coordinator may change on a referral after it came in (status only via decisions).
EDITABLE_FIELDS: tuple[str, ...] = tuple(f for f in REFERRAL_FIELDS if f != "received_at")


@dataclass(frozen=True)
class ConsentInput:
    scope: str
    given_by: str
    given_on: dt.date | None = None
    partner_name: str = ""


class DuplicateReferral(ValidationError):
    """The person already has an open referral to the programme. Carries that referral so a
    coordinator can be offered to merge; the message names only its status and received date."""

    def __init__(self, existing: Referral) -> None:
        self.existing = existing
        super().__init__(
            {
                "programme": _(
                    "This person already has an open referral to this programme (status: "
                    "%(status)s, received %(date)s). Nothing was saved; a coordinator can merge "
                    "the new information into the existing referral."
                )
                % {
                    "status": existing.get_status_display(),
                    "date": date_format(timezone.localtime(existing.received_at).date()),
                }
            },
            code="duplicate_referral",
        )


def _is_manager(user: User | None, municipality_id: int) -> bool:
    return user is not None and user.is_authenticated and user.is_manager_of(municipality_id)


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


# --- the person -------------------------------------------------------------------------------


def _person_data(person: dict[str, Any]) -> dict[str, Any]:
    unknown = set(person) - set(PARTICIPANT_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in person.items()}
    data["national_id"] = normalise_national_id(data.get("national_id") or "")
    if data["national_id"]:
        from kobling.helpers.validators import validate_national_id

        try:
            validate_national_id(data["national_id"])
        except ValidationError as exc:
            raise ValidationError({"national_id": exc.messages}) from None
        born = birth_date_of(data["national_id"])
        given = data.get("birth_date")
        if given and born and given != born:
            raise ValidationError(
                {"birth_date": _("The birth date does not match the national identity number.")}
            )
        data["birth_date"] = born
        data["alternative_id"] = ""
        data["alternative_id_note"] = ""
    else:
        errors: dict[str, str] = {}
        if not data.get("alternative_id"):
            errors["national_id"] = _(
                "Give the national identity number (fødselsnummer or D-number), or say why the "
                "person has none."
            )
        if not data.get("alternative_id_note"):
            errors["alternative_id_note"] = _(
                "Describe what identifies the person instead (e.g. passport number)."
            )
        if not data.get("birth_date"):
            errors["birth_date"] = _("Without a national identity number, give the birth date.")
        if errors:
            raise ValidationError(errors)
    return data


def participant_find_or_create(
    *, municipality: Municipality, person: dict[str, Any], by: User | None = None
) -> tuple[Participant, bool]:
    """The person, found by national identity number within the municipality, or — without
    one — by name and birth date; created when not found. A found record keeps its details;
    only a coordinator or municipal admin of the municipality (``by``) fills contact details it
    lacks (audited). An anonymous application or a referrer never changes an existing person.
    Validates everything (a minor needs a guardian)."""
    data = _person_data(person)
    existing: Participant | None
    if data["national_id"]:
        existing = Participant.objects.filter(
            municipality=municipality, national_id=data["national_id"]
        ).first()
    else:
        existing = (
            Participant.objects.filter(
                municipality=municipality,
                birth_date=data["birth_date"],
                first_name__iexact=data.get("first_name", ""),
                last_name__iexact=data.get("last_name", ""),
            )
            .order_by("id")
            .first()
        )
    if existing is not None:
        if not _is_manager(by, municipality.pk):
            # Whoever knows a national id must not be able to rewrite the person's contact
            # details (e.g. redirect letters to their own e-mail).
            return existing, False
        changes: dict[str, Any] = {}
        for name in _FILL_BLANK_PARTICIPANT_FIELDS:
            if data.get(name) not in (None, "") and getattr(existing, name) in (None, ""):
                changes[name] = [getattr(existing, name), data[name]]
                setattr(existing, name, data[name])
        existing.full_clean()
        if changes:
            existing.save()
            audit_log(user=by, action=AuditAction.UPDATE, obj=existing, changes=changes)
        return existing, False
    participant = Participant(municipality=municipality, **data)
    participant.full_clean()
    participant.save()
    return participant, True


def participant_version(participant: Participant) -> str:
    """A token for the participant's details as read, for optimistic concurrency: the model has
    no version counter, so this is a digest of its fields. Any change since, by any path,
    gives another token."""
    state = {name: getattr(participant, name) for name in PARTICIPANT_FIELDS}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _coordinate(value: Any) -> Decimal | None:
    """Rounded to the five decimals stored (about a metre): a position copied from a map often
    has more."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.00001"))
    except ArithmeticError:
        return value  # full_clean() names the field


def participant_update(
    *, participant: Participant, by: User, data: dict[str, Any], expected_version: str | None
) -> Participant:
    """A coordinator corrects or completes a person's details: name, gender, contact details,
    address and home coordinates, languages, residence and guardian — not the identity
    (:data:`PARTICIPANT_EDITABLE_FIELDS`). ``expected_version`` is the
    :func:`participant_version` the editor started from; a mismatch raises
    :class:`ConflictError`. Coordinates come in pairs; a minor keeps a guardian who can be
    reached. Audited with what changed; an edit that changes nothing writes nothing."""
    if not _is_manager(by, participant.municipality_id):
        raise ValidationError(_("Only coordinators can change a participant's details."))
    unknown = set(data) - set(PARTICIPANT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if expected_version is not None and participant_version(locked) != expected_version:
            raise ConflictError(
                _(
                    "The details of %(name)s were changed by someone else while you were working "
                    "on them. Reload to see the latest version; nothing was saved."
                )
                % {"name": locked.full_name}
            )
        before = {name: getattr(locked, name) for name in PARTICIPANT_EDITABLE_FIELDS}
        for name, value in data.items():
            if name in ("latitude", "longitude"):
                value = _coordinate(value)
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        if (locked.latitude is None) != (locked.longitude is None):
            missing = "longitude" if locked.longitude is None else "latitude"
            raise ValidationError({missing: _("Give both latitude and longitude, or neither.")})
        locked.full_clean()
        changes = diff(
            before, {name: getattr(locked, name) for name in PARTICIPANT_EDITABLE_FIELDS}
        )
        if changes:
            locked.save()
            audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


# --- receiving a referral -----------------------------------------------------------------------


def _check_referral_data(
    data: dict[str, Any], *, by: User | None, municipality_id: int, allowed: Iterable[str]
) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if not _is_manager(by, municipality_id):
        refused = MANAGER_ONLY_FIELDS & {k for k, v in data.items() if v not in (None, "")}
        if refused:
            raise ValidationError(
                {name: _("Only coordinators can set this.") for name in sorted(refused)}
            )
    received = data.get("received_at")
    if received and received > timezone.now():
        raise ValidationError({"received_at": _("The received time cannot be in the future.")})


def _set_times(referral: Referral, times: Sequence[Window]) -> None:
    rows = [
        PreferredTime(
            referral=referral, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time
        )
        for w in times
    ]
    for row in rows:
        if row.start_time and row.end_time and row.end_time <= row.start_time:
            raise ValidationError({"preferred_times": _("The window must end after it starts.")})
        row.full_clean(exclude=["referral"])
    PreferredTime.objects.bulk_create(rows)


def _new_consent(
    referral: Referral, consent: ConsentInput, *, by: User | None, today: dt.date
) -> Consent:
    row = Consent(
        referral=referral,
        municipality_id=referral.municipality_id,
        scope=consent.scope,
        partner_name=consent.partner_name.strip(),
        given_on=consent.given_on or today,
        given_by=consent.given_by.strip(),
        recorded_by=_actor(by),
    )
    _check_consent(row, today=today)
    row.full_clean()
    row.save()
    audit_log(
        user=_actor(by),
        action=AuditAction.CREATE,
        obj=row,
        changes={"scope": row.scope, "given_on": row.given_on, "referral": referral.pk},
    )
    return row


def _check_consent(consent: Consent, *, today: dt.date) -> None:
    errors: dict[str, str] = {}
    if consent.scope not in ConsentScope.values:
        errors["scope"] = _("Unknown consent scope.")
    if consent.given_on and consent.given_on > today:
        errors["given_on"] = _("Consent cannot be recorded as given in the future.")
    if not consent.given_by:
        errors["given_by"] = _("Say who gave the consent (the participant or the guardian).")
    if consent.scope == ConsentScope.SHARE_WITH_PARTNER and not consent.partner_name:
        errors["partner_name"] = _("Name the partner organisation the consent covers.")
    if errors:
        raise ValidationError(errors)


def referral_create(
    *,
    by: User | None,
    programme: Programme,
    person: dict[str, Any],
    data: dict[str, Any],
    target_groups: Iterable[TargetGroup] = (),
    activities: Iterable[Activity] = (),
    times: Sequence[Window] = (),
    consents: Sequence[ConsentInput] = (),
    channel: str = "web",
    today: dt.date | None = None,
) -> Referral:
    """Receive a referral (from a referrer or a coordinator) or an application (``by`` None,
    from the public form). Finds or creates the person; refuses a second open referral for the
    same person and programme with :class:`DuplicateReferral`. Nothing is saved on any error."""
    today = today or timezone.localdate()
    municipality = programme.municipality
    if by is not None and programme.municipality_id not in by.municipality_ids(
        *MANAGER_ROLES, Role.REFERRER
    ):
        raise ValidationError(
            {"programme": _("You cannot send referrals to this municipality's programmes.")}
        )
    if not programme.is_active:
        raise ValidationError({"programme": _("This programme does not take referrals now.")})
    _check_referral_data(data, by=by, municipality_id=municipality.pk, allowed=REFERRAL_FIELDS)
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if fields.get("priority") in (None, ""):
        fields.pop("priority", None)
    if not fields.get("received_at"):
        fields.pop("received_at", None)
    is_referrer = by is not None and by.has_role(Role.REFERRER, municipality.pk)
    if is_referrer:
        # The referrer's own contact, unless they give another.
        fields.setdefault("referrer_name", "")
        fields.setdefault("referrer_email", "")
        fields["referrer_name"] = fields["referrer_name"] or by.get_full_name() or by.username
        fields["referrer_email"] = fields["referrer_email"] or by.email
    participant: Participant | None = None
    try:
        with transaction.atomic():
            participant, created = participant_find_or_create(
                municipality=municipality, person=person, by=by
            )
            existing = open_referral_for(participant, programme)
            if existing is not None:
                raise DuplicateReferral(existing)
            referral = Referral(
                municipality=municipality,
                programme=programme,
                participant=participant,
                referrer=by if is_referrer else None,
                **fields,
            )
            referral.full_clean(validate_constraints=False)
            referral.save()
            referral.target_groups.set(list(target_groups))
            referral.preferred_activities.set(list(activities))
            _set_times(referral, times)
            for consent in consents:
                _new_consent(referral, consent, by=by, today=today)
            eligibility_rules_for(programme)
            if created:
                audit_log(user=by, action=AuditAction.CREATE, obj=participant)
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=referral,
                changes={"source": referral.source, "channel": channel},
            )
    except IntegrityError:
        # The same person sent twice at the same moment: the database let one through.
        existing = (
            open_referral_for(participant, programme)
            if participant is not None and Participant.objects.filter(pk=participant.pk).exists()
            else None
        )
        if existing is None:
            raise ValidationError(
                _("The same person was registered at the same moment. Please send again.")
            ) from None
        raise DuplicateReferral(existing) from None
    return referral


# --- changing and merging ---------------------------------------------------------------------


def _lock(referral: Referral, expected_version: int | None) -> Referral:
    locked = (
        Referral.objects.select_for_update()
        .select_related("participant", "programme", "municipality")
        .get(pk=referral.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "The referral for %(name)s was changed by someone else while you were working on "
                "it. Reload to see the latest version; nothing was saved."
            )
            % {"name": locked.participant.full_name}
        )
    return locked


def _snapshot(referral: Referral) -> dict[str, Any]:
    data = {name: getattr(referral, name) for name in EDITABLE_FIELDS}
    data["status"] = referral.status
    data["target_groups"] = sorted(t.code for t in referral.target_groups.all())
    data["preferred_activities"] = sorted(a.code for a in referral.preferred_activities.all())
    data["preferred_times"] = [str(t) for t in referral.preferred_times.all()]
    return data


def referral_update(
    *,
    referral: Referral,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    target_groups: Iterable[TargetGroup] | None = None,
    activities: Iterable[Activity] | None = None,
    times: Sequence[Window] | None = None,
) -> Referral:
    """A coordinator corrects or completes a referral. ``expected_version`` is the version the
    editor started from; a mismatch raises :class:`ConflictError`. Status changes only through
    decisions and withdrawal."""
    _check_referral_data(
        data, by=by, municipality_id=referral.municipality_id, allowed=EDITABLE_FIELDS
    )
    with transaction.atomic():
        locked = _lock(referral, expected_version)
        before = _snapshot(locked)
        for name, value in data.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.full_clean(validate_constraints=False)
        locked.version += 1
        locked.save()
        if target_groups is not None:
            locked.target_groups.set(list(target_groups))
        if activities is not None:
            locked.preferred_activities.set(list(activities))
        if times is not None:
            locked.preferred_times.all().delete()
            _set_times(locked, times)
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=locked, changes=diff(before, _snapshot(locked))
        )
    return locked


def _append(old: str, new: str, label: str) -> str:
    new = (new or "").strip()
    if not new or new in (old or ""):
        return old
    return f"{old.rstrip()}\n\n{label}\n{new}" if old.strip() else new


def referral_merge(
    *,
    into: Referral,
    by: User | None,
    data: dict[str, Any],
    target_groups: Iterable[TargetGroup] = (),
    activities: Iterable[Activity] = (),
    times: Sequence[Window] = (),
    consents: Sequence[ConsentInput] = (),
    channel: str = "web",
    today: dt.date | None = None,
) -> Referral:
    """Merge a second referral (or application) for the same person and programme into the open
    one instead of creating a duplicate: goals, needs and notes are appended, activities,
    target groups and times united, blank preferences and contact details filled in, the
    earliest received time kept. Recorded in the referral's merge history and the audit log.
    ``by`` is a coordinator, or None for the public application form."""
    today = today or timezone.localdate()
    if by is not None and not _is_manager(by, into.municipality_id):
        raise ValidationError(_("Only coordinators can merge referrals."))
    _check_referral_data(data, by=by, municipality_id=into.municipality_id, allowed=REFERRAL_FIELDS)
    with transaction.atomic():
        locked = _lock(into, None)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(
                _("Only an open referral can take new information; this one is %(status)s.")
                % {"status": locked.get_status_display()}
            )
        before = _snapshot(locked)
        now = timezone.now()
        stamp = date_format(timezone.localtime(now).date())
        label = _("Added %(date)s from a later referral:") % {"date": stamp}
        for name in ("goals", "needs", "coordinator_notes"):
            setattr(locked, name, _append(getattr(locked, name), data.get(name, ""), label))
        # The referrer contact fields stay those of the referral's own referrer: a merge never
        # writes them, so a later source cannot redirect what goes to the original referrer.
        for name in (
            "preferred_area",
            "max_travel_km",
            "preferred_gender",
            "contact_age_min",
            "contact_age_max",
        ):
            value = data.get(name)
            if value not in (None, "") and getattr(locked, name) in (None, ""):
                setattr(locked, name, value.strip() if isinstance(value, str) else value)
        for name in ("gender_is_must", "age_is_must", "language_is_must"):
            if data.get(name) and not getattr(locked, name):
                setattr(locked, name, True)
        languages = list(locked.languages or [])
        for code in data.get("languages") or []:
            if code not in languages:
                languages.append(code)
        locked.languages = languages
        received = data.get("received_at") or now
        locked.received_at = min(locked.received_at, received)
        locked.merges = [
            *list(locked.merges or []),
            {
                "at": now.isoformat(),
                "by": by.get_username() if by is not None else "",
                "source": data.get("source", ""),
                "referrer": (data.get("referrer_name") or "").strip(),
                "channel": channel,
            },
        ]
        locked.full_clean(validate_constraints=False)
        locked.version += 1
        locked.save()
        locked.target_groups.add(*list(target_groups))
        locked.preferred_activities.add(*list(activities))
        have = {(t.weekday, t.start_time, t.end_time) for t in locked.preferred_times.all()}
        _set_times(locked, [w for w in times if (w.weekday, w.start_time, w.end_time) not in have])
        in_force = {
            (c.scope, c.partner_name) for c in locked.consents.all() if c.in_force_on(today)
        }
        for consent in consents:
            if (consent.scope, consent.partner_name.strip()) not in in_force:
                _new_consent(locked, consent, by=by, today=today)
        changes = diff(before, _snapshot(locked))
        changes["merged"] = {"source": data.get("source", ""), "channel": channel}
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


# --- decisions ----------------------------------------------------------------------------------

# From which statuses a decision can be made. A paired referral belongs to follow-up; a withdrawn
# or closed one is over. A refused one may be decided again (e.g. after a complaint).
DECIDABLE = frozenset(
    {
        ReferralStatus.RECEIVED,
        ReferralStatus.MORE_INFO,
        ReferralStatus.WAITING,
        ReferralStatus.REFUSED,
    }
)


def referral_decide(
    *,
    referral: Referral,
    by: User,
    outcome: str,
    reasons: str,
    priority: int | None = None,
    decided_on: dt.date | None = None,
    override_reason: str = "",
    expected_version: int | None = None,
    notify: bool = True,
) -> Decision:
    """Decide (vedtak): granted → waiting for a contact, refused → closed, or more information
    needed. Reasons are required. A grant that does not meet the programme's eligibility rules
    is refused with the reasons unless ``override_reason`` says why it is granted anyway (kept on
    the decision). Decisions are never edited; a new one supersedes. The referrer is told (by
    e-mail, without health details) that a decision exists (``notify=False`` only for demo
    data)."""
    today = timezone.localdate()
    decided_on = decided_on or today
    reasons = (reasons or "").strip()
    override_reason = (override_reason or "").strip()
    errors: dict[str, Any] = {}
    if outcome not in DecisionOutcome.values:
        errors["outcome"] = _("Unknown outcome.")
    if not reasons:
        errors["reasons"] = _("Give the reasons for the decision.")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    if decided_on > today:
        errors["decided_on"] = _("A decision cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    if not _is_manager(by, referral.municipality_id):
        raise ValidationError(_("Only coordinators can decide on referrals."))
    with transaction.atomic():
        locked = _lock(referral, expected_version)
        if locked.status not in DECIDABLE:
            raise ValidationError(
                {
                    "outcome": _("A referral that is %(status)s cannot be decided on.")
                    % {"status": locked.get_status_display()}
                }
            )
        if decided_on < timezone.localtime(locked.received_at).date():
            raise ValidationError(
                {"decided_on": _("A decision cannot be dated before the referral was received.")}
            )
        unmet: list[str] = []
        if outcome == DecisionOutcome.GRANTED:
            unmet = referral_eligibility(locked, today=decided_on)
            if unmet and not override_reason:
                raise ValidationError(
                    {
                        "override_reason": [
                            _(
                                "The referral does not meet the programme's eligibility rules. "
                                "Give a reason to grant it anyway."
                            ),
                            *unmet,
                        ]
                    }
                )
        before_status = locked.status
        decision = Decision(
            referral=locked,
            municipality_id=locked.municipality_id,
            outcome=outcome,
            reasons=reasons,
            decided_by=by,
            decided_on=decided_on,
            priority=priority or locked.priority,
            unmet_eligibility=unmet,
            override_reason=override_reason if unmet else "",
        )
        decision.full_clean()
        now = timezone.now()
        if outcome == DecisionOutcome.GRANTED:
            locked.status = ReferralStatus.WAITING
            # A new grant while already waiting keeps the place in the queue.
            if before_status != ReferralStatus.WAITING or locked.granted_at is None:
                locked.granted_at = now
            locked.priority = decision.priority
            locked.closed_at = None
        elif outcome == DecisionOutcome.REFUSED:
            locked.status = ReferralStatus.REFUSED
            locked.closed_at = now
        else:
            locked.status = ReferralStatus.MORE_INFO
            locked.closed_at = None
        if locked.status in OPEN_STATUSES and before_status not in OPEN_STATUSES:
            other = open_referral_for(locked.participant, locked.programme)
            if other is not None and other.pk != locked.pk:
                raise ValidationError(
                    {
                        "outcome": _(
                            "The person has another open referral to this programme; decide on "
                            "that one instead."
                        )
                    }
                )
        locked.version += 1
        locked.save()
        decision.save()
        if outcome == DecisionOutcome.GRANTED:
            episodes.episode_open(referral=locked, decision=decision, by=by)
        elif before_status == ReferralStatus.WAITING:
            # The grant is replaced before the course started.
            episodes.episode_close_with_referral(referral=locked, by=by)
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=decision,
            changes={
                "outcome": outcome,
                "override": bool(decision.override_reason),
                "priority": decision.priority,
            },
        )
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before_status, locked.status], "decision": decision.pk},
        )
        if notify and locked.referrer_id and locked.referrer and locked.referrer.email:
            from kobling.referrals.notices import decision_notice_queue

            decision_notice_queue(decision=decision)
    return decision


def referral_withdraw(
    *, referral: Referral, by: User, reason: str, expected_version: int | None = None
) -> Referral:
    """The person no longer wants the offer (or cannot be reached): the referral leaves the
    waiting list. A paired referral ends through its pairing instead."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the referral is withdrawn.")})
    if not _is_manager(by, referral.municipality_id):
        raise ValidationError(_("Only coordinators can withdraw referrals."))
    with transaction.atomic():
        locked = _lock(referral, expected_version)
        allowed = {ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO, ReferralStatus.WAITING}
        if locked.status not in allowed:
            raise ValidationError(
                {
                    "reason": _("A referral that is %(status)s cannot be withdrawn.")
                    % {"status": locked.get_status_display()}
                }
            )
        before = locked.status
        locked.status = ReferralStatus.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.version += 1
        locked.save()
        episodes.episode_close_with_referral(referral=locked, by=by)
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "reason": reason[:500]},
        )
    return locked


# --- consent ------------------------------------------------------------------------------------


def consent_record(
    *,
    referral: Referral,
    by: User,
    scope: str,
    given_by: str,
    given_on: dt.date | None = None,
    partner_name: str = "",
) -> Consent:
    """Record what the participant (or guardian) agreed may be shared, and from when. A consent
    already in force for the same scope (and partner) is not recorded twice."""
    today = timezone.localdate()
    if not _is_manager(by, referral.municipality_id):
        raise ValidationError(_("Only coordinators can record consent."))
    with transaction.atomic():
        if any(
            c.scope == scope
            and c.partner_name.strip() == partner_name.strip()
            and c.in_force_on(given_on or today)
            for c in Consent.objects.filter(referral=referral, scope=scope)
        ):
            raise ValidationError({"scope": _("This consent is already in force.")})
        consent = _new_consent(
            referral,
            ConsentInput(
                scope=scope, given_by=given_by, given_on=given_on, partner_name=partner_name
            ),
            by=by,
            today=today,
        )
    return consent


def consent_withdraw(*, consent: Consent, by: User, withdrawn_on: dt.date | None = None) -> Consent:
    """The participant withdraws a consent: from that day nothing more is shared under it."""
    if not _is_manager(by, consent.municipality_id):
        raise ValidationError(_("Only coordinators can record a withdrawal."))
    return _consent_withdraw(consent=consent, by=by, withdrawn_on=withdrawn_on)


def consent_withdraw_by_participant(*, consent: Consent) -> Consent:
    """The participant (or a minor's guardian) withdraws a consent themselves, today, through a
    signed link the caller has already checked (the follow-up questionnaire's, after opting out).
    No user records it, so the audit entry has none; where it came from is in its ``via``."""
    return _consent_withdraw(consent=consent, by=None, withdrawn_on=None)


def _consent_withdraw(
    *, consent: Consent, by: User | None, withdrawn_on: dt.date | None
) -> Consent:
    today = timezone.localdate()
    withdrawn_on = withdrawn_on or today
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_on is not None:
            raise ValidationError({"withdrawn_on": _("This consent is already withdrawn.")})
        if withdrawn_on < locked.given_on:
            raise ValidationError(
                {"withdrawn_on": _("Consent cannot be withdrawn before it was given.")}
            )
        if withdrawn_on > today:
            raise ValidationError(
                {"withdrawn_on": _("A withdrawal cannot be recorded for a future date.")}
            )
        locked.withdrawn_on = withdrawn_on
        locked.full_clean()
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "withdrawn_on": [None, withdrawn_on],
                "referral": locked.referral_id,
                **({} if by is not None else {"by": "participant"}),
            },
        )
    return locked


# --- eligibility rules --------------------------------------------------------------------------

ELIGIBILITY_FIELDS = (
    "min_age",
    "max_age",
    "residents_only",
    "requires_benefit",
    "benefit_recheck_weeks",
)
# A programme's eligibility rules start from its kind (Aktiv på dagtid: 18–67 on a benefit).
ELIGIBILITY_DEFAULTS: dict[str, dict[str, Any]] = {
    "aktiv_pa_dagtid": {"min_age": 18, "max_age": 67, "requires_benefit": True},
}


def eligibility_rules_for(programme: Programme) -> EligibilityRules:
    """The programme's rules, made with its kind's defaults the first time they are needed."""
    rules, _created = EligibilityRules.objects.get_or_create(
        programme=programme, defaults=ELIGIBILITY_DEFAULTS.get(programme.kind, {})
    )
    return rules


def benefit_verify(
    *, referral: Referral, by: User, benefit: str, verified_on: dt.date | None = None
) -> BenefitCheck:
    """Record that a coordinator verified which benefit the person receives — the group only,
    never the decision — valid for the programme's ``benefit_recheck_weeks``."""
    if not _is_manager(by, referral.municipality_id):
        raise PermissionDenied(_("Only coordinators can verify a benefit."))
    today = timezone.localdate()
    verified_on = verified_on or today
    errors: dict[str, str] = {}
    if benefit not in Benefit.values:
        errors["benefit"] = _("Choose one of the six benefits.")
    if verified_on > today:
        errors["verified_on"] = _("A check cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    rules = eligibility_rules_for(referral.programme)
    with transaction.atomic():
        check = BenefitCheck.objects.create(
            referral=referral,
            municipality_id=referral.municipality_id,
            benefit=benefit,
            verified_on=verified_on,
            valid_until=verified_on + dt.timedelta(weeks=rules.benefit_recheck_weeks),
            verified_by=by,
        )
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=check,
            changes={"referral": referral.pk, "benefit": benefit},
        )
    return check


def eligibility_rules_update(
    *,
    programme: Programme,
    by: User,
    data: dict[str, Any],
    target_groups: Iterable[TargetGroup] | None = None,
) -> EligibilityRules:
    """Set who a programme is for: target groups offered (none = all), age limits, residence."""
    if not _is_manager(by, programme.municipality_id):
        raise ValidationError(_("Only coordinators can change eligibility rules."))
    unknown = set(data) - set(ELIGIBILITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    with transaction.atomic():
        eligibility_rules_for(programme)
        rules = EligibilityRules.objects.select_for_update().get(programme=programme)
        before = {k: getattr(rules, k) for k in ELIGIBILITY_FIELDS}
        before["target_groups"] = sorted(t.code for t in rules.target_groups.all())
        for name, value in data.items():
            setattr(rules, name, value)
        if (
            rules.min_age is not None
            and rules.max_age is not None
            and rules.max_age < rules.min_age
        ):
            raise ValidationError(
                {"max_age": _("The maximum age cannot be below the minimum age.")}
            )
        rules.full_clean()
        rules.save()
        if target_groups is not None:
            rules.target_groups.set(list(target_groups))
        after = {k: getattr(rules, k) for k in ELIGIBILITY_FIELDS}
        after["target_groups"] = sorted(t.code for t in rules.target_groups.all())
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=rules,
            municipality_id=programme.municipality_id,
            changes=diff(before, after),
        )
    return rules
