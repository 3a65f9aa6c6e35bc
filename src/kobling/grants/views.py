"""The case officers' pages (the municipality's admins and coordinators): schemes with their
criteria and rounds, the round's ranked list, an application with scores, conflict
declarations, decision, agreement, payment and report review, letters, attachments, the
yearly overview (page, CSV, PDF) and the watchdog sentence. Everyone else 403; a manager of
another municipality 404."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.access import managed_municipality_ids
from kobling.core.uploads import private_file_response
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.grants import selectors, services
from kobling.grants.choices import ApplicationStatus, ReportStatus
from kobling.grants.forms import (
    AgreementFromGrantForm,
    ConflictForm,
    CriterionForm,
    DecisionForm,
    PaidForm,
    ReclaimForm,
    ReviewForm,
    RoundForm,
    SchemeForm,
    ScoreForm,
    SettingsForm,
)
from kobling.grants.letters import grant_letter_context, grant_letter_pdf, letter_filename
from kobling.grants.models import (
    Application,
    Attachment,
    ConflictDeclaration,
    GrantDecision,
    GrantRound,
    GrantScheme,
    Score,
)
from kobling.partners import services as partner_services
from kobling.partners.models import PartnerSettings, watchdog_sentence
from kobling.referrals.letters import letter_language, letter_pdf
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import Municipality


def _require_scope(request: HttpRequest) -> None:
    if GrantScheme.visibility_q(request.user, "change") is None:
        raise PermissionDenied


# --- schemes -------------------------------------------------------------------------------


@login_required
@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    schemes = list(
        GrantScheme.objects.visible_to(request.user)
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )
    managed = managed_municipality_ids(request.user)
    return render(
        request,
        "grants/scheme_list.html",
        {
            "schemes": schemes,
            "user_is_admin": bool(request.user.municipality_ids(Role.MUNICIPAL_ADMIN)),
            "public_codes": list(
                Municipality.objects.filter(pk__in=managed)
                .order_by("name")
                .values_list("code", flat=True)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    form = SchemeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = services.scheme_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.data_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": scheme.name})
            return redirect("web:grant_scheme_detail", pk=scheme.pk)
    return render(
        request,
        "grants/form.html",
        {"form": form, "title": _("New grant scheme"), "back": "web:grant_scheme_list"},
    )


@login_required
@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_visible_or_404(request, GrantScheme.objects.select_related("municipality"), pk=pk)
    rounds = list(scheme.rounds.all())
    years = sorted({r.opens_on.year for r in rounds}, reverse=True)
    return render(
        request,
        "grants/scheme_detail.html",
        {
            "scheme": scheme,
            "criteria": list(scheme.criteria.all()),
            "rounds": rounds,
            "years": years,
            "criterion_form": CriterionForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_visible_or_404(request, GrantScheme.objects.all(), action="change", pk=pk)
    form = SchemeForm(request.POST or None, user=request.user, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.scheme_update(
                scheme=scheme,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:grant_scheme_detail", pk=scheme.pk)
    return render(
        request, "grants/form.html", {"form": form, "title": scheme.name, "back_url": scheme}
    )


@login_required
@require_POST
def criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_visible_or_404(request, GrantScheme.objects.all(), action="change", pk=pk)
    form = CriterionForm(request.POST)
    if form.is_valid():
        try:
            services.criterion_add(scheme=scheme, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The criterion was added."))
    else:
        messages.error(request, " ".join(" ".join(e) for e in form.errors.values()))
    return redirect("web:grant_scheme_detail", pk=scheme.pk)


# --- rounds --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_visible_or_404(request, GrantScheme.objects.all(), action="change", pk=pk)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_round = services.round_create(
                scheme=scheme, by=request.user, data=form.data_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The round was created."))
            return redirect("web:grant_round_detail", pk=grant_round.pk)
    return render(
        request,
        "grants/form.html",
        {
            "form": form,
            "title": _("New round of %(scheme)s") % {"scheme": scheme.name},
            "back_url": scheme,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grant_round = get_visible_or_404(
        request, GrantRound.objects.select_related("scheme"), action="change", pk=pk
    )
    form = RoundForm(request.POST or None, grant_round=grant_round)
    if request.method == "POST" and form.is_valid():
        data = form.data_kwargs()
        if data.get("budget") is None:
            data["budget"] = grant_round.budget
        with service_errors(form) as outcome:
            services.round_update(
                grant_round=grant_round,
                by=request.user,
                data=data,
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:grant_round_detail", pk=grant_round.pk)
    return render(
        request,
        "grants/form.html",
        {"form": form, "title": str(grant_round), "back_url": grant_round.scheme},
    )


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant_round = get_visible_or_404(
        request, GrantRound.objects.select_related("scheme", "municipality"), pk=pk
    )
    rows = selectors.round_ranking(grant_round)
    drafts = Application.objects.filter(round=grant_round, status=ApplicationStatus.DRAFT).count()
    return render(
        request,
        "grants/round_detail.html",
        {
            "grant_round": grant_round,
            "rows": rows,
            "drafts": drafts,
            "requested": sum((r.requested for r in rows), 0),
        },
    )


# --- an application ------------------------------------------------------------------------


def _application(
    request: HttpRequest, pk: int, action: str = "view", audit: bool = False
) -> Application:
    return get_visible_or_404(
        request,
        selectors.application_queryset(Application.objects.all()),
        action=action,
        audit=audit,
        pk=pk,
    )


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, audit=True)
    if application.status == ApplicationStatus.DRAFT:
        # A draft is the organisation's until it is sent.
        raise PermissionDenied
    criteria = list(application.round.scheme.criteria.all())
    scores = list(
        Score.objects.filter(application=application).select_related("officer", "criterion")
    )
    mine = {s.criterion_id: s for s in scores if s.officer_id == request.user.pk}
    conflicts = list(
        ConflictDeclaration.objects.filter(application=application).select_related("officer")
    )
    conflicted = any(c.officer_id == request.user.pk for c in conflicts)
    decision = selectors.decision_of(application)
    report = selectors.report_of(application)
    score_form = ScoreForm(
        criteria=criteria,
        initial={
            **{f"criterion_{c}": s.value for c, s in mine.items()},
            "comment": next((s.comment for s in mine.values() if s.comment), ""),
        },
    )
    today = timezone.localdate()
    needs_agreement = bool(
        decision
        and decision.granted
        and decision.amount > application.round.scheme.agreement_threshold
    )
    return render(
        request,
        "grants/application_detail.html",
        {
            "application": application,
            "criteria": criteria,
            "scores": scores,
            "conflicts": conflicts,
            "conflicted": conflicted,
            "score_form": score_form,
            "conflict_form": ConflictForm(),
            "decision": decision,
            "decisions": list(application.decisions.all()),
            "decision_form": DecisionForm(
                initial={"version": application.version, "amount": application.amount_requested}
            ),
            "paid_form": PaidForm(initial={"version": application.version, "paid_on": today}),
            "reclaim_form": ReclaimForm(
                initial={"version": application.version, "reclaimed_on": today}
            ),
            "needs_agreement": needs_agreement,
            "report": report,
            "review_form": ReviewForm(initial={"version": report.version}) if report else None,
            "status": selectors.status_label(selectors.status_of(application, today)),
            "submitted": ReportStatus.SUBMITTED,
        },
    )


@login_required
@require_POST
def application_score(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    criteria = list(application.round.scheme.criteria.all())
    form = ScoreForm(request.POST, criteria=criteria)
    if not form.is_valid():
        messages.error(request, _("Choose a score from %(lo)d to %(hi)d.") % {"lo": 0, "hi": 5})
        return redirect("web:grant_application_detail", pk=pk)
    try:
        for criterion in criteria:
            value = form.cleaned_data.get(f"criterion_{criterion.pk}")
            if value is None or value == "":
                continue
            services.score_record(
                application=application,
                officer=request.user,
                criterion=criterion,
                value=value,
                comment=form.cleaned_data["comment"],
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your scores were saved."))
    return redirect("web:grant_application_detail", pk=pk)


def _posted(
    request: HttpRequest, pk: int, form: Any, *, invalid: str, run: Any, success: str
) -> HttpResponse:
    """One officer action from the application page: the form, the service, a message (the
    service's refusal in the user's language), back to the application."""
    with service_errors(request) as outcome:
        if not form.is_valid():
            raise ValidationError(invalid)
        run(form.cleaned_data)
    if outcome.ok:
        messages.success(request, success)
    return redirect("web:grant_application_detail", pk=pk)


@login_required
@require_POST
def application_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    return _posted(
        request,
        pk,
        ConflictForm(request.POST),
        invalid=_("Say briefly what the conflict is."),
        run=lambda data: services.conflict_declare(
            application=application, officer=request.user, reason=data["reason"]
        ),
        success=_("Your conflict of interest is recorded. You cannot score this application."),
    )


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    form = DecisionForm(request.POST)
    return _posted(
        request,
        pk,
        form,
        invalid=" ".join(" ".join(e) for e in form.errors.values()) if form.errors else "",
        run=lambda data: services.decision_make(
            application=application,
            by=request.user,
            outcome=data["outcome"],
            amount=data.get("amount"),
            reasons=data["reasons"],
            conditions=data.get("conditions") or "",
            report_due_on=data.get("report_due_on"),
            expected_version=data.get("version"),
        ),
        success=_("The decision is made; the applicant is told, with the letter."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    form = AgreementFromGrantForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_from_grant(
                application=application,
                by=request.user,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data.get("ends_on"),
                clauses=form.cleaned_data["clauses"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The grant agreement was made."))
            return redirect("web:grant_application_detail", pk=pk)
    return render(
        request,
        "grants/form.html",
        {
            "form": form,
            "title": _("Grant agreement for %(title)s") % {"title": application.title},
            "back_url": application,
        },
    )


@login_required
@require_POST
def application_paid(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    return _posted(
        request,
        pk,
        PaidForm(request.POST),
        invalid=_("Give the date it was paid."),
        run=lambda data: services.grant_mark_paid(
            application=application,
            by=request.user,
            paid_on=data["paid_on"],
            expected_version=data["version"],
        ),
        success=_("Recorded as paid."),
    )


@login_required
@require_POST
def application_reclaim(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    return _posted(
        request,
        pk,
        ReclaimForm(request.POST),
        invalid=_("Give the date and why the grant is reclaimed."),
        run=lambda data: services.grant_reclaim(
            application=application,
            by=request.user,
            reason=data["reclaim_reason"],
            on=data["reclaimed_on"],
            expected_version=data["version"],
        ),
        success=_("The grant is recorded as reclaimed."),
    )


@login_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, action="change")
    report = selectors.report_of(application)
    if report is None:
        messages.error(request, _("No report has been sent."))
        return redirect("web:grant_application_detail", pk=pk)
    questions = (request.POST.get("questions") or "").strip()
    return _posted(
        request,
        pk,
        ReviewForm(request.POST),
        invalid=_("Reload the page and try again."),
        run=lambda data: services.report_review(
            report=report,
            by=request.user,
            approve=not data["questions"].strip(),
            questions=data["questions"],
            expected_version=data["version"],
        ),
        success=_("The questions are sent.") if questions else _("The report is approved."),
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = _application(request, pk)
    if application.status == ApplicationStatus.DRAFT:
        raise PermissionDenied
    attachment = get_object_or_404(Attachment, pk=attachment_pk, application=application)
    response = private_file_response(
        attachment.file, filename=attachment.name, content_type=attachment.content_type
    )
    audit_log(user=request.user, action=AuditAction.VIEW, obj=attachment)
    return response


def _decision(request: HttpRequest, pk: int, decision_pk: int) -> GrantDecision:
    application = _application(request, pk)
    return get_object_or_404(
        GrantDecision.objects.select_related(
            "application__round__scheme",
            "application__partner",
            "application__contact",
            "municipality",
            "decided_by",
            "supersedes",
        ),
        pk=decision_pk,
        application=application,
    )


@login_required
@require_GET
def letter(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _decision(request, pk, decision_pk)
    lang = letter_language(request.GET.get("lang"))
    return render(
        request,
        "grants/letter.html",
        {
            **grant_letter_context(decision),
            "lang": lang,
            "other_lang": "en" if lang == "nb" else "nb",
        },
    )


@login_required
@require_GET
def letter_pdf_page(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _decision(request, pk, decision_pk)
    pdf = grant_letter_pdf(decision, lang=letter_language(request.GET.get("lang")))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter_filename(decision)}"'
    return response


# --- the yearly overview -------------------------------------------------------------------


def _overview(request: HttpRequest, pk: int, year: int):  # noqa: ANN202
    scheme = get_visible_or_404(request, GrantScheme.objects.select_related("municipality"), pk=pk)
    return selectors.scheme_overview(scheme, year, timezone.localdate())


@login_required
@require_GET
def overview(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    data = _overview(request, pk, year)
    return render(request, "grants/overview.html", {"overview": data})


@login_required
@require_GET
def overview_csv(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    data = _overview(request, pk, year)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tilskudd-{data.scheme.pk}-{year}.csv"'
    writer = csv.writer(response)
    for row in selectors.overview_csv_rows(data):
        writer.writerow(row)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="grants.grantscheme",
        object_id=str(data.scheme.pk),
        municipality_id=data.scheme.municipality_id,
        changes={"format": "csv", "year": year, "rows": len(data.rows)},
    )
    return response


@login_required
@require_GET
def overview_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    data = _overview(request, pk, year)
    html = render_to_string(
        "grants/overview_document.html", {"overview": data, "lang": translation.get_language()}
    )
    response = HttpResponse(letter_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tilskudd-{data.scheme.pk}-{year}.pdf"'
    return response


# --- settings ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    admin_of = sorted(request.user.municipality_ids(Role.MUNICIPAL_ADMIN))
    if not admin_of:
        raise PermissionDenied
    municipality = get_object_or_404(Municipality, pk=admin_of[0])
    found = PartnerSettings.objects.filter(municipality=municipality).first()
    form = SettingsForm(
        request.POST or None,
        initial={
            "watchdog_sentence": watchdog_sentence(municipality.pk),
            "version": found.version if found else None,
        },
    )
    form.fields["version"].required = found is not None
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            partner_services.settings_update(
                municipality=municipality,
                by=request.user,
                watchdog_sentence=form.cleaned_data["watchdog_sentence"],
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:grant_scheme_list")
    return render(
        request,
        "grants/form.html",
        {
            "form": form,
            "title": _("Grant letters: the watchdog role"),
            "back": "web:grant_scheme_list",
        },
    )
