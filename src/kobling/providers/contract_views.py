"""Pages for concession contracts and reimbursement claims.

The contract page (managers; the provider's staff see their own with the small-cell rule): the
terms, every requirement with its measured value, target and result per period, the PDF for the
contract meeting, and the contract's claims. The provider's staff build and submit a month's
claim; the municipality's managers decide line by line or approve all at once (with the totals
they saw), and download the payment file. Claim pages show persons by initials and course
number only, and are audited as reads of those courses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kobling.core.views import error_text, get_visible_or_404, service_errors
from kobling.providers import contract_export, contract_selectors
from kobling.providers import contract_services as contracts
from kobling.providers.choices import ClaimStatus
from kobling.providers.filtersets import ClaimFilterSet
from kobling.providers.models import ClaimLine, ConcessionTerms, ReimbursementClaim
from kobling.tenancy.audit import audit_list_read


def _terms(request: HttpRequest, pk: int) -> ConcessionTerms:
    return get_visible_or_404(
        request,
        ConcessionTerms.objects.select_related("agreement", "provider", "municipality"),
        pk=pk,
    )


def _claim(request: HttpRequest, pk: int, action: str = "view") -> ReimbursementClaim:
    return get_visible_or_404(
        request,
        ReimbursementClaim.objects.select_related("terms__agreement", "provider", "municipality"),
        action=action,
        pk=pk,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    terms = _terms(request, pk)
    manager = request.user.is_manager_of(terms.municipality_id)
    rows = contract_selectors.contract_follow_up(terms, outside=not manager)
    claims = list(
        ReimbursementClaim.objects.visible_to(request.user).filter(terms=terms).order_by("-month")
    )
    today = timezone.localdate()
    return render(
        request,
        "providers/contract_detail.html",
        {
            "terms": terms,
            "rows": rows,
            "claims": claims,
            "manager": manager,
            "can_build": terms.provider_id in request.user.activity_provider_ids or manager,
            "last_month": (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1),
        },
    )


@login_required
@require_GET
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    terms = _terms(request, pk)
    pdf = contract_export.follow_up_pdf(terms, user=request.user, lang=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"kontraktsoppfolging-{terms.pk}-{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_POST
def claim_build(request: HttpRequest, pk: int) -> HttpResponse:
    terms = _terms(request, pk)
    try:
        month = dt.datetime.strptime(request.POST.get("month", ""), "%Y-%m").date()
    except ValueError:
        messages.error(request, _("Give the month as YYYY-MM."))
        return redirect("web:contract_detail", pk=terms.pk)
    try:
        claim, skipped = contracts.claim_build(by=request.user, terms=terms, month=month)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:contract_detail", pk=terms.pk)
    if skipped:
        messages.info(
            request,
            _("%(n)s visits were left out (not eligible, the cap, or already claimed).")
            % {"n": len(skipped)},
        )
    return redirect("web:claim_detail", pk=claim.pk)


@login_required
@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    """The municipality's claims (managers) or the provider's own (its staff), by month,
    provider and state, with each claim's totals and the totals of what the filter shows."""
    if ReimbursementClaim.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    filterset = ClaimFilterSet(
        request.GET or None,
        queryset=ReimbursementClaim.objects.visible_to(request.user, "view"),
        request=request,
    )
    claims = filterset.qs
    page = Paginator(contract_selectors.claim_list_queryset(claims), 50).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    manager = ReimbursementClaim.visibility_q(request.user, "approve") is not None
    month = filterset.form.cleaned_data.get("month") if filterset.is_valid() else None
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "providers/claim_list.html",
        {
            "filter": filterset,
            "page": page,
            "querystring_without_page": params.urlencode(),
            "totals": contract_selectors.claims_totals(claims),
            "manager": manager,
            "payment_month": month or last_month,
        },
    )


@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    lines = contract_selectors.claim_lines_of(claim)
    audit_list_read(user=request.user, objects=[ln.episode for ln in lines if ln.episode])
    submitted = claim.status == ClaimStatus.SUBMITTED and claim.permits(request.user, "approve")
    own = submitted and contracts.own_claim_refusal(request.user, claim)
    return render(
        request,
        "providers/claim_detail.html",
        {
            "claim": claim,
            "lines": [(ln, contract_export.initials(ln.episode)) for ln in lines],
            "totals": contract_selectors.claim_totals(lines),
            "decide": submitted and not own,
            "own_claim": own,
            "can_submit": claim.permits(request.user, "submit")
            and claim.status == ClaimStatus.OPEN,
        },
    )


@login_required
@require_GET
def claim_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    pdf = contract_export.claim_pdf(claim, user=request.user, lang=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="refusjonskrav-{claim.pk}-{claim.month:%Y-%m}.pdf"'
    )
    return response


@login_required
@require_POST
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk, "submit")
    version = _int(request.POST.get("version"))
    with service_errors(request) as outcome:
        contracts.claim_submit(by=request.user, claim=claim, expected_version=version)
    if outcome.ok:
        messages.success(request, _("The claim was submitted."))
    return redirect("web:claim_detail", pk=claim.pk)


@login_required
@require_POST
def claim_line_decide(request: HttpRequest, pk: int, line: int) -> HttpResponse:
    claim = _claim(request, pk, "approve")
    row = get_object_or_404(ClaimLine, pk=line, claim=claim)
    with service_errors(request) as outcome:
        contracts.claim_line_decide(
            by=request.user,
            line=row,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
            expected_version=_int(request.POST.get("version")),
        )
    if outcome.ok:
        messages.success(request, _("The line was decided."))
    return redirect("web:claim_detail", pk=claim.pk)


@login_required
@require_POST
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk, "approve")
    version = _int(request.POST.get("version"))
    with service_errors(request) as outcome:
        if request.POST.get("all") == "1":
            try:
                amount = Decimal(request.POST.get("expected_amount", ""))
            except InvalidOperation:
                amount = Decimal(-1)
            lines = _int(request.POST.get("expected_lines")) or 0
            contracts.claim_approve_all(
                by=request.user,
                claim=claim,
                expected_version=version,
                expected_lines=lines,
                expected_amount=amount,
            )
        else:
            contracts.claim_approve(by=request.user, claim=claim, expected_version=version)
    if outcome.ok:
        messages.success(request, _("The claim was approved."))
    return redirect("web:claim_detail", pk=claim.pk)


@login_required
@require_GET
def payment_file(request: HttpRequest) -> HttpResponse:
    if ReimbursementClaim.visibility_q(request.user, "approve") is None:
        raise PermissionDenied
    try:
        month = dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    content, name = contract_export.payment_csv(user=request.user, month=month)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
