"""Writes for activity providers: the register (providers, sites, staff, trainers and their
certificates), placing a course with a provider and the provider's answer, visits from the
three ways they arrive, and the provider's API keys. Views, the API, the demo and the bench
all come here."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import outbox
from kobling.core.invitations import invitation_purpose_register
from kobling.core.versions import lock_versioned as _lock
from kobling.lib.errors import ConflictError
from kobling.providers import confirmations
from kobling.providers.choices import (
    DEFAULT_ANSWER_DAYS,
    OPEN_PLACEMENT_STATUSES,
    CertificateKind,
    PlacementStatus,
    VisitSource,
)
from kobling.providers.models import (
    ActivityProvider,
    ActivityProviderStaff,
    Placement,
    PlacementSettings,
    ProviderSite,
    ProviderToken,
    ProviderVisit,
    Trainer,
    TrainerCertificate,
)
from kobling.referrals.choices import ConsentScope, EpisodeStatus
from kobling.referrals.models import Consent, Episode
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction, Delivery
from kobling.tenancy.models import Municipality, User
from kobling.tenancy.services import revoke_tokens, user_for_email

PROVIDER_FIELDS = (
    "name",
    "organisation_number",
    "kind",
    "partner",
    "contact_name",
    "contact_phone",
    "contact_email",
    "is_active",
)
SITE_FIELDS = (
    "name",
    "street_address",
    "postcode",
    "post_town",
    "opening_hours",
    "accessibility",
    "is_active",
)
TRAINER_FIELDS = ("first_name", "last_name", "email", "phone", "user", "is_active")


def _check_fields(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {
        f: (getattr(obj, f"{f}_id") if hasattr(obj, f"{f}_id") else getattr(obj, f)) for f in fields
    }


def _clean(obj: Any) -> None:
    obj.full_clean()


# --- providers and sites -----------------------------------------------------------------------


def _check_provider(provider: ActivityProvider) -> None:
    provider.name = (provider.name or "").strip()
    provider.organisation_number = "".join((provider.organisation_number or "").split())
    if provider.partner_id and provider.partner.municipality_id != provider.municipality_id:
        raise ValidationError({"partner": _("Choose a partner of the provider's municipality.")})
    _clean(provider)


def provider_create(
    *, by: User | None, municipality: Municipality, data: dict[str, Any]
) -> ActivityProvider:
    """Register a provider (organisation number checked). Nothing is saved on error."""
    _check_fields(data, PROVIDER_FIELDS)
    provider = ActivityProvider(municipality=municipality, **data)
    _check_provider(provider)
    with transaction.atomic():
        provider.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=provider,
            changes=_snapshot(provider, PROVIDER_FIELDS),
        )
    return provider


def provider_update(
    *,
    provider: ActivityProvider,
    by: User | None,
    data: dict[str, Any],
    expected_version: int | None,
) -> ActivityProvider:
    """Change a provider from the version the editor read (stale → ConflictError)."""
    _check_fields(data, PROVIDER_FIELDS)
    with transaction.atomic():
        locked = _lock(ActivityProvider, provider, expected_version)
        before = _snapshot(locked, PROVIDER_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _check_provider(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot(locked, PROVIDER_FIELDS)),
        )
    return locked


def site_create(
    *, by: User | None, provider: ActivityProvider, data: dict[str, Any]
) -> ProviderSite:
    """Add a site (address, opening hours, accessibility) to a provider."""
    _check_fields(data, SITE_FIELDS)
    site = ProviderSite(provider=provider, municipality_id=provider.municipality_id, **data)
    _clean(site)
    with transaction.atomic():
        site.save()
        audit_log(
            user=by, action=AuditAction.CREATE, obj=site, changes=_snapshot(site, SITE_FIELDS)
        )
    return site


def site_update(
    *, site: ProviderSite, by: User | None, data: dict[str, Any], expected_version: int | None
) -> ProviderSite:
    _check_fields(data, SITE_FIELDS)
    with transaction.atomic():
        locked = _lock(ProviderSite, site, expected_version)
        before = _snapshot(locked, SITE_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _clean(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot(locked, SITE_FIELDS)),
        )
    return locked


def staff_add(*, by: User | None, provider: ActivityProvider, user: User) -> ActivityProviderStaff:
    """Let ``user`` work for ``provider`` (the provider portal, its placements within consent)."""
    with transaction.atomic():
        staff, created = ActivityProviderStaff.objects.get_or_create(user=user, provider=provider)
        if created:
            audit_log(
                user=by,
                action=AuditAction.CREATE,
                obj=staff,
                municipality_id=provider.municipality_id,
            )
    user.forget_memberships()
    return staff


STAFF_INVITATION = "provider-staff-invitation"


def _staff_invited(message: Any) -> tuple[Any, Any] | None:
    staff = (
        ActivityProviderStaff.objects.select_related("user", "provider__municipality")
        .filter(pk=message.subject_id)
        .first()
    )
    return (staff.user, staff.provider.municipality) if staff else None


# The invitation to choose a password, as a membership's (kobling.core.invitations): not sent
# once the person is taken off the staff or has chosen a password.
invitation_purpose_register(
    name=STAFF_INVITATION,
    label=gettext_lazy("Invitation for a provider's staff"),
    invited=_staff_invited,
)


def staff_invite(
    *,
    by: User | None,
    provider: ActivityProvider,
    email: str,
    first_name: str = "",
    last_name: str = "",
) -> ActivityProviderStaff:
    """Give the person with ``email`` access to the provider's portal. A new address gets a
    user account and, as a membership does, an invitation e-mail through the outbox (sent after
    commit) with a link to choose a password; so does one who never chose a password."""
    with transaction.atomic():
        user, created = user_for_email(email=email, first_name=first_name, last_name=last_name)
        if ActivityProviderStaff.objects.filter(user=user, provider=provider).exists():
            raise ValidationError(
                {
                    "email": _("%(email)s already works for this provider.")
                    % {"email": user.email or user.username}
                }
            )
        staff = staff_add(by=by, provider=provider, user=user)
        if created or not user.has_usable_password():
            outbox.message_queue(
                purpose=STAFF_INVITATION,
                subject=outbox.subject_key("providerstaff", staff.pk),
                recipient=user.email,
                municipality_id=provider.municipality_id,
                language=user.preferred_language or "nb",
                template="emails/invitation.txt",
            )
    return staff


def staff_remove(*, by: User | None, staff: ActivityProviderStaff) -> None:
    """Take a person off the provider's staff: they no longer see its portal or its persons,
    and their API tokens are revoked (a token must not carry access taken back)."""
    with transaction.atomic():
        audit_log(
            user=by,
            action=AuditAction.DELETE,
            obj=staff,
            municipality_id=staff.provider.municipality_id,
            changes={"user": staff.user.username, "provider": staff.provider_id},
        )
        user = staff.user
        staff.delete()
        revoke_tokens(user)
    user.forget_memberships()


# --- trainers and certificates ----------------------------------------------------------------


def trainer_create(*, by: User | None, provider: ActivityProvider, data: dict[str, Any]) -> Trainer:
    _check_fields(data, TRAINER_FIELDS)
    trainer = Trainer(provider=provider, municipality_id=provider.municipality_id, **data)
    _clean(trainer)
    with transaction.atomic():
        trainer.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=trainer,
            changes=_snapshot(trainer, TRAINER_FIELDS),
        )
    return trainer


def trainer_update(
    *, trainer: Trainer, by: User | None, data: dict[str, Any], expected_version: int | None
) -> Trainer:
    _check_fields(data, TRAINER_FIELDS)
    with transaction.atomic():
        locked = _lock(Trainer, trainer, expected_version)
        before = _snapshot(locked, TRAINER_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _clean(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot(locked, TRAINER_FIELDS)),
        )
    return locked


def certificate_add(
    *,
    by: User | None,
    trainer: Trainer,
    kind: str,
    issuer: str,
    number: str,
    expires_on: dt.date,
    valid_from: dt.date | None = None,
) -> TrainerCertificate:
    """Record a trainer's certificate (kind, issuer, number, expiry)."""
    certificate = TrainerCertificate(
        trainer=trainer,
        municipality_id=trainer.municipality_id,
        kind=kind,
        issuer=(issuer or "").strip(),
        number=(number or "").strip(),
        valid_from=valid_from,
        expires_on=expires_on,
    )
    _clean(certificate)
    with transaction.atomic():
        certificate.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=certificate,
            changes={"kind": kind, "issuer": issuer, "number": number, "expires_on": expires_on},
        )
    return certificate


def settings_for(programme_id: int) -> tuple[int, list[str]]:
    """The programme's days to answer and the certificate kinds a trainer needs (any of; all
    three when the programme sets none)."""
    found = PlacementSettings.objects.filter(programme_id=programme_id).first()
    days = found.answer_days if found else DEFAULT_ANSWER_DAYS
    kinds = list(found.required_certificates) if found and found.required_certificates else []
    return days, kinds or list(CertificateKind.values)


SETTINGS_FIELDS = ("answer_days", "required_certificates", "visit_confirmation_by_participant")


def placement_settings_of(programme_id: int) -> PlacementSettings:
    """The programme's placement settings, the defaults (unsaved) when it has none yet."""
    found = PlacementSettings.objects.filter(programme_id=programme_id).first()
    return found or PlacementSettings(programme_id=programme_id)


def placement_settings_update(
    *, by: User | None, programme: Any, data: dict[str, Any], expected_version: int | None
) -> PlacementSettings:
    """Change a provider programme's placement settings (days to answer, the certificates an
    assigned trainer needs, whether participants confirm their visits) with the version read:
    the first save of a programme's settings is version 1."""
    _check_fields(data, SETTINGS_FIELDS)
    if programme.delivery != Delivery.PROVIDER:
        raise ValidationError(_("Only a programme delivered by providers has placement settings."))
    kinds = data.get("required_certificates")
    if kinds is not None and set(kinds) - set(CertificateKind.values):
        raise ValidationError(
            {"required_certificates": _("Choose certificate kinds from the list.")}
        )
    with transaction.atomic():
        PlacementSettings.objects.get_or_create(programme=programme)
        locked = _lock(
            PlacementSettings,
            PlacementSettings.objects.get(programme=programme),
            expected_version,
        )
        before = _snapshot(locked, SETTINGS_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        _clean(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            municipality_id=programme.municipality_id,
            changes=diff(before, _snapshot(locked, SETTINGS_FIELDS)),
        )
    return locked


def trainer_is_certified(trainer: Trainer, kinds: Iterable[str], on: dt.date) -> bool:
    """Whether the trainer holds a certificate of one of ``kinds`` valid on ``on``."""
    return any(c.valid_on(on) for c in trainer.certificates.all() if c.kind in set(kinds))


# --- placements --------------------------------------------------------------------------------


def sharing_consent(episode: Episode, provider: ActivityProvider, today: dt.date) -> Consent | None:
    """The person's consent in force to share with ``provider``: a consent to share with a
    partner organisation naming the provider (or its partner register entry)."""
    names = {provider.name.strip().lower()}
    if provider.partner_id:
        names.add(provider.partner.name.strip().lower())
    for consent in Consent.objects.filter(
        referral_id=episode.referral_id, scope=ConsentScope.SHARE_WITH_PARTNER
    ).order_by("-given_on", "-pk"):
        if consent.in_force_on(today) and consent.partner_name.strip().lower() in names:
            return consent
    return None


def placement_create(
    *,
    by: User | None,
    episode: Episode,
    provider: ActivityProvider,
    activity: str,
    starts_on: dt.date,
    ends_on: dt.date,
    site: ProviderSite | None = None,
    trainer: Trainer | None = None,
    today: dt.date | None = None,
) -> Placement:
    """Place a course of a programme delivered by providers with ``provider``, with the
    recommended activity and period. The provider answers within the programme's days. Refused
    (with the reason) when the course is not a provider course, is ended or already placed, when
    the person has not consented to sharing with the provider, or when the trainer is not
    certified."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if episode.delivery != Delivery.PROVIDER:
        errors["episode"] = _("Only a course of a programme delivered by providers is placed.")
    elif episode.status == EpisodeStatus.ENDED:
        errors["episode"] = _("The course has ended.")
    if provider.municipality_id != episode.municipality_id or not provider.is_active:
        errors["provider"] = _("Choose an active provider of the course's municipality.")
    if site is not None and site.provider_id != provider.pk:
        errors["site"] = _("Choose a site of this provider.")
    days, kinds = settings_for(episode.programme_id)
    if trainer is not None:
        if trainer.provider_id != provider.pk or not trainer.is_active:
            errors["trainer"] = _("Choose an active trainer of this provider.")
        elif not trainer_is_certified(trainer, kinds, max(today, starts_on)):
            errors["trainer"] = _(
                "%(name)s has no valid certificate of a kind the programme requires."
            ) % {"name": trainer.full_name}
    consent = None
    if "provider" not in errors:
        consent = sharing_consent(episode, provider, today)
        if consent is None:
            errors["provider"] = _(
                "Record the person's consent to share with %(name)s first (a consent to share "
                "with a partner organisation naming it)."
            ) % {"name": provider.name}
    if errors:
        raise ValidationError(errors)
    placement = Placement(
        municipality_id=episode.municipality_id,
        episode=episode,
        provider=provider,
        site=site,
        trainer=trainer,
        consent=consent,
        activity=(activity or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        answer_by=today + dt.timedelta(days=days),
        placed_by=by,
    )
    placement.full_clean(exclude=["consent"], validate_constraints=False)
    with transaction.atomic():
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        if Placement.objects.open().filter(episode=episode).exists():
            raise ValidationError({"episode": _("The course is already placed with a provider.")})
        try:
            with transaction.atomic():
                placement.save()
        except IntegrityError:
            raise ValidationError(
                {"episode": _("The course is already placed with a provider.")}
            ) from None
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=placement,
            changes={
                "provider": provider.pk,
                "activity": placement.activity,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return placement


def placement_answer(
    *,
    placement: Placement,
    by: User | None,
    accept: bool,
    reason: str = "",
    trainer: Trainer | None = None,
    expected_version: int | None,
) -> Placement:
    """The provider accepts (optionally naming the trainer) or declines with a reason. A decline
    returns the course to the coordinator (the placement is kept as history). Accepting a course
    that waits starts it on the placement's first day."""
    from kobling.referrals.episodes import episode_start

    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(Placement, placement, expected_version)
        if locked.status != PlacementStatus.PENDING:
            raise ValidationError(_("The placement has already been answered."))
        if not accept and not reason:
            raise ValidationError({"reason": _("Say why the placement is declined.")})
        if accept and trainer is not None:
            kinds = settings_for(locked.episode.programme_id)[1]
            if trainer.provider_id != locked.provider_id or not trainer.is_active:
                raise ValidationError({"trainer": _("Choose an active trainer of this provider.")})
            if not trainer_is_certified(
                trainer, kinds, max(timezone.localdate(), locked.starts_on)
            ):
                raise ValidationError(
                    {
                        "trainer": _(
                            "%(name)s has no valid certificate of a kind the programme requires."
                        )
                        % {"name": trainer.full_name}
                    }
                )
            locked.trainer = trainer
        locked.status = PlacementStatus.ACCEPTED if accept else PlacementStatus.DECLINED
        locked.decline_reason = "" if accept else reason
        locked.answered_at = timezone.now()
        locked.answered_by = by
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [PlacementStatus.PENDING, locked.status], "reason": reason},
        )
        episode = locked.episode
        if accept and episode.status == EpisodeStatus.WAITING:
            # Started as any course no pair delivers: its referral leaves the waiting list.
            episode_start(episode=episode, by=by, started_on=locked.starts_on)
    return locked


def placement_withdraw(
    *, placement: Placement, by: User | None, reason: str, expected_version: int | None
) -> Placement:
    """The coordinator takes a placement back (the course returns to them); history is kept."""
    with transaction.atomic():
        locked = _lock(Placement, placement, expected_version)
        if locked.status not in OPEN_PLACEMENT_STATUSES:
            raise ValidationError(_("Only an open placement can be withdrawn."))
        before = locked.status
        locked.status = PlacementStatus.WITHDRAWN
        locked.decline_reason = (reason or "").strip()
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={"status": [before, locked.status], "reason": reason},
        )
    return locked


def close_on_course_end(episode: Episode, by: User | None) -> None:
    """The course has ended (:func:`kobling.referrals.episodes.episode_end`): a placement still
    waiting for the provider's answer is withdrawn; an accepted one ends with the course, so
    no visit after the end is taken."""
    ended = episode.ended_on
    for row in Placement.objects.select_for_update().filter(
        episode_id=episode.pk, status__in=OPEN_PLACEMENT_STATUSES
    ):
        before = {"status": row.status, "ends_on": row.ends_on}
        if row.status == PlacementStatus.PENDING or ended < row.starts_on:
            row.status = PlacementStatus.WITHDRAWN
            row.decline_reason = _("The course ended.")
        elif ended < row.ends_on:
            row.ends_on = ended
        else:
            continue
        row.version += 1
        row.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=row,
            changes={
                "status": [before["status"], row.status],
                "ends_on": [before["ends_on"], row.ends_on],
                "reason": "course ended",
            },
        )


# --- visits ------------------------------------------------------------------------------------


def visit_refusal(placement: Placement, day: dt.date, today: dt.date) -> str:
    """Why a visit on ``day`` cannot be recorded for ``placement`` ("" when it can)."""
    if placement.status != PlacementStatus.ACCEPTED:
        return _("The placement is not accepted (status: %(status)s).") % {
            "status": placement.get_status_display()
        }
    if day > today:
        return _("The date is in the future.")
    if not placement.covers(day):
        return _("%(day)s is outside the placement's period %(start)s–%(end)s.") % {
            "day": day.strftime("%d.%m.%Y"),
            "start": placement.starts_on.strftime("%d.%m.%Y"),
            "end": placement.ends_on.strftime("%d.%m.%Y"),
        }
    return ""


_VISIT_RELATIONS = [
    "municipality",
    "placement",
    "provider",
    "episode",
    "trainer",
    "supersedes",
    "recorded_by",
]


@dataclass
class VisitResult:
    visit: ProviderVisit
    created: bool


def _new_visit(
    placement: Placement,
    *,
    visited_on: dt.date,
    minutes: int,
    source: str,
    external_id: str,
    by: User | None,
    trainer: Trainer | None,
    attended: bool = True,
    supersedes: ProviderVisit | None = None,
    reason: str = "",
) -> ProviderVisit:
    return ProviderVisit(
        municipality_id=placement.municipality_id,
        placement=placement,
        provider_id=placement.provider_id,
        episode_id=placement.episode_id,
        external_id=external_id,
        source=source,
        visited_on=visited_on,
        minutes=minutes,
        attended=attended,
        trainer=trainer,
        supersedes=supersedes,
        correction_reason=reason,
        recorded_by=by if by is not None and getattr(by, "pk", None) else None,
    )


def visit_record(
    *,
    placement: Placement,
    visited_on: dt.date,
    minutes: int,
    source: str,
    external_id: str = "",
    by: User | None = None,
    trainer: Trainer | None = None,
    today: dt.date | None = None,
) -> VisitResult:
    """Record one visit. Sending a visit again with the same provider's id returns the one
    already recorded (``created`` False). A visit outside the period, before the provider
    accepted or in the future is refused with the reason."""
    today = today or timezone.localdate()
    external_id = (external_id or "").strip()
    if external_id:
        existing = ProviderVisit.objects.filter(
            provider_id=placement.provider_id, external_id=external_id
        ).first()
        if existing is not None:
            return VisitResult(existing, False)
    refusal = visit_refusal(placement, visited_on, today)
    if refusal:
        raise ValidationError({"date": refusal})
    if trainer is not None and trainer.provider_id != placement.provider_id:
        raise ValidationError({"trainer": _("Choose a trainer of this provider.")})
    visit = _new_visit(
        placement,
        visited_on=visited_on,
        minutes=minutes,
        source=source,
        external_id=external_id,
        by=by,
        trainer=trainer,
    )
    # The relations come from the loaded placement: checking each one exists again would cost a
    # query apiece on every check-in.
    visit.full_clean(exclude=_VISIT_RELATIONS, validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            visit.save()
            audit_log(
                user=by if getattr(by, "pk", None) else None,
                action=AuditAction.CREATE,
                obj=visit,
                changes={"source": source, "external_id": external_id, "date": visited_on},
            )
            # The participant confirms it by link, where the programme asks for it.
            confirmations.links_queue(visits=[visit], by=by, now=timezone.now())
    except IntegrityError:
        # The same visit id arrived twice at once: the first one stands.
        existing = ProviderVisit.objects.filter(
            provider_id=placement.provider_id, external_id=external_id
        ).first()
        if existing is None:
            raise
        return VisitResult(existing, False)
    return VisitResult(visit, True)


def visit_correct(
    *,
    visit: ProviderVisit,
    by: User | None,
    reason: str,
    attended: bool,
    minutes: int | None = None,
    visited_on: dt.date | None = None,
) -> ProviderVisit:
    """Correct a standing visit with a new entry that supersedes it (the old one stays)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the entry is corrected.")})
    with transaction.atomic():
        old = ProviderVisit.objects.select_for_update().get(pk=visit.pk)
        if ProviderVisit.objects.filter(supersedes=old).exists():
            raise ConflictError(_("This entry has already been corrected; reload."))
        day = visited_on or old.visited_on
        if attended:
            refusal = visit_refusal(old.placement, day, timezone.localdate())
            if refusal:
                raise ValidationError({"date": refusal})
        new = _new_visit(
            old.placement,
            visited_on=day,
            minutes=minutes or old.minutes,
            source=old.source,
            external_id="",
            by=by,
            trainer=old.trainer,
            attended=attended,
            supersedes=old,
            reason=reason,
        )
        new.full_clean(validate_constraints=False)
        new.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=new,
            changes={"supersedes": old.pk, "reason": reason},
        )
    return new


# --- the CSV file ------------------------------------------------------------------------------

CSV_COLUMNS = ("visit_id", "placement", "date", "minutes")


@dataclass
class ImportReport:
    """What a file import did, or why it did nothing: every bad row by number with its reason."""

    rows: int = 0
    created: int = 0
    already: int = 0
    # The participants' confirmation links queued for the new visits (where asked for).
    links: confirmations.LinksQueued = field(default_factory=confirmations.LinksQueued)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def visits_import(
    *,
    provider: ActivityProvider,
    content: str,
    by: User | None,
    source: str = VisitSource.CSV,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a provider's visits from CSV (columns ``visit_id, placement, date, minutes``;
    comma or semicolon; dates as 2026-03-01 or 01.03.2026). The whole file is checked first:
    any bad row — unknown column, a placement not with this provider, a date outside the
    period, a visit id twice — is named with its reason and nothing is saved. Visit ids already
    recorded are counted, not saved again."""
    today = today or timezone.localdate()
    report = ImportReport()
    text = content.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        report.errors.append((1, _("Missing column(s): %(cols)s.") % {"cols": ", ".join(missing)}))
        return report
    reader.fieldnames = header
    parsed: list[tuple[int, str, int, dt.date, int]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        report.rows += 1
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        visit_id = row.get("visit_id", "")
        problems = []
        if not visit_id:
            problems.append(_("the visit id is empty"))
        elif len(visit_id) > 80:
            problems.append(_("the visit id is longer than 80 characters"))
        elif visit_id in seen:
            problems.append(
                _("visit id %(id)s is also on row %(row)s")
                % {"id": visit_id, "row": seen[visit_id]}
            )
        else:
            seen[visit_id] = number
        placement_text = row.get("placement", "")
        placement_id = int(placement_text) if placement_text.isdigit() else None
        if placement_id is None:
            problems.append(_("the placement number is not a number"))
        day = _parse_date(row.get("date", ""))
        if day is None:
            problems.append(_("the date is not a date (use 2026-03-01 or 01.03.2026)"))
        minutes_text = row.get("minutes", "")
        minutes = int(minutes_text) if minutes_text.isdigit() else 0
        if not 1 <= minutes <= 600:
            problems.append(_("minutes must be a whole number from 1 to 600"))
        if problems:
            report.errors.append((number, "; ".join(problems)))
            continue
        parsed.append((number, visit_id, placement_id, day, minutes))  # type: ignore[arg-type]
    placements = {
        p.pk: p
        for p in Placement.objects.filter(provider=provider, pk__in=sorted({r[2] for r in parsed}))
    }
    already = (
        set(
            ProviderVisit.objects.filter(
                provider=provider, external_id__in=[r[1] for r in parsed]
            ).values_list("external_id", flat=True)
        )
        if parsed
        else set()
    )
    new: list[ProviderVisit] = []
    for number, visit_id, placement_id, day, minutes in parsed:
        if visit_id in already:
            report.already += 1
            continue
        placement = placements.get(placement_id)
        if placement is None:
            report.errors.append(
                (number, _("no placement number %(n)s with this provider") % {"n": placement_id})
            )
            continue
        refusal = visit_refusal(placement, day, today)
        if refusal:
            report.errors.append((number, refusal))
            continue
        new.append(
            _new_visit(
                placement,
                visited_on=day,
                minutes=minutes,
                source=source,
                external_id=visit_id,
                by=by,
                trainer=None,
            )
        )
    report.errors.sort()
    if report.errors:
        return report
    with transaction.atomic():
        ProviderVisit.objects.bulk_create(new, batch_size=1000)
        report.links = confirmations.links_queue(visits=new, by=by, now=timezone.now())
        audit_log(
            user=by if getattr(by, "pk", None) else None,
            action=AuditAction.CREATE,
            municipality_id=provider.municipality_id,
            object_type="providers.providervisit",
            object_repr=_("%(n)s visits from a file") % {"n": len(new)},
            changes={"provider": provider.pk, "created": len(new), "already": report.already},
        )
    report.created = len(new)
    return report


# --- the provider's API keys -------------------------------------------------------------------


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(
    *, by: User | None, provider: ActivityProvider, name: str
) -> tuple[ProviderToken, str]:
    """A new API key for the provider's own system; the key is returned once, only its hash is
    kept."""
    key = "kpv_" + secrets.token_urlsafe(32)
    token = ProviderToken(
        provider=provider,
        municipality_id=provider.municipality_id,
        name=(name or "").strip(),
        key_hash=hash_key(key),
        prefix=key[:8],
        created_by=by,
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=token, changes={"name": token.name})
    return token, key


def token_revoke(*, by: User | None, token: ProviderToken) -> ProviderToken:
    with transaction.atomic():
        ProviderToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db()
        audit_log(user=by, action=AuditAction.UPDATE, obj=token, changes={"revoked": True})
    return token
