"""Writes for grants. Views (staff and the organisation's pages), the API, the demo and the
scheduler all come here. Every function is keyword-only, validates before it writes (nothing is
saved on error), runs in one transaction and queues its e-mails through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kobling.core.access import require_manager
from kobling.core.uploads import clean_upload_name, pdf_has_active_content, sniff_content_type
from kobling.core.versions import lock_versioned as _lock
from kobling.grants import notices
from kobling.grants.choices import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    ATTACHMENTS_PER_APPLICATION,
    ApplicationStatus,
    DecisionOutcome,
    ReportStatus,
    RoundState,
)
from kobling.grants.models import (
    Application,
    Attachment,
    BudgetLine,
    ConflictDeclaration,
    Criterion,
    GrantDecision,
    GrantReport,
    GrantRound,
    GrantScheme,
    OrganisationContact,
    ReportLine,
    Score,
    current_decision,
)
from kobling.lib.errors import ConflictError
from kobling.partners import services as partner_services
from kobling.partners.choices import AgreementKind, Clause, PartnerKind
from kobling.partners.models import Agreement, Partner
from kobling.tenancy.audit import audit_log, diff
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality, User

SCHEME_FIELDS = (
    "name",
    "purpose",
    "eligibility",
    "budget",
    "round_kind",
    "agreement_threshold",
    "is_active",
)
ROUND_FIELDS = ("name", "opens_on", "deadline", "budget")
APPLICATION_FIELDS = (
    "title",
    "purpose",
    "target_groups",
    "prevention_level",
    "expected_participants",
)
REPORT_FIELDS = ("activities", "participants", "deviations")


def _check_fields(data: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in sorted(unknown)})


def _snapshot(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


# --- settings, schemes, criteria, rounds ---------------------------------------------------


def scheme_create(*, by: User, municipality: Municipality, data: dict[str, Any]) -> GrantScheme:
    """Create a grant scheme (the municipality's managers)."""
    require_manager(by, municipality.pk)
    _check_fields(data, SCHEME_FIELDS)
    scheme = GrantScheme(municipality=municipality, **data)
    scheme.full_clean()
    with transaction.atomic():
        scheme.save()
        audit_log(
            user=by, action=AuditAction.CREATE, obj=scheme, changes=_snapshot(scheme, SCHEME_FIELDS)
        )
    return scheme


def _update(
    model: type,
    obj: Any,
    *,
    by: User,
    data: dict[str, Any],
    fields: Sequence[str],
    expected_version: int | None,
) -> Any:
    """Change a versioned record of the officers: the version check under the row lock, the
    field rules, the audit entry with what changed."""
    require_manager(by, obj.municipality_id)
    _check_fields(data, fields)
    with transaction.atomic():
        locked = _lock(model, obj, expected_version)
        before = _snapshot(locked, fields)
        for field, value in data.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.version += 1
        locked.save()
        audit_log(
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, _snapshot(locked, fields)),
        )
    return locked


def scheme_update(
    *, scheme: GrantScheme, by: User, data: dict[str, Any], expected_version: int | None
) -> GrantScheme:
    return _update(
        GrantScheme,
        scheme,
        by=by,
        data=data,
        fields=SCHEME_FIELDS,
        expected_version=expected_version,
    )


def criterion_add(
    *, scheme: GrantScheme, by: User, name: str, weight: int, description: str = ""
) -> Criterion:
    """Add a weighted criterion. Refused once any application of the scheme is scored, so the
    scores already given keep their meaning."""
    require_manager(by, scheme.municipality_id)
    if Score.objects.filter(criterion__scheme=scheme).exists():
        raise ValidationError(
            _("Applications of this scheme are already scored; its criteria can no longer change.")
        )
    criterion = Criterion(
        municipality_id=scheme.municipality_id,
        scheme=scheme,
        name=(name or "").strip(),
        weight=weight,
        description=description,
    )
    criterion.full_clean()
    with transaction.atomic():
        criterion.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=criterion,
            changes={"scheme": scheme.pk, "name": criterion.name, "weight": weight},
        )
    return criterion


def round_create(*, scheme: GrantScheme, by: User, data: dict[str, Any]) -> GrantRound:
    require_manager(by, scheme.municipality_id)
    _check_fields(data, ROUND_FIELDS)
    data = {
        "budget": scheme.budget,
        **{k: v for k, v in data.items() if v is not None or k == "deadline"},
    }
    grant_round = GrantRound(municipality_id=scheme.municipality_id, scheme=scheme, **data)
    grant_round.full_clean()
    with transaction.atomic():
        grant_round.save()
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=grant_round,
            changes=_snapshot(grant_round, ROUND_FIELDS),
        )
    return grant_round


def round_update(
    *, grant_round: GrantRound, by: User, data: dict[str, Any], expected_version: int | None
) -> GrantRound:
    return _update(
        GrantRound,
        grant_round,
        by=by,
        data=data,
        fields=ROUND_FIELDS,
        expected_version=expected_version,
    )


# --- the organisation's contact person -----------------------------------------------------


def contact_request(
    *, municipality: Municipality, data: dict[str, Any], now: dt.datetime | None = None
) -> OrganisationContact:
    """The contact person asks for a sign-in link: the organisation number is checked, the
    contact kept (one per organisation number and address) and a link e-mailed through the
    outbox. Refused over the send limit."""
    number = "".join(str(data.get("organisation_number") or "").split())
    email = str(data.get("email") or "").strip().lower()
    contact = OrganisationContact.objects.filter(
        municipality=municipality, organisation_number=number, email=email
    ).first() or OrganisationContact(
        municipality=municipality, organisation_number=number, email=email
    )
    contact.organisation_name = str(data.get("organisation_name") or "").strip()
    contact.name = str(data.get("name") or "").strip()
    contact.full_clean(exclude=["partner"], validate_constraints=False)
    with transaction.atomic():
        contact.save()
        locked = OrganisationContact.objects.select_for_update().get(pk=contact.pk)
        notices.signin_link_send(contact=locked, now=now)
    return contact


def contact_sign_in(
    *, contact: OrganisationContact, now: dt.datetime | None = None
) -> OrganisationContact:
    """The link was used: link the contact to its organisation's partner — the municipality's
    partner with that organisation number, else a new volunteer-organisation partner."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = OrganisationContact.objects.select_for_update().get(pk=contact.pk)
        if locked.partner_id is None:
            partner = (
                Partner.objects.filter(
                    municipality_id=locked.municipality_id,
                    organisation_number=locked.organisation_number,
                )
                .order_by("pk")
                .first()
            )
            if partner is None:
                name = locked.organisation_name
                if Partner.objects.filter(
                    municipality_id=locked.municipality_id, name__iexact=name
                ).exists():
                    name = f"{name} ({locked.organisation_number})"
                partner = partner_services.partner_create(
                    by=None,
                    municipality=locked.municipality,
                    data={
                        "name": name,
                        "organisation_number": locked.organisation_number,
                        "kind": PartnerKind.VOLUNTEER,
                        "contact_name": locked.name,
                        "contact_email": locked.email,
                    },
                )
            locked.partner = partner
        locked.last_signed_in_at = now
        locked.save(update_fields=["partner", "last_signed_in_at"])
    return locked


# --- applications (the organisation) -------------------------------------------------------


def _refuse_closed(grant_round: GrantRound, now: dt.datetime) -> None:
    state = grant_round.state_at(now)
    if state == RoundState.CLOSED:
        raise ValidationError(
            _(
                "The deadline for this round was %(deadline)s. Applications can no longer be sent or changed."
            )
            % {
                "deadline": formats.date_format(
                    timezone.localtime(grant_round.deadline), "SHORT_DATETIME_FORMAT"
                )
            },
            code="deadline",
        )
    if state == RoundState.UPCOMING:
        raise ValidationError(
            _("This round opens on %(date)s.")
            % {"date": formats.date_format(grant_round.opens_on, "SHORT_DATE_FORMAT")},
            code="upcoming",
        )


def _lines(lines: Iterable[dict[str, Any]]) -> list[BudgetLine]:
    kept = []
    errors = []
    for line in lines:
        description = str(line.get("description") or "").strip()
        amount = line.get("amount")
        if not description and amount in (None, ""):
            continue
        if not description or amount in (None, ""):
            errors.append(_("Each budget line needs both what it is for and an amount."))
            continue
        try:
            value = Decimal(str(amount))
        except ArithmeticError:
            errors.append(_("Amounts are whole kroner."))
            continue
        if value < 0 or value != value.to_integral_value():
            errors.append(_("Amounts are whole kroner, not negative."))
            continue
        kept.append(BudgetLine(description=description[:200], amount=value))
    if errors:
        raise ValidationError({"budget_lines": sorted(set(errors))})
    return kept


def application_create(
    *,
    grant_round: GrantRound,
    contact: OrganisationContact,
    data: dict[str, Any],
    now: dt.datetime | None = None,
) -> Application:
    """Start a draft in an open round for the contact's organisation."""
    now = now or timezone.now()
    if contact.partner_id is None or contact.municipality_id != grant_round.municipality_id:
        raise PermissionDenied
    _refuse_closed(grant_round, now)
    _check_fields(data, APPLICATION_FIELDS)
    application = Application(
        municipality_id=grant_round.municipality_id,
        round=grant_round,
        partner_id=contact.partner_id,
        contact=contact,
        **data,
    )
    application.full_clean(exclude=["round", "partner", "contact", "municipality"])
    with transaction.atomic():
        application.save()
        audit_log(
            user=None,
            action=AuditAction.CREATE,
            obj=application,
            changes={"contact": contact.pk, "title": application.title},
        )
    return application


def application_save(
    *,
    application: Application,
    contact: OrganisationContact,
    data: dict[str, Any],
    lines: Iterable[dict[str, Any]] | None,
    expected_version: int | None,
    submit: bool = False,
    now: dt.datetime | None = None,
) -> Application:
    """Keep the draft's changes (and its budget lines); with ``submit`` send it to the
    municipality, which needs what the money is for, a budget and the prevention level. Refused
    after the deadline, with the deadline in the message; nothing is saved then."""
    now = now or timezone.now()
    _check_fields(data, APPLICATION_FIELDS)
    with transaction.atomic():
        locked = _lock(Application, application, expected_version)
        if locked.partner_id != contact.partner_id:
            raise PermissionDenied
        if locked.status != ApplicationStatus.DRAFT:
            raise ValidationError(_("The application has been sent; it can no longer be changed."))
        _refuse_closed(locked.round, now)
        for field, value in data.items():
            setattr(locked, field, value)
        new_lines = _lines(lines) if lines is not None else None
        locked.full_clean(exclude=["round", "partner", "contact", "municipality"])
        if submit:
            errors = {}
            if not locked.purpose.strip():
                errors["purpose"] = _("Say what the money is for.")
            if not locked.prevention_level:
                errors["prevention_level"] = _("Choose the prevention level.")
            has_lines = bool(new_lines) if new_lines is not None else locked.budget_lines.exists()
            if not has_lines:
                errors["budget_lines"] = _("Add at least one budget line.")
            if errors:
                raise ValidationError(errors)
            locked.status = ApplicationStatus.SUBMITTED
            locked.submitted_at = now
        locked.version += 1
        locked.save()
        if new_lines is not None:
            locked.budget_lines.all().delete()
            for line in new_lines:
                line.application = locked
            BudgetLine.objects.bulk_create(new_lines)
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=locked,
            changes={
                "contact": contact.pk,
                "submitted": submit,
                **{k: str(v) for k, v in data.items() if k == "title"},
            },
        )
    return locked


def attachment_add(
    *,
    application: Application,
    contact: OrganisationContact,
    upload: Any,
    now: dt.datetime | None = None,
) -> Attachment:
    """Attach a file to a draft: a PDF, JPEG or PNG by its bytes (the name and the browser's
    type are not trusted), at most 10 MB, a PDF without scripts or embedded files."""
    now = now or timezone.now()
    if application.partner_id != contact.partner_id:
        raise PermissionDenied
    if application.status != ApplicationStatus.DRAFT:
        raise ValidationError(
            {"file": _("The application has been sent; it can no longer be changed.")}
        )
    _refuse_closed(application.round, now)
    size = getattr(upload, "size", 0) or 0
    if not size:
        raise ValidationError({"file": _("The file is empty.")})
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too big (%(size)s MB); at most %(max)s MB.")
                % {
                    "size": f"{size / 1024 / 1024:.1f}",
                    "max": ATTACHMENT_MAX_BYTES // (1024 * 1024),
                }
            }
        )
    content_type = sniff_content_type(upload)
    if content_type not in ATTACHMENT_TYPES:
        raise ValidationError({"file": _("Attachments must be PDF, JPEG or PNG files.")})
    if content_type == "application/pdf":
        upload.seek(0)
        if pdf_has_active_content(upload.read()):
            raise ValidationError(
                {
                    "file": _(
                        "The PDF contains scripts, actions or attached files. Save it again as a plain PDF."
                    )
                }
            )
        upload.seek(0)
    if application.attachments.count() >= ATTACHMENTS_PER_APPLICATION:
        raise ValidationError(
            {
                "file": _("An application can have at most %(n)d attachments.")
                % {"n": ATTACHMENTS_PER_APPLICATION}
            }
        )
    attachment = Attachment(
        municipality_id=application.municipality_id,
        application=application,
        name=clean_upload_name(getattr(upload, "name", ""), "vedlegg"),
        content_type=content_type,
        size=size,
    )
    with transaction.atomic():
        attachment.file.save(attachment.name, upload, save=False)
        attachment.save()
        audit_log(
            user=None,
            action=AuditAction.CREATE,
            obj=attachment,
            changes={"application": application.pk, "name": attachment.name},
        )
    return attachment


# --- assessment ----------------------------------------------------------------------------


def _assessable(application: Application, officer: User) -> None:
    require_manager(officer, application.municipality_id)
    if application.status == ApplicationStatus.DRAFT:
        raise ValidationError(_("The application has not been sent yet."))


def conflict_declare(
    *, application: Application, officer: User, reason: str
) -> ConflictDeclaration:
    """The officer declares a conflict of interest: from now on they cannot score the
    application, and their scores of it so far are removed from the ranking."""
    _assessable(application, officer)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say briefly what the conflict is.")})
    with transaction.atomic():
        declaration, created = ConflictDeclaration.objects.get_or_create(
            application=application,
            officer=officer,
            defaults={"municipality_id": application.municipality_id, "reason": reason.strip()},
        )
        removed, _detail = Score.objects.filter(application=application, officer=officer).delete()
        if created:
            audit_log(
                user=officer,
                action=AuditAction.CREATE,
                obj=declaration,
                changes={"application": application.pk, "scores_removed": removed},
            )
    return declaration


def score_record(
    *, application: Application, officer: User, criterion: Criterion, value: int, comment: str = ""
) -> Score:
    """Score one criterion (0–5) with a comment; scoring again replaces the officer's own
    score. Refused for an officer who declared a conflict of interest in the application, and
    once it is decided."""
    _assessable(application, officer)
    if ConflictDeclaration.objects.filter(application=application, officer=officer).exists():
        raise PermissionDenied(
            _("You declared a conflict of interest in this application and cannot score it.")
        )
    if application.status == ApplicationStatus.DECIDED:
        raise ValidationError(_("The application is decided; scores can no longer change."))
    if criterion.scheme_id != application.round.scheme_id:
        raise ValidationError({"criterion": _("Choose a criterion of the application's scheme.")})
    with transaction.atomic():
        score = Score.objects.filter(
            application=application, criterion=criterion, officer=officer
        ).first() or Score(
            municipality_id=application.municipality_id,
            application=application,
            criterion=criterion,
            officer=officer,
        )
        score.value = value
        score.comment = (comment or "").strip()
        score.full_clean(exclude=["application", "criterion", "officer", "municipality"])
        score.save()
        audit_log(
            user=officer,
            action=AuditAction.UPDATE,
            obj=score,
            changes={"application": application.pk, "criterion": criterion.pk, "value": value},
        )
    return score


# --- decisions -----------------------------------------------------------------------------


def decision_make(
    *,
    application: Application,
    by: User,
    outcome: str,
    amount: Decimal | int | None,
    reasons: str,
    conditions: str = "",
    report_due_on: dt.date | None = None,
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> GrantDecision:
    """Decide an application (or correct the decision in force: the new one supersedes it; the
    old stays as it was). A grant has an amount and a report due date; every decision has
    reasons. The applicant is told through the outbox, granted or not, with the letter."""
    now = now or timezone.now()
    require_manager(by, application.municipality_id)
    errors: dict[str, str] = {}
    if outcome not in DecisionOutcome.values:
        errors["outcome"] = _("Choose granted or refused.")
    granted = outcome == DecisionOutcome.GRANTED
    value = Decimal(amount or 0)
    if granted and value <= 0:
        errors["amount"] = _("A grant needs an amount above zero.")
    if not granted:
        value = Decimal(0)
    if granted and report_due_on is None:
        errors["report_due_on"] = _("A grant needs a date for the report.")
    if not (reasons or "").strip():
        errors["reasons"] = _("Give the reasons; the letter states them.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(Application, application, expected_version)
        if locked.status == ApplicationStatus.DRAFT:
            raise ValidationError(_("The application has not been sent yet."))
        if locked.round.state_at(now) != RoundState.CLOSED and locked.round.deadline is not None:
            raise ValidationError(_("The round is still open; decide after the deadline."))
        previous = current_decision(list(locked.decisions.all()))
        if previous is not None and previous.granted and locked.paid_on and not granted:
            raise ValidationError(_("The grant is paid; reclaim it instead of refusing it now."))
        decision = GrantDecision(
            municipality_id=locked.municipality_id,
            application=locked,
            outcome=outcome,
            amount=value,
            conditions=(conditions or "").strip(),
            reasons=reasons.strip(),
            report_due_on=report_due_on if granted else None,
            decided_by=by,
            decided_at=now,
            supersedes=previous,
        )
        decision.full_clean(exclude=["application", "decided_by", "supersedes", "municipality"])
        decision.save()
        locked.status = ApplicationStatus.DECIDED
        locked.report_due_on = decision.report_due_on
        locked.version += 1
        locked.save(update_fields=["status", "report_due_on", "version", "updated_at"])
        audit_log(
            user=by,
            action=AuditAction.CREATE,
            obj=decision,
            changes={
                "application": locked.pk,
                "outcome": outcome,
                "amount": str(value),
                "supersedes": previous.pk if previous else None,
            },
        )
        notices.decision_notice_queue(decision=decision)
    return decision


def agreement_from_grant(
    *,
    application: Application,
    by: User,
    starts_on: dt.date,
    ends_on: dt.date | None,
    clauses: Iterable[str],
) -> Agreement:
    """The written grant agreement for a grant above the scheme's threshold, made with the
    partners module's agreement (kind *grant agreement*, its clause checklist)."""
    require_manager(by, application.municipality_id)
    decision = current_decision(list(application.decisions.all()))
    if decision is None or not decision.granted:
        raise ValidationError(_("Only a granted application gets a grant agreement."))
    if decision.amount <= application.round.scheme.agreement_threshold:
        raise ValidationError(
            _(
                "The grant is not above the scheme's threshold (%(threshold)s NOK); no written agreement is required."
            )
            % {"threshold": application.round.scheme.agreement_threshold}
        )
    if application.agreement_id:
        raise ValidationError(_("The grant already has its agreement."))
    chosen = list(clauses)
    covers = _("%(title)s: %(amount)s NOK from %(scheme)s. %(conditions)s") % {
        "title": application.title,
        "amount": decision.amount,
        "scheme": application.round.scheme.name,
        "conditions": decision.conditions,
    }
    with transaction.atomic():
        locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.agreement_id:
            raise ValidationError(_("The grant already has its agreement."))
        agreement = partner_services.agreement_create(
            partner=locked.partner,
            by=by,
            data={
                "kind": AgreementKind.GRANT,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "review_on": locked.report_due_on,
                "covers": covers.strip(),
                "clauses": chosen or [Clause.PURPOSE, Clause.ACCOUNTS, Clause.CONTACTS],
            },
        )
        locked.agreement = agreement
        locked.version += 1
        locked.save(update_fields=["agreement", "version", "updated_at"])
    return agreement


def grant_mark_paid(
    *, application: Application, by: User, paid_on: dt.date, expected_version: int | None
) -> Application:
    require_manager(by, application.municipality_id)
    with transaction.atomic():
        locked = _lock(Application, application, expected_version)
        decision = current_decision(list(locked.decisions.all()))
        if decision is None or not decision.granted:
            raise ValidationError(_("Only a grant can be paid."))
        locked.paid_on = paid_on
        locked.version += 1
        locked.save(update_fields=["paid_on", "version", "updated_at"])
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes={"paid_on": str(paid_on)})
    return locked


def grant_reclaim(
    *, application: Application, by: User, reason: str, on: dt.date, expected_version: int | None
) -> Application:
    require_manager(by, application.municipality_id)
    if not (reason or "").strip():
        raise ValidationError({"reclaim_reason": _("Say why the grant is reclaimed.")})
    with transaction.atomic():
        locked = _lock(Application, application, expected_version)
        decision = current_decision(list(locked.decisions.all()))
        if decision is None or not decision.granted:
            raise ValidationError(_("Only a grant can be reclaimed."))
        locked.reclaimed_on = on
        locked.reclaim_reason = reason.strip()
        locked.version += 1
        locked.save(update_fields=["reclaimed_on", "reclaim_reason", "version", "updated_at"])
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes={"reclaimed_on": str(on)})
    return locked


# --- reports -------------------------------------------------------------------------------


def report_save(
    *,
    application: Application,
    contact: OrganisationContact,
    data: dict[str, Any],
    spent: dict[int, Any],
    expected_version: int | None,
    submit: bool = False,
    now: dt.datetime | None = None,
) -> GrantReport:
    """The organisation writes (and with ``submit`` sends) its report: activities, the number of
    participants (a count only), what was spent on each budget line, deviations."""
    now = now or timezone.now()
    if application.partner_id != contact.partner_id:
        raise PermissionDenied
    _check_fields(data, REPORT_FIELDS)
    decision = current_decision(list(application.decisions.all()))
    if decision is None or not decision.granted or application.reclaimed_on:
        raise ValidationError(_("Only a grant is reported on."))
    line_ids = set(application.budget_lines.values_list("pk", flat=True))
    errors: dict[str, Any] = {}
    amounts: dict[int, Decimal] = {}
    for line_id, value in spent.items():
        if int(line_id) not in line_ids:
            errors["lines"] = _("Account only against the application's budget lines.")
            continue
        if value in (None, ""):
            continue
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            amount = Decimal(-1)
        if amount < 0 or amount != amount.to_integral_value():
            errors["lines"] = _("Amounts are whole kroner, not negative.")
            continue
        amounts[int(line_id)] = amount
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        report = GrantReport.objects.filter(application=application).first()
        if report is None:
            report = GrantReport(
                municipality_id=application.municipality_id, application=application
            )
        elif expected_version is None or report.version != expected_version:
            raise ConflictError(
                _(
                    "The report was changed by someone else while you were editing. Reload to see the latest version; nothing was saved."
                )
            )
        if report.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
            raise ValidationError(_("The report has been sent; it can no longer be changed."))
        for field, value in data.items():
            setattr(report, field, value)
        report.full_clean(exclude=["application", "municipality"])
        if submit:
            missing = {}
            if not report.activities.strip():
                missing["activities"] = _("Describe the activities held.")
            if report.participants is None:
                missing["participants"] = _("Give the number of participants.")
            if set(amounts) != line_ids:
                missing["lines"] = _("Account for every budget line (0 if nothing was spent).")
            if missing:
                raise ValidationError(missing)
            report.status = ReportStatus.SUBMITTED
            report.submitted_at = now
        if report.pk:
            report.version += 1
        report.save()
        for line_id, amount in amounts.items():
            ReportLine.objects.update_or_create(
                report=report, budget_line_id=line_id, defaults={"spent": amount}
            )
        audit_log(
            user=None,
            action=AuditAction.UPDATE,
            obj=report,
            changes={"contact": contact.pk, "submitted": submit},
        )
        if submit:
            notices.report_reminders_stop(application=application)
    return report


def report_review(
    *,
    report: GrantReport,
    by: User,
    approve: bool,
    questions: str = "",
    expected_version: int | None,
    now: dt.datetime | None = None,
) -> GrantReport:
    """Approve a submitted report (final), or send it back with follow-up questions (the
    organisation answers by changing and sending it again)."""
    now = now or timezone.now()
    require_manager(by, report.municipality_id)
    if not approve and not (questions or "").strip():
        raise ValidationError({"questions": _("Write the follow-up questions.")})
    with transaction.atomic():
        locked = _lock(GrantReport, report, expected_version)
        if locked.status != ReportStatus.SUBMITTED:
            raise ValidationError(_("Only a submitted report can be approved or questioned."))
        locked.status = ReportStatus.APPROVED if approve else ReportStatus.QUESTIONS
        locked.questions = "" if approve else questions.strip()
        locked.reviewed_by = by
        locked.reviewed_at = now
        locked.version += 1
        locked.save()
        audit_log(user=by, action=AuditAction.UPDATE, obj=locked, changes={"status": locked.status})
        if not approve:
            notices.report_questions_queue(report=locked)
    return locked
