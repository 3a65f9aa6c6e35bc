"""Pages for the partner register: list with filters, detail with agreements, create/edit (with
stale-version refusal), agreements create/edit, CSV export. Managers only: everyone else 403,
a manager of another municipality 404."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import ListView

from kobling.core.views import ScopedMixin, add_service_errors, get_visible_or_404, service_errors
from kobling.partners import services
from kobling.partners.filtersets import PartnerFilterSet
from kobling.partners.forms import AgreementForm, PartnerForm
from kobling.partners.models import Agreement, Partner, watchdog_sentence
from kobling.partners.selectors import current_agreement, partner_csv_rows, partner_list_queryset
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction


def _require_scope(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    if Partner.visibility_q(request.user, "change") is None:
        raise PermissionDenied


class PartnerListView(ScopedMixin, ListView):
    model = Partner
    template_name = "partners/partner_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        self.filterset = PartnerFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return partner_list_queryset(self.filterset.qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        today = timezone.localdate()
        context.update(
            filter=self.filterset,
            querystring_without_page=params.urlencode(),
            page=context["page_obj"],
            rows=[(p, current_agreement(p, today)) for p in context["page_obj"]],
        )
        return context


@login_required
@require_GET
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_visible_or_404(
        request, partner_list_queryset(Partner.objects.all()), action="view", pk=pk
    )
    return render(
        request,
        "partners/partner_detail.html",
        {
            "partner": partner,
            "agreements": list(partner.agreements.prefetch_related("premises")),
            "can_change": partner.permits(request.user, "change"),
            "watchdog_sentence": watchdog_sentence(partner.municipality_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    form = PartnerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.data_kwargs(),
                programmes=form.cleaned_data["programmes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was registered.") % {"name": partner.name})
            return redirect("web:partner_detail", pk=partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_visible_or_404(request, Partner.objects.all(), action="change", pk=pk)
    form = PartnerForm(request.POST or None, user=request.user, partner=partner)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.partner_update(
                partner=partner,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
                programmes=form.cleaned_data["programmes"],
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:partner_detail", pk=partner.pk)
    return render(
        request, "partners/partner_form.html", {"form": form, "partner": partner, "creating": False}
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_visible_or_404(request, Partner.objects.all(), action="change", pk=pk)
    form = AgreementForm(request.POST or None, municipality_id=partner.municipality_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_create(
                partner=partner,
                by=request.user,
                data=form.data_kwargs(),
                premises=form.premises_chosen(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The agreement was recorded."))
            return redirect("web:partner_detail", pk=partner.pk)
    return render(
        request,
        "partners/agreement_form.html",
        {"form": form, "partner": partner, "creating": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int, agreement_pk: int) -> HttpResponse:
    agreement = get_visible_or_404(
        request,
        Agreement.objects.select_related("partner"),
        action="change",
        pk=agreement_pk,
        partner_id=pk,
    )
    form = AgreementForm(request.POST or None, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.agreement_update(
                agreement=agreement,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
                premises=form.premises_chosen(),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:partner_detail", pk=agreement.partner_id)
    return render(
        request,
        "partners/agreement_form.html",
        {"form": form, "partner": agreement.partner, "agreement": agreement, "creating": False},
    )


@login_required
@require_GET
def partner_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV (the same filters as the list page)."""
    _require_scope(request)
    filterset = PartnerFilterSet(
        request.GET or None, queryset=Partner.objects.visible_to(request.user), request=request
    )
    partners = list(partner_list_queryset(filterset.qs))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="partners.csv"'
    writer = csv.writer(response)
    for row in partner_csv_rows(partners, timezone.localdate()):
        writer.writerow(row)
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="partners.partner",
        changes={"format": "csv", "rows": len(partners), "filters": request.GET.dict()},
    )
    return response
