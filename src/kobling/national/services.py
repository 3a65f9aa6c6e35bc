"""Writes for the national overview. Every write is the analyst's (``by``), validated, atomic
and audited. E-mail goes out through :mod:`kobling.national.surveys` and the worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.national.choices import (
    HEALTH_KINDS,
    MAPPED_KINDS,
    CallOutcome,
    EndReason,
    QuestionKind,
    QuestionRole,
    RecipientStatus,
    SchemeState,
    StatusSource,
    UnitKind,
)
from kobling.national.models import (
    PhoneCall,
    SchemeStatus,
    SurveyCampaign,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTemplate,
    Unit,
    UnitContact,
    valid_on_q,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, ProgrammeKind


def _require_analyst(by: Any) -> None:
    # by=None is the system (demo, tasks); a person must be the national analyst.
    if by is not None and not getattr(by, "is_analyst", False):
        raise PermissionDenied


def unit_contact_set(
    *, unit: Unit, by: Any, name: str = "", email: str = "", phone: str = ""
) -> UnitContact:
    """Name (or change) the unit's contact person for the mapping."""
    _require_analyst(by)
    with transaction.atomic():
        contact, _created = UnitContact.objects.select_for_update().get_or_create(unit=unit)
        before = {"name": contact.name, "email": contact.email, "phone": contact.phone}
        contact.name, contact.email, contact.phone = name.strip(), email.strip(), phone.strip()
        contact.full_clean()
        contact.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=contact,
            changes={k: [v, getattr(contact, k)] for k, v in before.items()},
        )
    return contact


def unit_set_email(*, unit: Unit, by: Any, email: str) -> Unit:
    """The unit's post address (official e-mail), the fallback when no contact is named."""
    _require_analyst(by)
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        before = locked.email
        locked.email = email.strip()
        locked.full_clean(exclude=["code"])
        locked.save(update_fields=["email"])
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=locked, changes={"email": [before, email]}
        )
    return locked


def unit_set_health(*, unit: Unit, by: Any, health_region: str, county_code: str) -> Unit:
    """Correct a health unit's health region and county (audited)."""
    _require_analyst(by)
    if unit.kind not in HEALTH_KINDS:
        raise ValidationError(_("Only health trusts, hospitals and institutions have a region."))
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        before = {"health_region": locked.health_region, "county_code": locked.county_code}
        locked.health_region, locked.county_code = health_region, county_code
        locked.full_clean(exclude=["code"])
        locked.save(update_fields=["health_region", "county_code"])
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={k: [v, getattr(locked, k)] for k, v in before.items()},
        )
    return locked


def scheme_status_record(
    *,
    unit: Unit,
    by: Any,
    state: str,
    as_of: dt.date | None = None,
    programme_kind: str = ProgrammeKind.TRENINGSKONTAKT,
    source: str = StatusSource.MANUAL,
    started_year: int | None = None,
    ended_year: int | None = None,
    ended_reason: str = "",
    note: str = "",
    recipient: SurveyRecipient | None = None,
) -> SchemeStatus:
    """Record what is known about a unit's scheme as of a date (a new row; history is kept)."""
    _require_analyst(by)
    if state not in SchemeState.values:
        raise ValidationError({"state": _("Choose a status.")})
    if ended_reason and ended_reason not in EndReason.values:
        raise ValidationError({"ended_reason": _("Choose a reason.")})
    if unit.kind not in MAPPED_KINDS:
        raise ValidationError(
            {
                "unit": _(
                    "The scheme is mapped for municipalities, city "
                    "districts and county sports councils only."
                )
            }
        )
    status = SchemeStatus(
        unit=unit,
        programme_kind=programme_kind,
        state=state,
        source=source,
        as_of=as_of or timezone.localdate(),
        started_year=started_year,
        ended_year=ended_year,
        ended_reason=ended_reason,
        note=note[:300],
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        recipient=recipient,
    )
    status.full_clean()
    with transaction.atomic():
        status.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=status,
            changes={"state": state, "source": source, "as_of": status.as_of},
        )
    return status


def phone_call_log(
    *,
    unit: Unit,
    by: Any,
    called_on: dt.date,
    caller: str,
    outcome: str,
    note: str = "",
    campaign: SurveyCampaign | None = None,
) -> PhoneCall:
    """Log a call to a unit about the mapping."""
    _require_analyst(by)
    problems = {}
    if outcome not in CallOutcome.values:
        problems["outcome"] = _("Choose an outcome.")
    if called_on > timezone.localdate():
        problems["called_on"] = _("The call cannot be in the future.")
    if not caller.strip():
        problems["caller"] = _("Say who called.")
    if problems:
        raise ValidationError(problems)
    call = PhoneCall(
        unit=unit,
        campaign=campaign,
        called_on=called_on,
        caller=caller.strip(),
        outcome=outcome,
        note=note.strip(),
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    call.full_clean()
    with transaction.atomic():
        call.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=call, changes={"outcome": outcome})
    return call


def campaign_create(
    *,
    template: SurveyTemplate,
    by: Any,
    name: str,
    programme_kind: str = ProgrammeKind.TRENINGSKONTAKT,
    reminder_count: int = 2,
    reminder_interval_days: int = 14,
    link_valid_days: int = 90,
) -> SurveyCampaign:
    """A campaign is created empty; :func:`campaign_add_units` and :func:`campaign_dispatch`
    follow."""
    _require_analyst(by)
    campaign = SurveyCampaign(
        template=template,
        name=name.strip(),
        programme_kind=programme_kind,
        reminder_count=reminder_count,
        reminder_interval_days=reminder_interval_days,
        link_valid_days=link_valid_days,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    campaign.full_clean()
    if not template.questions.filter(role=QuestionRole.GATE).exists():
        raise ValidationError({"template": _("The template needs a gate question.")})
    with transaction.atomic():
        campaign.save()
        audit_log(user=by, action=AuditAction.CREATE, obj=campaign)
    return campaign


def recipient_address(unit: Unit) -> tuple[str, str]:
    """``(contact name, e-mail)``: the named contact person, else the unit's post address."""
    contact = getattr(unit, "contact", None)
    if contact is not None and contact.email:
        return contact.name, contact.email
    return (contact.name if contact else ""), unit.email


def campaign_add_units(
    *,
    campaign: SurveyCampaign,
    by: Any,
    unit_kinds: list[str],
    on_date: dt.date | None = None,
    county_code: str = "",
    only_unknown: bool = False,
) -> int:
    """Add every unit of the kinds valid on the date (optionally one county, optionally only
    those whose status is unknown) that is not in the campaign yet and has not opted out."""
    _require_analyst(by)
    from kobling.national.selectors import unit_statuses

    on_date = on_date or timezone.localdate()
    kinds = [k for k in unit_kinds if k in MAPPED_KINDS]
    if not kinds:
        raise ValidationError({"unit_kinds": _("Choose at least one kind of unit.")})
    units = Unit.objects.filter(valid_on_q(on_date), kind__in=kinds).select_related("contact")
    if county_code:
        units = units.filter(county_code=county_code)
    if only_unknown:
        unknown = {
            s.unit.pk
            for s in unit_statuses(on_date, campaign.programme_kind, tuple(kinds))
            if s.state == SchemeState.UNKNOWN
        }
        units = units.filter(pk__in=sorted(unknown))
    units = units.exclude(contact__opted_out_at__isnull=False).exclude(
        survey_recipients__campaign=campaign
    )
    rows = []
    for unit in units.order_by("code"):
        name, email = recipient_address(unit)
        rows.append(
            SurveyRecipient(
                campaign=campaign,
                unit=unit,
                contact_name=name,
                email=email,
                status=RecipientStatus.PENDING if email else RecipientStatus.NO_ADDRESS,
            )
        )
    with transaction.atomic():
        SurveyRecipient.objects.bulk_create(rows)
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=campaign, changes={"units_added": len(rows)}
        )
    return len(rows)


def campaign_dispatch(*, campaign: SurveyCampaign, by: Any) -> int:
    """Queue the first e-mail to every recipient not sent yet (after commit; the worker sends).
    Recipients without an address get their address again first, in case one was added."""
    _require_analyst(by)
    from kobling.national import surveys

    with transaction.atomic():
        locked = SurveyCampaign.objects.select_for_update().get(pk=campaign.pk)
        for recipient in locked.recipients.filter(status=RecipientStatus.NO_ADDRESS).select_related(
            "unit__contact"
        ):
            name, email = recipient_address(recipient.unit)
            if email:
                recipient.contact_name, recipient.email = name, email
                recipient.status = RecipientStatus.PENDING
                recipient.save(update_fields=["contact_name", "email", "status"])
        pending = list(
            locked.recipients.filter(status=RecipientStatus.PENDING).values_list("pk", flat=True)
        )
        if locked.dispatched_at is None:
            locked.dispatched_at = timezone.now()
            locked.save(update_fields=["dispatched_at"])
        audit_log(
            user=by, action=AuditAction.UPDATE, obj=locked, changes={"dispatched": len(pending)}
        )
        transaction.on_commit(lambda: surveys.queue_sends(recipient_ids=pending))
    return len(pending)


def question_save(
    *,
    template: SurveyTemplate,
    by: Any,
    question: SurveyQuestion | None = None,
    **fields: Any,
) -> SurveyQuestion:
    """Create or change a question of a template. The gate question keeps its role and its
    three fixed answers (running / ended / never): the early exit depends on them."""
    _require_analyst(by)
    from kobling.national.choices import GATE_TO_STATE

    question = question or SurveyQuestion(template=template)
    before = {k: getattr(question, k, None) for k in fields}
    for key, value in fields.items():
        setattr(question, key, value)
    if question.kind == QuestionKind.CHOICE and not question.choices:
        raise ValidationError({"choices": _("A single-choice question needs its choices.")})
    if question.kind != QuestionKind.CHOICE:
        question.choices = []
    if question.role == QuestionRole.GATE:
        values = {pair[0] for pair in question.choices}
        if question.kind != QuestionKind.CHOICE or values != set(GATE_TO_STATE):
            raise ValidationError(
                {
                    "choices": _(
                        "The gate question has exactly the answers running, ended and never."
                    )
                }
            )
    question.full_clean()
    with transaction.atomic():
        question.save()
        SurveyTemplate.objects.filter(pk=template.pk).update(version=template.version + 1)
        audit_log(
            user=by,
            action=AuditAction.UPDATE if before.get("text") else AuditAction.CREATE,
            obj=question,
            changes={k: [before.get(k), getattr(question, k)] for k in fields},
        )
    return question


__all__ = [
    "UnitKind",
    "campaign_add_units",
    "campaign_create",
    "campaign_dispatch",
    "phone_call_log",
    "question_save",
    "recipient_address",
    "scheme_status_record",
    "unit_contact_set",
    "unit_set_email",
]
