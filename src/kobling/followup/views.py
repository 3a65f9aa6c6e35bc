"""Pairing pages: the list and one pairing, shown as the role allows (the coordinator sees it
all; the contact the participant's first name and the meeting; the referrer the status), and
the coordinator's actions: start, pause, resume, end, the introduction meeting, a re-match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from kobling.core.access import is_manager
from kobling.core.views import ScopedMixin, error_text, get_visible_or_404, service_errors
from kobling.followup import services
from kobling.followup.choices import PAIRING_TRANSITIONS, PairingStatus
from kobling.followup.forms import (
    ActivateForm,
    EndForm,
    IntroForm,
    PauseForm,
    RematchForm,
)
from kobling.followup.models import Pairing
from kobling.followup.selectors import (
    PairingFilterSet,
    pairing_list_queryset,
    pairing_page_queryset,
)
from kobling.matching.forms import ConfirmForm
from kobling.matching.models import Proposal
from kobling.partners.models import Partner
from kobling.tenancy.audit import audit_list_read


def shape_for(user: Any, pairing: Pairing) -> str:
    """What the user may see of this pairing: "manager", "contact" or "referrer"."""
    if is_manager(user, pairing.municipality_id):
        return "manager"
    if pairing.helper.user_id == user.pk:
        return "contact"
    return "referrer"


class PairingListView(ScopedMixin, ListView):
    model = Pairing
    template_name = "followup/pairing_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        self.filterset = PairingFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        return pairing_page_queryset(self.filterset.qs).order_by(*Pairing._meta.ordering)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        user = self.request.user
        rows = [(p, shape_for(user, p)) for p in context["page_obj"]]
        context.update(
            rows=rows,
            filter=self.filterset,
            page=context["page_obj"],
            querystring_without_page=params.urlencode(),
        )
        audit_list_read(user=user, objects=[p for p, _shape in rows])
        return context


@login_required
@require_GET
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_visible_or_404(
        request,
        pairing_list_queryset(Pairing.objects.all()).select_related("proposal"),
        pk=pk,
        audit=True,
    )
    shape = shape_for(request.user, pairing)
    context: dict[str, Any] = {"pairing": pairing, "shape": shape}
    if shape in ("manager", "contact"):
        from kobling.followup.session_views import HISTORY_ON_PAIRING_PAGE, session_panel

        context.update(session_panel(request, pairing, limit=HISTORY_ON_PAIRING_PAGE))
        context["next"] = request.path
    if shape == "manager":
        allowed = PAIRING_TRANSITIONS[pairing.status]
        version = {"version": pairing.version}
        context.update(
            can_activate=PairingStatus.ACTIVE in allowed
            and pairing.status == PairingStatus.CONFIRMED,
            can_pause=PairingStatus.PAUSED in allowed,
            can_resume=PairingStatus.ACTIVE in allowed and pairing.status == PairingStatus.PAUSED,
            can_end=PairingStatus.ENDED in allowed,
            can_schedule=pairing.status in (PairingStatus.CONFIRMED, PairingStatus.ACTIVE),
            can_rematch=pairing.status == PairingStatus.ENDED,
            activate_form=ActivateForm(initial=version),
            pause_form=PauseForm(initial=version),
            end_form=EndForm(
                initial=version,
                partners=list(
                    Partner.objects.filter(
                        municipality_id=pairing.municipality_id, is_active=True
                    ).only("pk", "name")
                ),
            ),
            intro_form=IntroForm(
                initial={
                    **version,
                    "intro_meeting_at": pairing.intro_meeting_at,
                    "intro_meeting_place": pairing.intro_meeting_place,
                }
            ),
            rematch_form=RematchForm(),
            referral=pairing.referral,
        )
    return render(request, "followup/pairing_detail.html", context)


def _act(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    do: Callable[[Pairing, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """The shared shape of every pairing action: scope, form, service, message, back."""
    pairing = get_visible_or_404(request, Pairing.objects.all(), action="change", pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("web:pairing_detail", pk=pairing.pk)
    with service_errors(request) as outcome:
        do(pairing, form.cleaned_data)
    if outcome.ok:
        messages.success(request, done)
    return redirect("web:pairing_detail", pk=pairing.pk)


@login_required
@require_POST
def pairing_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ActivateForm,
        lambda p, d: services.pairing_activate(
            pairing=p,
            by=request.user,
            started_on=d.get("started_on"),
            expected_version=d.get("version"),
        ),
        _("The pairing has started."),
    )


@login_required
@require_POST
def pairing_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        PauseForm,
        lambda p, d: services.pairing_pause(
            pairing=p,
            by=request.user,
            reason=d.get("reason") or "",
            expected_version=d.get("version"),
        ),
        _("The pairing is paused."),
    )


@login_required
@require_POST
def pairing_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        PauseForm,
        lambda p, d: services.pairing_resume(
            pairing=p,
            by=request.user,
            reason=d.get("reason") or "",
            expected_version=d.get("version"),
        ),
        _("The pairing is active again."),
    )


@login_required
@require_POST
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        EndForm,
        lambda p, d: services.pairing_end(
            pairing=p,
            by=request.user,
            reason=d["reason"],
            handover_destination=d["handover_destination"],
            handover_note=d.get("handover_note") or "",
            handover_partner=d.get("handover_partner"),
            note=d.get("note") or "",
            ended_on=d.get("ended_on"),
            participant_continues=bool(d.get("participant_continues")),
            # Unticked means "as the rule says" (avoid after a broken pair), not "never".
            same_contact_ok=True if d.get("same_contact_ok") else None,
            expected_version=d.get("version"),
        ),
        _("The pairing has ended."),
    )


@login_required
@require_POST
def pairing_intro(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        IntroForm,
        lambda p, d: services.pairing_schedule_intro(
            pairing=p,
            by=request.user,
            at=d["intro_meeting_at"],
            place=d["intro_meeting_place"],
            expected_version=d.get("version"),
        ),
        _("The introduction meeting is set; the contact and the participant are told."),
    )


@login_required
@require_POST
def pairing_rematch(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        RematchForm,
        lambda p, d: services.pairing_rematch(
            pairing=p, by=request.user, same_contact_ok=bool(d.get("same_contact_ok"))
        ),
        _("The participant is back on the waiting list for a new contact."),
    )


@login_required
@require_POST
def matching_proposal_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a matching proposal into a pairing (the workflow is followup's; the page is the
    matching run's)."""
    proposal = get_visible_or_404(
        request,
        Proposal.objects.select_related("run", "referral__participant", "helper"),
        action="change",
        pk=pk,
    )
    form = ConfirmForm(request.POST, prefix=f"p{proposal.pk}")
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("web:matching_run_detail", pk=proposal.run_id)
    with service_errors(request) as outcome:
        pairing = services.pairing_confirm(
            proposal=proposal,
            by=request.user,
            intro_meeting_at=form.cleaned_data.get("intro_meeting_at"),
            intro_meeting_place=form.cleaned_data.get("intro_meeting_place") or "",
        )
    if not outcome.ok:
        return redirect("web:matching_run_detail", pk=proposal.run_id)
    messages.success(
        request,
        _("%(participant)s and %(contact)s are now a pair.")
        % {
            "participant": proposal.referral.participant.full_name,
            "contact": proposal.helper.full_name,
        },
    )
    return redirect("web:pairing_detail", pk=pairing.pk)
