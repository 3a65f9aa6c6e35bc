"""The organisation's pages, reached without a password account: the municipality's public
grants page (open rounds, and the form that e-mails the contact person a sign-in link), the
link itself, and — once signed in — the organisation's own applications, drafts, attachments,
letters and reports.

The sign-in keeps the contact's id in the session (the key is rotated at sign-in). Every page
after it looks records up **within the contact's organisation and municipality** only: another
organisation's application, attachment, letter or report is a 404, as if it did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core import outbox
from kobling.core.public_forms import PublicFormGuard
from kobling.core.uploads import private_file_response
from kobling.core.views import add_service_errors, error_text
from kobling.grants import notices, selectors, services
from kobling.grants.choices import ApplicationStatus, ReportStatus, RoundState
from kobling.grants.forms import ApplicationForm, AttachmentForm, ReportForm, SignInRequestForm
from kobling.grants.letters import grant_letter_context, grant_letter_pdf, letter_filename
from kobling.grants.models import (
    Application,
    Attachment,
    GrantDecision,
    GrantRound,
    OrganisationContact,
)
from kobling.lib.errors import ConflictError
from kobling.partners.organisations import SESSION_KEY, SignedInOrganisation
from kobling.tenancy.models import Municipality

GUARD = PublicFormGuard("kobling.grants.signin")
LINE_ROWS = 6


def _open_rounds(municipality: Municipality) -> list[GrantRound]:
    now = timezone.now()
    rounds = GrantRound.objects.filter(
        municipality=municipality, scheme__is_active=True
    ).select_related("scheme")
    return [r for r in rounds if r.state_at(now) == RoundState.OPEN]


def _contact(request: HttpRequest) -> OrganisationContact:
    contact_id = request.session.get(SESSION_KEY)
    contact = (
        OrganisationContact.objects.select_related("partner", "municipality")
        .filter(pk=contact_id)
        .first()
        if contact_id
        else None
    )
    if contact is None or contact.partner_id is None:
        raise PermissionDenied(_("Sign in with the link we e-mail you."))
    return contact


def resolve_organisation(contact_id: int) -> SignedInOrganisation | None:
    """The organisation a signed-in contact speaks for (handed to partners' pages)."""
    contact = OrganisationContact.objects.filter(pk=contact_id, partner__isnull=False).first()
    if contact is None or contact.partner_id is None:
        return None
    return SignedInOrganisation(
        contact_id=contact.pk,
        partner_id=contact.partner_id,
        municipality_id=contact.municipality_id,
        contact_name=contact.name,
        contact_email=contact.email,
    )


def signed_in_contact(request: HttpRequest) -> OrganisationContact:
    """The organisation's contact signed in by the e-mailed link (403 otherwise). Other apps'
    organisation pages (the catalogue's) use this one sign-in instead of a second one."""
    return _contact(request)


def _own_application(request: HttpRequest, pk: int) -> tuple[OrganisationContact, Application]:
    contact = _contact(request)
    application = get_object_or_404(
        selectors.application_queryset(Application.objects.all()),
        pk=pk,
        partner_id=contact.partner_id,
        municipality_id=contact.municipality_id,
    )
    return contact, application


@require_http_methods(["GET", "POST"])
def public_page(request: HttpRequest, code: str) -> HttpResponse:
    """The municipality's grants: the open rounds, and the sign-in form."""
    municipality = get_object_or_404(Municipality, code=code)
    form = SignInRequestForm(
        request.POST or None, initial={"issued": GUARD.token(municipality.code)}
    )
    sent = False
    if request.method == "POST":
        problem = GUARD.token_problem(request.POST.get("issued", ""), municipality.code)
        if GUARD.rate_limited(request):
            form.add_error(
                None, _("Too many requests from your network. Please try again in an hour.")
            )
        elif request.POST.get("website"):
            sent = True  # a robot: pretend, do nothing
        elif problem:
            form.add_error(None, problem)
        elif form.is_valid():
            GUARD.count(request)
            try:
                services.contact_request(municipality=municipality, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                sent = True
        form.data = form.data.copy()
        form.data["issued"] = GUARD.token(municipality.code)
    return render(
        request,
        "grants/public.html",
        {
            "municipality": municipality,
            "rounds": _open_rounds(municipality),
            "form": form,
            "sent": sent,
        },
        status=200,
    )


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: GET shows a button (mail scanners open links; that must not use it
    up), POST signs in."""
    resolved = outbox.link_resolve(token, notices.SIGNIN)
    if resolved.outcome != outbox.LinkOutcome.LIVE:
        return render(
            request, "grants/signin_closed.html", {"outcome": resolved.outcome}, status=410
        )
    contact = get_object_or_404(
        OrganisationContact.objects.select_related("municipality"), pk=resolved.subject_id
    )
    if request.method == "POST":
        try:
            with transaction.atomic():
                outbox.link_use(link=resolved.link)
                contact = services.contact_sign_in(contact=contact)
        except outbox.LinkClosedError as exc:
            return render(
                request, "grants/signin_closed.html", {"outcome": exc.outcome}, status=410
            )
        request.session.cycle_key()
        request.session[SESSION_KEY] = contact.pk
        return redirect("web:grant_org_home")
    outbox.link_open(link=resolved.link)
    return render(request, "grants/signin.html", {"contact": contact})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("web:home")


@require_GET
def org_home(request: HttpRequest) -> HttpResponse:
    contact = _contact(request)
    applications = list(
        selectors.application_queryset(
            Application.objects.filter(
                partner_id=contact.partner_id, municipality_id=contact.municipality_id
            )
        )
    )
    today = timezone.localdate()
    rows = [(a, selectors.decision_of(a), selectors.status_of(a, today)) for a in applications]
    return render(
        request,
        "grants/org_home.html",
        {"contact": contact, "rows": rows, "rounds": _open_rounds(contact.municipality)},
    )


@require_POST
def org_apply(request: HttpRequest, round_pk: int) -> HttpResponse:
    contact = _contact(request)
    grant_round = get_object_or_404(
        GrantRound, pk=round_pk, municipality_id=contact.municipality_id
    )
    title = (request.POST.get("title") or "").strip() or _("Application to %(scheme)s") % {
        "scheme": grant_round.scheme.name
    }
    try:
        application = services.application_create(
            grant_round=grant_round, contact=contact, data={"title": title[:160]}
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:grant_org_home")
    return redirect("web:grant_org_application", pk=application.pk)


def _lines_from(request: HttpRequest) -> list[dict[str, str]]:
    descriptions = request.POST.getlist("line_description")
    amounts = request.POST.getlist("line_amount")
    return [{"description": d, "amount": a} for d, a in zip(descriptions, amounts, strict=False)]


def _line_rows(
    application: Application, posted: list[dict[str, str]] | None
) -> list[dict[str, str]]:
    rows = (
        posted
        if posted is not None
        else [
            {"description": line.description, "amount": str(line.amount)}
            for line in application.budget_lines.all()
        ]
    )
    return rows + [{"description": "", "amount": ""}] * max(0, LINE_ROWS - len(rows))


@require_http_methods(["GET", "POST"])
def org_application(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft to fill in (saved as a draft or sent), or a sent application to read."""
    contact, application = _own_application(request, pk)
    editable = application.status == ApplicationStatus.DRAFT
    form = ApplicationForm(request.POST or None, application=application)
    posted = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        posted = _lines_from(request)
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                services.application_save(
                    application=application,
                    contact=contact,
                    data=form.data_kwargs(),
                    lines=posted,
                    expected_version=form.cleaned_data.get("version"),
                    submit=submit,
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The application was sent. You will hear from us after the deadline.")
                    if submit
                    else _("The draft is saved."),
                )
                return redirect("web:grant_org_application", pk=application.pk)
    decision = selectors.decision_of(application)
    return render(
        request,
        "grants/org_application.html",
        {
            "contact": contact,
            "application": application,
            "form": form,
            "editable": editable,
            "lines": _line_rows(application, posted)
            if editable
            else list(application.budget_lines.all()),
            "attachments": list(application.attachments.all()),
            "attachment_form": AttachmentForm(),
            "decision": decision,
            "closed": application.round.state == RoundState.CLOSED,
            "report": selectors.report_of(application),
        },
    )


@require_POST
def org_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact, application = _own_application(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a file to attach."))
        services.attachment_add(
            application=application, contact=contact, upload=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The file is attached."))
    return redirect("web:grant_org_application", pk=pk)


@require_GET
def org_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    _contact_, application = _own_application(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, application=application)
    return private_file_response(
        attachment.file, filename=attachment.name, content_type=attachment.content_type
    )


def _own_decision(request: HttpRequest, pk: int, decision_pk: int) -> GrantDecision:
    _contact_, application = _own_application(request, pk)
    return get_object_or_404(
        GrantDecision.objects.select_related(
            "application__round__scheme",
            "application__partner",
            "application__contact",
            "municipality",
            "decided_by",
        ),
        pk=decision_pk,
        application=application,
    )


@require_GET
def org_letter(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _own_decision(request, pk, decision_pk)
    return render(
        request, "grants/org_letter.html", {**grant_letter_context(decision), "lang": "nb"}
    )


@require_GET
def org_letter_pdf(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _own_decision(request, pk, decision_pk)
    response = HttpResponse(grant_letter_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter_filename(decision)}"'
    return response


@require_http_methods(["GET", "POST"])
def org_report(request: HttpRequest, pk: int) -> HttpResponse:
    contact, application = _own_application(request, pk)
    decision = selectors.decision_of(application)
    if decision is None or not decision.granted:
        raise PermissionDenied
    report = selectors.report_of(application)
    editable = report is None or report.status in (ReportStatus.DRAFT, ReportStatus.QUESTIONS)
    form = ReportForm(request.POST or None, report=report)
    lines = list(application.budget_lines.all())
    spent_now = {line.budget_line_id: line.spent for line in report.lines.all()} if report else {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        spent = {line.pk: request.POST.get(f"spent_{line.pk}", "") for line in lines}
        if form.is_valid():
            try:
                services.report_save(
                    application=application,
                    contact=contact,
                    data=form.data_kwargs(),
                    spent=spent,
                    expected_version=form.cleaned_data.get("version"),
                    submit="submit" in request.POST,
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The report was sent.")
                    if "submit" in request.POST
                    else _("The draft is saved."),
                )
                return redirect("web:grant_org_report", pk=pk)
        spent_now = spent
    return render(
        request,
        "grants/org_report.html",
        {
            "contact": contact,
            "application": application,
            "decision": decision,
            "report": report,
            "form": form,
            "editable": editable,
            "lines": [(line, spent_now.get(line.pk, "")) for line in lines],
        },
    )
