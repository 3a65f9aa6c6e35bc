"""Writes to the partner register. Views, the API and the demo all come here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kobling.lib.errors import ConflictError
from kobling.partners.models import Agreement, Partner
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, Programme, User

PARTNER_FIELDS: tuple[str, ...] = (
    "name",
    "organisation_number",
    "kind",
    "prevention_level",
    "contact_name",
    "contact_phone",
    "contact_email",
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
    return {field: getattr(agreement, field) for field in AGREEMENT_FIELDS}


def _check_agreement(agreement: Agreement) -> None:
    # Constraints are checked by clean() with field keys; the CheckConstraint stays as a guard.
    agreement.full_clean(exclude=["municipality", "partner"], validate_constraints=False)


def agreement_create(*, partner: Partner, by: User | None, data: dict[str, Any]) -> Agreement:
    """Record an agreement with ``partner``. Nothing is saved on error."""
    _check_fields(data, AGREEMENT_FIELDS)
    agreement = Agreement(partner=partner, municipality_id=partner.municipality_id, **data)
    _check_agreement(agreement)
    with transaction.atomic():
        agreement.save()
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
) -> Agreement:
    """Change an agreement (renew it, set a review date, record what it covers)."""
    _check_fields(data, AGREEMENT_FIELDS)
    with transaction.atomic():
        locked = _lock(Agreement, agreement, expected_version)
        before = _agreement_snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        _check_agreement(locked)
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _agreement_snapshot(locked)),
        )
    return locked
