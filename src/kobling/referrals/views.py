"""Pages for referrals: list, detail, create, edit, merge, decide, consent, withdraw, the decision
letter (page and PDF), the waiting list, supply and demand, eligibility rules and the public
application form.

A referrer sees only the referrals they made (others are 404) and never the coordinators' notes;
decision reasons and letters follow the participant's consent. Roles that never see referrals
(training contacts, course providers, the analyst) get 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, ListView

from kobling.core.access import is_manager, managed_municipality_ids, require_manager
from kobling.core.views import ScopedMixin, add_service_errors, get_visible_or_404, service_errors
from kobling.referrals import services
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.filtersets import ReferralFilterSet, WaitingListFilterSet
from kobling.referrals.forms import (
    BenefitCheckForm,
    ConsentForm,
    ConsentWithdrawForm,
    DecisionForm,
    EligibilityForm,
    ReferralEditForm,
    ReferralForm,
    SupplyDemandForm,
    TimeWindowFormSet,
    WithdrawForm,
    preferred_times_initial,
    windows_from_formset,
)
from kobling.referrals.letters import (
    decision_letter_context,
    decision_letter_pdf,
    letter_filename,
    letter_language,
)
from kobling.referrals.models import Consent, Decision, Episode, Referral
from kobling.referrals.selectors import (
    REFERRAL_ROW_FIELDS,
    can_see_decision_details,
    eligibility_rules,
    latest_decision,
    possible_duplicates,
    referral_eligibility,
    referral_list_queryset,
    referral_page_queryset,
    supply_demand,
    waiting_list_queryset,
)
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, Delivery, Role
from kobling.tenancy.models import Programme


def _require_referring_role(request: HttpRequest) -> None:
    if not request.user.municipality_ids(*MANAGER_ROLES, Role.REFERRER):
        raise PermissionDenied


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _referral_for_change(request: HttpRequest, pk: int, *, audit: bool) -> Referral:
    return get_visible_or_404(
        request,
        Referral.objects.select_related("participant", "programme", "municipality"),
        action="change",
        pk=pk,
        audit=audit,
    )


# --- list and detail --------------------------------------------------------------------------


class ReferralListView(ScopedMixin, ListView):
    model = Referral
    template_name = "referrals/referral_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        self.filterset = ReferralFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return referral_page_queryset(self.filterset.qs).order_by("-received_at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = list(context["page_obj"])
        user = self.request.user
        context.update(
            filter=self.filterset,
            page=context["page_obj"],
            querystring_without_page=_querystring_without_page(self.request),
            rows=[(r, latest_decision(r)) for r in rows],
            # Per row: the priority column shows only when the user manages every row's
            # municipality (a coordinator elsewhere who refers here sees the referrer's view).
            can_manage=bool(managed_municipality_ids(user))
            and all(is_manager(user, r.municipality_id) for r in rows),
        )
        audit_list_read(user=user, objects=rows)
        return context


class ReferralDetailView(ScopedMixin, DetailView):
    model = Referral
    template_name = "referrals/referral_detail.html"
    audit_reads = True

    def get_queryset(self):  # noqa: ANN201
        return referral_list_queryset(super().get_queryset())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        referral: Referral = self.object
        user = self.request.user
        manager = is_manager(user, referral.municipality_id)
        decisions = sorted(
            referral.decisions.all(), key=lambda d: (d.decided_on, d.pk), reverse=True
        )
        context.update(
            referral=referral,
            participant=referral.participant,
            can_change=manager,
            share_details=can_see_decision_details(user, referral),
            eligibility=referral_eligibility(referral),
            decisions=decisions,
            latest=decisions[0] if decisions else None,
            consents=list(referral.consents.all()),
            # The pairings this user may follow, with their report (the pairing's own scope:
            # the referrer only while the participant's consent to share is in force).
            pairings=list(
                referral.pairings.visible_to(user)
                .select_related("helper")
                .order_by("-confirmed_at", "-pk")
            ),
            # A course no pair delivers (a group, a provider), as this user may see it (the
            # referrer: within the person's consent to share).
            course=Episode.objects.visible_to(user)
            .filter(referral=referral)
            .exclude(delivery=Delivery.ONE_TO_ONE)
            .exclude(status=EpisodeStatus.WAITING)
            .first(),
            duplicates=list(possible_duplicates(referral.participant)[:10]) if manager else [],
            other_referrals=(
                list(
                    referral.participant.referrals.exclude(pk=referral.pk).select_related(
                        "programme"
                    )
                )
                if manager
                else []
            ),
        )
        return context


# --- create and merge ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_create_page(request: HttpRequest) -> HttpResponse:
    _require_referring_role(request)
    # ``?programme=`` pre-selects a programme (the catalogue's "refer to this offer"); one the
    # user may not refer to is simply not among the choices.
    wanted = request.GET.get("programme", "")
    initial = {"programme": int(wanted)} if wanted.isdigit() else {}
    form = ReferralForm(request.POST or None, user=request.user, initial=initial)
    formset = TimeWindowFormSet(request.POST or None, prefix="times")
    duplicate: Referral | None = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            referral = services.referral_create(
                by=request.user,
                programme=form.cleaned_data["programme"],
                person=form.person_data(),
                data=form.referral_data(),
                times=windows_from_formset(formset),
                consents=form.consents(),
                **form.relation_kwargs(),
            )
        except services.DuplicateReferral as exc:
            form.add_error(None, exc.message_dict["programme"][0])
            # A coordinator may merge instead; the referrer only learns status and date.
            if exc.existing.permits(request.user, "change"):
                duplicate = exc.existing
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The referral was received."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "formset": formset, "duplicate": duplicate, "merging": None},
    )


def _same_person(referral: Referral, person: dict[str, Any]) -> bool:
    participant = referral.participant
    if person["national_id"]:
        return person["national_id"] == participant.national_id
    return (
        person["birth_date"] == participant.birth_date
        and person["first_name"].casefold() == participant.first_name.casefold()
        and person["last_name"].casefold() == participant.last_name.casefold()
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_merge_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge a second referral's information into this open referral instead of a duplicate.
    Reached from the create form when the duplicate is found (same data posted here)."""
    referral = _referral_for_change(request, pk, audit=request.method == "GET")
    participant = referral.participant
    initial = {
        "national_id": participant.national_id,
        "alternative_id": participant.alternative_id,
        "alternative_id_note": participant.alternative_id_note,
        "birth_date": participant.birth_date,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "postcode": participant.postcode,
        "source": referral.source,
    }
    form = ReferralForm(
        request.POST or None, user=request.user, programme=referral.programme, initial=initial
    )
    formset = TimeWindowFormSet(request.POST or None, prefix="times")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if not _same_person(referral, form.person_data()):
            form.add_error(None, _("This is not the person the referral is for."))
        else:
            try:
                services.referral_merge(
                    into=referral,
                    by=request.user,
                    data=form.referral_data(),
                    times=windows_from_formset(formset),
                    consents=form.consents(),
                    **form.relation_kwargs(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The new information was merged into the referral."))
                return redirect("web:referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "formset": formset, "duplicate": None, "merging": referral},
    )


# --- editing -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct or complete a referral and its person's details (coordinators and municipal
    admins, as on the API; a referrer never changes a referral once sent)."""
    referral = _referral_for_change(request, pk, audit=request.method == "GET")
    form = ReferralEditForm(request.POST or None, user=request.user, referral=referral)
    formset = TimeWindowFormSet(
        request.POST or None, prefix="times", initial=preferred_times_initial(referral)
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        # One edit: the referral and the person are saved together or not at all.
        with service_errors(form) as outcome, transaction.atomic():
            services.referral_update(
                referral=referral,
                by=request.user,
                data=form.referral_data(),
                expected_version=form.cleaned_data["version"],
                times=windows_from_formset(formset),
                **form.relation_kwargs(),
            )
            services.participant_update(
                participant=referral.participant,
                by=request.user,
                data=form.participant_data(),
                expected_version=form.cleaned_data["participant_version"],
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/referral_edit.html",
        {
            "form": form,
            "formset": formset,
            "referral": referral,
            "shared": referral.participant.referrals.exclude(pk=referral.pk).exists(),
        },
    )


# --- decisions ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_decide_page(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_for_change(request, pk, audit=request.method == "GET")
    form = DecisionForm(request.POST or None, referral=referral)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.referral_decide(
                referral=referral,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                priority=form.cleaned_data["priority"],
                decided_on=form.cleaned_data["decided_on"],
                override_reason=form.cleaned_data["override_reason"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The decision was recorded."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/referral_decide.html",
        {"form": form, "referral": referral, "eligibility": referral_eligibility(referral)},
    )


def _letter_decision(request: HttpRequest, pk: int, decision_pk: int) -> Decision:
    referral = get_visible_or_404(request, Referral.objects.all(), pk=pk)
    if not can_see_decision_details(request.user, referral):
        raise PermissionDenied
    decision = get_object_or_404(
        Decision.objects.select_related(
            "decided_by", "municipality", "referral__participant", "referral__programme"
        ),
        referral=referral,
        pk=decision_pk,
    )
    audit_log(user=request.user, action=AuditAction.VIEW, obj=decision, changes={"part": "letter"})
    return decision


@login_required
def decision_letter_page(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _letter_decision(request, pk, decision_pk)
    lang = letter_language(request.GET.get("lang"))
    return render(
        request,
        "referrals/letter.html",
        {
            **decision_letter_context(decision),
            "lang": lang,
            "other_lang": "en" if lang == "nb" else "nb",
        },
    )


@login_required
def decision_letter_pdf_page(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    decision = _letter_decision(request, pk, decision_pk)
    pdf = decision_letter_pdf(decision, lang=letter_language(request.GET.get("lang")))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter_filename(decision)}"'
    return response


# --- consent and withdrawal ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def consent_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_for_change(request, pk, audit=False)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(referral=referral, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(request, "referrals/consent_form.html", {"form": form, "referral": referral})


@login_required
@require_http_methods(["GET", "POST"])
def benefit_check_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Verify which benefit the person receives (the group only, never the decision)."""
    referral = _referral_for_change(request, pk, audit=False)
    form = BenefitCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.benefit_verify(referral=referral, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The benefit was verified."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(request, "referrals/benefit_form.html", {"form": form, "referral": referral})


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw_page(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    referral = _referral_for_change(request, pk, audit=False)
    consent = get_object_or_404(Consent, referral=referral, pk=consent_pk)
    form = ConsentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                consent=consent, by=request.user, withdrawn_on=form.cleaned_data["withdrawn_on"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent was withdrawn."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(
        request,
        "referrals/consent_withdraw.html",
        {"form": form, "referral": referral, "consent": consent},
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_withdraw_page(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_for_change(request, pk, audit=False)
    form = WithdrawForm(request.POST or None, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.referral_withdraw(
                referral=referral,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The referral was withdrawn."))
            return redirect("web:referral_detail", pk=referral.pk)
    return render(request, "referrals/referral_withdraw.html", {"form": form, "referral": referral})


# --- waiting list and supply/demand -------------------------------------------------------------


@login_required
def waiting_list_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    # Only the municipalities the user manages: referrals they sent elsewhere as a referrer
    # are not on their waiting list.
    managed = sorted(managed_municipality_ids(request.user))
    filterset = WaitingListFilterSet(
        request.GET or None,
        queryset=Referral.objects.visible_to(request.user).filter(municipality__in=managed),
        request=request,
    )
    rows_queryset = waiting_list_queryset(filterset.qs).only(*REFERRAL_ROW_FIELDS)
    page = Paginator(rows_queryset, 50).get_page(request.GET.get("page"))
    rows = list(page)
    audit_list_read(user=request.user, objects=rows)
    return render(
        request,
        "referrals/waiting_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "querystring_without_page": _querystring_without_page(request),
        },
    )


@login_required
def supply_demand_page(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    form = SupplyDemandForm(request.GET or None, user=request.user)
    ids = managed_municipality_ids(request.user)
    programme = None
    if form.is_valid():
        if form.cleaned_data["municipality"]:
            ids = {form.cleaned_data["municipality"].pk}
        programme = form.cleaned_data["programme"]
    return render(
        request,
        "referrals/supply_demand.html",
        {"form": form, "data": supply_demand(ids, programme)},
    )


# --- eligibility rules --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def eligibility_page(request: HttpRequest, programme_pk: int) -> HttpResponse:
    programme = get_visible_or_404(
        request, Programme.objects.select_related("municipality"), pk=programme_pk
    )
    if not is_manager(request.user, programme.municipality_id):
        raise PermissionDenied
    rules = eligibility_rules(programme)
    form = EligibilityForm(request.POST or None, instance=rules if rules.pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.eligibility_rules_update(
                programme=programme,
                by=request.user,
                data={k: form.cleaned_data[k] for k in services.ELIGIBILITY_FIELDS},
                target_groups=form.cleaned_data["target_groups"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The eligibility rules were saved."))
            return redirect("web:eligibility_edit", programme_pk=programme.pk)
    return render(
        request, "referrals/eligibility_form.html", {"form": form, "programme": programme}
    )


# --- public -------------------------------------------------------------------------------------


def application_page(request: HttpRequest, municipality_code: str) -> HttpResponse:
    from kobling.referrals.application import application_view

    return application_view(request, municipality_code)
