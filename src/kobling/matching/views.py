"""Matching pages: choose a programme and the waiting participants, set the weights and start a
run; the run with every proposal explained factor by factor, where the coordinator locks,
forbids, confirms or rejects; and the participants left unmatched with the reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kobling.core.access import require_manager
from kobling.core.views import error_text, get_visible_or_404, service_errors
from kobling.lib.errors import ConflictError
from kobling.matching import services
from kobling.matching.choices import ProposalStatus, RunStatus
from kobling.matching.engine.types import FACTORS
from kobling.matching.forms import (
    ConfirmForm,
    ProgrammeChoiceForm,
    RejectForm,
    RuleForm,
    RunStartForm,
    WeightsForm,
    managed_programmes,
)
from kobling.matching.models import MatchingRun, MatchingWeights, PairRule, Proposal
from kobling.matching.selectors import (
    Names,
    ProposalRow,
    factor_label,
    factor_lines,
    max_score,
    pair_rule_list_queryset,
    proposal_list_queryset,
    run_list_queryset,
    run_view,
    waiting_referrals,
)
from kobling.referrals.choices import ReferralStatus
from kobling.tenancy.audit import audit_list_read
from kobling.tenancy.models import Programme


def _home_url(programme_id: int | None) -> str:
    url = reverse("web:matching")
    return f"{url}?programme={programme_id}" if programme_id else url


def _chosen_programme(request: HttpRequest) -> Programme | None:
    form = ProgrammeChoiceForm(request.GET or None, user=request.user)
    if form.is_valid() and form.cleaned_data.get("programme"):
        return form.cleaned_data["programme"]
    # Without a choice: the programme where most people are waiting.
    return (
        managed_programmes(request.user)
        .annotate(waiting=Count("referrals", filter=Q(referrals__status=ReferralStatus.WAITING)))
        .order_by("-waiting", "municipality__name", "name")
        .first()
    )


def _home(
    request: HttpRequest,
    programme: Programme | None,
    *,
    weights_form: WeightsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    waiting = []
    runs = []
    rules = []
    if programme is not None:
        waiting = list(
            waiting_referrals(programme=programme).select_related("participant", "avoid_helper")
        )
        audit_list_read(user=request.user, objects=waiting)
        runs = list(
            run_list_queryset(
                MatchingRun.objects.visible_to(request.user).filter(programme=programme)
            )[:10]
        )
        rules = list(
            pair_rule_list_queryset(
                PairRule.objects.visible_to(request.user).filter(
                    referral__programme=programme, referral__status=ReferralStatus.WAITING
                )
            )[:100]
        )
        if weights_form is None:
            stored = MatchingWeights.objects.filter(
                municipality_id=programme.municipality_id
            ).first() or MatchingWeights(municipality_id=programme.municipality_id)
            weights_form = WeightsForm(instance=stored)
    return render(
        request,
        "matching/matching.html",
        {
            "choose": ProgrammeChoiceForm(
                initial={"programme": programme.pk if programme else None}, user=request.user
            ),
            "programme": programme,
            "waiting": waiting,
            "runs": runs,
            "rules": rules,
            "weights_form": weights_form,
        },
        status=status,
    )


@login_required
@require_GET
def matching_home(request: HttpRequest) -> HttpResponse:
    """Choose the programme and the participants, see and change the weights, start a run."""
    require_manager(request.user)
    return _home(request, _chosen_programme(request))


@login_required
@require_POST
def matching_run_start(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    form = RunStartForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a programme and participants who are waiting."))
        return redirect(_home_url(None))
    programme = form.cleaned_data["programme"]
    chosen = list(form.cleaned_data["referrals"])
    try:
        run = services.matching_run_create(
            by=request.user, programme=programme, referrals=chosen or None
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(_home_url(programme.pk))
    proposed = run.proposals.count()
    messages.success(
        request,
        ngettext("The run proposed %(n)s pair.", "The run proposed %(n)s pairs.", proposed)
        % {"n": proposed},
    )
    return redirect("web:matching_run_detail", pk=run.pk)


@login_required
@require_POST
def matching_weights(request: HttpRequest) -> HttpResponse:
    """Save the municipality's weights (for the programme chosen on the page)."""
    require_manager(request.user)
    choice = ProgrammeChoiceForm(request.POST, user=request.user)
    if not choice.is_valid() or not choice.cleaned_data.get("programme"):
        raise PermissionDenied
    programme = choice.cleaned_data["programme"]
    stored = services.matching_weights_for(municipality=programme.municipality)
    form = WeightsForm(request.POST, instance=MatchingWeights.objects.get(pk=stored.pk))
    if form.is_valid():
        try:
            services.matching_weights_update(
                municipality=programme.municipality,
                by=request.user,
                data={name: form.cleaned_data[name] for name in form.fields},
            )
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The weights were saved."))
            return redirect(_home_url(programme.pk))
    return _home(request, programme, weights_form=form, status=400)


def _rules_by_pair(run: MatchingRun, proposals: list[Proposal]) -> dict[tuple[int, int], PairRule]:
    rules = PairRule.objects.filter(
        referral__in=[p.referral_id for p in proposals], helper__in=[p.helper_id for p in proposals]
    )
    return {(r.referral_id, r.helper_id): r for r in rules}


def _row_context(row: ProposalRow, rule: PairRule | None, run: MatchingRun) -> dict[str, Any]:
    proposal = row.proposal
    return {
        "row": row,
        "rule": rule,
        "actionable": run.status == RunStatus.OPEN and proposal.status == ProposalStatus.PROPOSED,
        "max_score": max_score(run.weights or {}),
        "confirm_form": ConfirmForm(prefix=f"p{proposal.pk}"),
        "reject_form": RejectForm(prefix=f"r{proposal.pk}"),
    }


@login_required
@require_GET
def matching_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: its proposals, each with the score and every factor explained; the participants
    left unmatched and why."""
    run = get_visible_or_404(
        request,
        MatchingRun.objects.select_related("programme", "municipality", "created_by"),
        pk=pk,
        audit=True,
    )
    view = run_view(run)
    rules = _rules_by_pair(run, [r.proposal for r in view["rows"]])
    rows = [
        _row_context(row, rules.get((row.proposal.referral_id, row.proposal.helper_id)), run)
        for row in view["rows"]
    ]
    return render(
        request,
        "matching/run_detail.html",
        {
            "run": run,
            "rows": rows,
            "unmatched": view["unmatched"],
            "max_score": view["max_score"],
            "participant_count": len(rows) + len(view["unmatched"]),
            "weight_lines": [
                (factor_label(name), (run.weights or {}).get(name, 0)) for name in FACTORS
            ],
        },
    )


def _proposal_for_change(request: HttpRequest, pk: int) -> Proposal:
    return get_visible_or_404(
        request,
        Proposal.objects.select_related("run", "referral__participant", "helper"),
        action="change",
        pk=pk,
    )


@login_required
@require_POST
def matching_proposal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_for_change(request, pk)
    form = RejectForm(request.POST, prefix=f"r{proposal.pk}")
    form.is_valid()
    with service_errors(request) as outcome:
        services.proposal_reject(
            proposal=proposal,
            by=request.user,
            reason=form.cleaned_data.get("reason") or "",
            forbid=bool(form.cleaned_data.get("forbid")),
        )
    if outcome.ok:
        messages.success(request, _("The proposal was rejected."))
    return redirect("web:matching_run_detail", pk=proposal.run_id)


def _row_response(request: HttpRequest, proposal: Proposal, error: str = "") -> HttpResponse:
    """The proposal's card alone, for htmx to swap in place."""
    proposal = proposal_list_queryset(Proposal.objects.filter(pk=proposal.pk)).get()
    run = proposal.run
    row = ProposalRow(
        proposal=proposal,
        lines=factor_lines(proposal.factors, Names.load()),
        percent=max(0, min(100, round(proposal.score / (max_score(run.weights) or 1.0) * 100))),
    )
    rule = PairRule.objects.filter(referral=proposal.referral_id, helper=proposal.helper_id).first()
    context = {**_row_context(row, rule, run), "run": run, "error": error}
    return render(request, "matching/_proposal.html", context)


@login_required
@require_POST
def matching_proposal_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """Lock or forbid the proposal's pair for this and later runs."""
    proposal = _proposal_for_change(request, pk)
    form = RuleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose lock or forbid.")
    else:
        try:
            services.pair_rule_create(
                by=request.user,
                referral=proposal.referral,
                helper=proposal.helper,
                kind=form.cleaned_data["kind"],
            )
        except (ConflictError, ValidationError) as exc:
            error = str(exc) if isinstance(exc, ConflictError) else error_text(exc)
    if request.headers.get("HX-Request"):
        return _row_response(request, proposal, error)
    if error:
        messages.error(request, error)
    return redirect("web:matching_run_detail", pk=proposal.run_id)


@login_required
@require_POST
def matching_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a lock or forbid. From a proposal card (htmx) the card is swapped in place."""
    rule = get_visible_or_404(
        request, PairRule.objects.select_related("referral"), action="change", pk=pk
    )
    programme_id = rule.referral.programme_id
    services.pair_rule_delete(rule=rule, by=request.user)
    proposal_id = request.POST.get("proposal", "")
    proposal = (
        Proposal.objects.visible_to(request.user, "change").filter(pk=proposal_id).first()
        if proposal_id.isdigit()
        else None
    )
    if proposal is not None and request.headers.get("HX-Request"):
        return _row_response(request, proposal)
    messages.success(request, _("The rule was removed."))
    if proposal is not None:
        return redirect("web:matching_run_detail", pk=proposal.run_id)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_home_url(programme_id))
