"""The managers' pages for what providers run on: a provider programme's placement settings and
its rules "eligible benefit group → provider", a provider's staff (invited by e-mail through
the outbox), and a concession contract's terms and requirements. Municipal admins and
coordinators of the municipality only: other roles 403, another municipality's managers 404.
Every edit carries the version read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.partners.choices import AgreementKind
from kobling.partners.models import Agreement
from kobling.providers import contract_services, rules, services
from kobling.providers.choices import CertificateKind
from kobling.providers.forms import (
    PlacementRuleForm,
    PlacementSettingsForm,
    RequirementForm,
    StaffInviteForm,
    TermsForm,
)
from kobling.providers.models import (
    ActivityProvider,
    ActivityProviderStaff,
    ConcessionTerms,
    ContractRequirement,
    PlacementRule,
)
from kobling.tenancy.choices import MANAGER_ROLES, Delivery
from kobling.tenancy.models import Programme
from kobling.tenancy.scoping import in_municipalities


def _form_page(request: HttpRequest, form: Any, title: str, cancel: str) -> HttpResponse:
    return render(request, "providers/form.html", {"form": form, "title": title, "cancel": cancel})


def _managed_programmes(request: HttpRequest) -> Any:
    """The provider programmes of the municipalities the user manages; 403 for any other role."""
    scope = in_municipalities(request.user, MANAGER_ROLES)
    if scope is None:
        raise PermissionDenied
    return Programme.objects.filter(scope, delivery=Delivery.PROVIDER).order_by("name", "pk")


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(_managed_programmes(request), pk=pk)


# --- placement settings and rules --------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def programme_list(request: HttpRequest) -> HttpResponse:
    """The provider programmes the user manages, each with its settings and rules."""
    programmes = list(_managed_programmes(request))
    by_programme: dict[int, list[PlacementRule]] = {}
    for rule in rules.rules_of([p.pk for p in programmes]):
        by_programme.setdefault(rule.programme_id, []).append(rule)
    return render(
        request,
        "providers/programme_list.html",
        {"rows": [(p, by_programme.get(p.pk, [])) for p in programmes]},
    )


@login_required
@require_http_methods(["GET"])
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    settings = services.placement_settings_of(programme.pk)
    return render(
        request,
        "providers/programme_detail.html",
        {
            "programme": programme,
            "settings": settings,
            "certificates": [
                CertificateKind(k).label
                for k in settings.required_certificates or []
                if k in CertificateKind.values
            ],
            "rules": rules.rules_of([programme.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    current = services.placement_settings_of(programme.pk)
    form = PlacementSettingsForm(
        request.POST or None,
        initial={
            "answer_days": current.answer_days,
            "required_certificates": list(current.required_certificates or []),
            "visit_confirmation_by_participant": current.visit_confirmation_by_participant,
            # Settings never saved are version 1 (the first save makes them).
            "version": current.version if current.pk else 0,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        with service_errors(form) as outcome:
            if not current.pk and version == 0:
                version = 1
            services.placement_settings_update(
                by=request.user, programme=programme, data=data, expected_version=version
            )
        if outcome.ok:
            messages.success(request, _("The placement settings were saved."))
            return redirect("web:provider_programme", pk=programme.pk)
    return _form_page(
        request,
        form,
        _("Placement settings: %(name)s") % {"name": programme.name},
        reverse("web:provider_programme", args=[programme.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    form = PlacementRuleForm(request.POST or None, municipality_id=programme.municipality_id)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            rules.rule_create(by=request.user, programme=programme, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The rule was saved."))
            return redirect("web:provider_programme", pk=programme.pk)
    return _form_page(
        request,
        form,
        _("New placement rule: %(name)s") % {"name": programme.name},
        reverse("web:provider_programme", args=[programme.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_visible_or_404(
        request, PlacementRule.objects.select_related("programme"), action="change", pk=pk
    )
    initial = {
        "benefit": rule.benefit,
        "provider": rule.provider_id,
        "activity": rule.activity,
        "weeks": rule.weeks,
        "is_active": rule.is_active,
        "version": rule.version,
    }
    form = PlacementRuleForm(
        request.POST or None,
        municipality_id=rule.municipality_id,
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        with service_errors(form) as outcome:
            rules.rule_update(by=request.user, rule=rule, data=data, expected_version=version)
        if outcome.ok:
            messages.success(request, _("The rule was saved."))
            return redirect("web:provider_programme", pk=rule.programme_id)
    return _form_page(
        request,
        form,
        _("Edit the rule %(rule)s") % {"rule": rule},
        reverse("web:provider_programme", args=[rule.programme_id]),
    )


@login_required
@require_POST
def rules_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Place by the programme's municipality's rules now (the daily job does the same)."""
    programme = _programme(request, pk)
    run = rules.place_by_rules(municipality_ids=[programme.municipality_id], by=request.user)
    messages.success(request, _("%(n)s courses were placed by the rules.") % {"n": run.placed})
    for course, reason in run.left:
        messages.warning(
            request,
            _("%(name)s was not placed: %(reason)s")
            % {"name": course.participant.full_name, "reason": reason},
        )
    return redirect("web:provider_programme", pk=programme.pk)


# --- a provider's staff --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Who works for the provider (signs in to its portal); invite by e-mail, take off."""
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), action="change", pk=pk)
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invite(by=request.user, provider=provider, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(email)s now works for %(provider)s.")
                % {"email": form.cleaned_data["email"], "provider": provider.name},
            )
            return redirect("web:provider_staff", pk=provider.pk)
    return render(
        request,
        "providers/staff_list.html",
        {
            "provider": provider,
            "staff": list(provider.staff.select_related("user").order_by("user__username")),
            "form": form,
        },
    )


@login_required
@require_POST
def staff_remove(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(
        ActivityProviderStaff.objects.select_related("provider", "user"), pk=pk
    )
    # The provider's visibility decides: 403 for a role that never manages, 404 elsewhere.
    get_visible_or_404(
        request, ActivityProvider.objects.all(), action="change", pk=staff.provider_id
    )
    services.staff_remove(by=request.user, staff=staff)
    messages.success(
        request,
        _("%(user)s no longer works for %(provider)s.")
        % {"user": staff.user.email or staff.user.username, "provider": staff.provider.name},
    )
    return redirect("web:provider_staff", pk=staff.provider_id)


# --- concession contract terms and requirements -------------------------------------------------


def _open_agreements(provider: ActivityProvider) -> Any:
    """The provider's concession agreements (on its partner register entry) without terms."""
    if not provider.partner_id:
        return Agreement.objects.none()
    return Agreement.objects.filter(
        partner_id=provider.partner_id,
        municipality_id=provider.municipality_id,
        kind=AgreementKind.CONCESSION,
        concession_terms__isnull=True,
    ).order_by("-starts_on", "-pk")


@login_required
@require_http_methods(["GET", "POST"])
def terms_create(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), action="change", pk=pk)
    agreements = _open_agreements(provider)
    form = TermsForm(request.POST or None, agreements=agreements)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("agreement", "version")}
        try:
            terms = contract_services.terms_create(
                by=request.user,
                agreement=form.cleaned_data["agreement"],
                provider=provider,
                data=data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The contract's terms were saved."))
            return redirect("web:contract_detail", pk=terms.pk)
    if request.method == "GET" and not agreements.exists():
        messages.info(
            request,
            _(
                "Register a service concession agreement with the provider's partner register "
                "entry first; its terms are set here."
            ),
        )
    return _form_page(
        request,
        form,
        _("Contract terms: %(name)s") % {"name": provider.name},
        reverse("web:provider_detail", args=[provider.pk]),
    )


def _terms(request: HttpRequest, pk: int) -> ConcessionTerms:
    return get_visible_or_404(
        request, ConcessionTerms.objects.select_related("provider"), action="change", pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def terms_edit(request: HttpRequest, pk: int) -> HttpResponse:
    terms = _terms(request, pk)
    form = TermsForm(request.POST or None, instance=terms)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        with service_errors(form) as outcome:
            contract_services.terms_update(
                by=request.user,
                terms=terms,
                data=data,
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The contract's terms were saved."))
            return redirect("web:contract_detail", pk=terms.pk)
    return _form_page(
        request,
        form,
        _("Contract terms: %(name)s") % {"name": terms.provider.name},
        reverse("web:contract_detail", args=[terms.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def requirement_add(request: HttpRequest, pk: int) -> HttpResponse:
    terms = _terms(request, pk)
    form = RequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract_services.requirement_add(by=request.user, terms=terms, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The requirement was added."))
            return redirect("web:contract_detail", pk=terms.pk)
    return _form_page(
        request,
        form,
        _("New requirement: %(name)s") % {"name": terms.provider.name},
        reverse("web:contract_detail", args=[terms.pk]),
    )


@login_required
@require_POST
def requirement_remove(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_visible_or_404(
        request, ContractRequirement.objects.all(), action="change", pk=pk
    )
    try:
        contract_services.requirement_remove(by=request.user, requirement=requirement)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The requirement was removed."))
    return redirect("web:contract_detail", pk=requirement.terms_id)
