"""Pages for activity providers.

Managers (municipal admin, coordinator): the register (list, create, edit with version), sites,
trainers and their certificates, API keys, and placing a course from its timeline page.
Provider staff: the provider portal — the courses placed with them (name, contact, activity,
period; nothing else), accept or decline, the visit file, and the trainer's phone screen. Every
page that shows a person is audited as a read of that course."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.confirmation_links import confirmation_page
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.providers import confirmations, rules, services
from kobling.providers.choices import OPEN_PLACEMENT_STATUSES, PlacementStatus, VisitSource
from kobling.providers.forms import (
    AnswerForm,
    CertificateForm,
    PhoneVisitForm,
    PlacementForm,
    ProviderForm,
    SiteForm,
    TrainerForm,
    VisitFileForm,
)
from kobling.providers.models import (
    ActivityProvider,
    Placement,
    ProviderSite,
    ProviderToken,
    ProviderVisit,
    Trainer,
)
from kobling.providers.selectors import placements_for_list, providers_with_counts
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_list_read


def _form_page(
    request: HttpRequest, form: Any, title: str, cancel: str, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "providers/form.html",
        {"form": form, "title": title, "cancel": cancel, **extra},
    )


# --- the register --------------------------------------------------------------------------------


@login_required
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    if ActivityProvider.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    providers = providers_with_counts(ActivityProvider.objects.visible_to(request.user))
    return render(
        request,
        "providers/provider_list.html",
        {
            "providers": list(providers.select_related("municipality")),
            "can_create": ActivityProvider.visibility_q(request.user, "change") is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_create(request: HttpRequest) -> HttpResponse:
    if ActivityProvider.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = ProviderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.data_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was registered.") % {"name": provider.name})
            return redirect("web:provider_detail", pk=provider.pk)
    return _form_page(request, form, _("Register a provider"), reverse("web:provider_list"))


@login_required
@require_GET
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), pk=pk)
    manager = provider.permits(request.user, "change")
    placements = list(
        placements_for_list(Placement.objects.visible_to(request.user).filter(provider=provider))
    )
    audit_list_read(user=request.user, objects=[p.episode for p in placements])
    return render(
        request,
        "providers/provider_detail.html",
        {
            "provider": provider,
            "sites": list(provider.sites.all()),
            "trainers": list(provider.trainers.prefetch_related("certificates")),
            "placements": placements,
            "tokens": list(provider.tokens.all()) if manager else [],
            "can_change": manager,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), action="change", pk=pk)
    form = ProviderForm(request.POST or None, user=request.user, provider=provider)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.provider_update(
                provider=provider,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The provider was saved."))
            return redirect("web:provider_detail", pk=provider.pk)
    return _form_page(
        request,
        form,
        _("Edit %(name)s") % {"name": provider.name},
        reverse("web:provider_detail", args=[provider.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), action="change", pk=pk)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_create(by=request.user, provider=provider, data=form.data_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The site was added."))
            return redirect("web:provider_detail", pk=provider.pk)
    return _form_page(
        request, form, _("New site"), reverse("web:provider_detail", args=[provider.pk])
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_visible_or_404(request, ProviderSite.objects.all(), action="change", pk=pk)
    form = SiteForm(request.POST or None, instance=ProviderSite.objects.get(pk=site.pk))
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.site_update(
                site=site,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The site was saved."))
            return redirect("web:provider_detail", pk=site.provider_id)
    return _form_page(
        request, form, str(site), reverse("web:provider_detail", args=[site.provider_id])
    )


@login_required
@require_http_methods(["GET", "POST"])
def trainer_create(request: HttpRequest, pk: int) -> HttpResponse:
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), pk=pk)
    if Trainer.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = TrainerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.trainer_create(by=request.user, provider=provider, data=form.data_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The trainer was added."))
            return redirect("web:provider_detail", pk=provider.pk)
    return _form_page(
        request, form, _("New trainer"), reverse("web:provider_detail", args=[provider.pk])
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificate_add(request: HttpRequest, pk: int) -> HttpResponse:
    trainer = get_visible_or_404(request, Trainer.objects.all(), action="change", pk=pk)
    form = CertificateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_add(by=request.user, trainer=trainer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The certificate was registered."))
            return redirect("web:provider_detail", pk=trainer.provider_id)
    return _form_page(
        request,
        form,
        _("Certificate for %(name)s") % {"name": trainer.full_name},
        reverse("web:provider_detail", args=[trainer.provider_id]),
    )


@login_required
@require_POST
def token_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new API key for the provider's system, shown once on the page that follows."""
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), action="change", pk=pk)
    name = request.POST.get("name", "").strip() or _("Booking system")
    try:
        _token, key = services.token_issue(by=request.user, provider=provider, name=name)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:provider_detail", pk=provider.pk)
    return render(request, "providers/token_created.html", {"provider": provider, "key": key})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(request, ProviderToken.objects.all(), action="change", pk=pk)
    services.token_revoke(by=request.user, token=token)
    messages.success(request, _("The key was revoked."))
    return redirect("web:provider_detail", pk=token.provider_id)


# --- placing a course -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def placement_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator places a course with a provider (from the course's timeline page)."""
    episode = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme"),
        action="change",
        audit=True,
        pk=pk,
    )
    initial: dict[str, Any] = {"starts_on": episode.planned_start or timezone.localdate()}
    if episode.planned_end:
        initial["ends_on"] = episode.planned_end
    # The rule "eligible benefit group → provider" proposes; the coordinator may choose another.
    proposal = rules.proposal_for(episode)
    if proposal is not None:
        initial.update(provider=proposal.rule.provider_id, activity=proposal.rule.activity)
    form = PlacementForm(request.POST or None, episode=episode, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.placement_create(by=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The course was placed; the provider will answer."))
            return redirect("web:episode_timeline", pk=episode.pk)
    history = list(placements_for_list(Placement.objects.filter(episode=episode)))
    return _form_page(
        request,
        form,
        _("Place %(name)s with a provider") % {"name": episode.participant.full_name},
        reverse("web:episode_timeline", args=[episode.pk]),
        history=history,
        proposal=proposal,
    )


@login_required
@require_POST
def placement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_visible_or_404(request, Placement.objects.all(), action="change", pk=pk)
    with service_errors(request) as outcome:
        services.placement_withdraw(
            placement=placement,
            by=request.user,
            reason=request.POST.get("reason", ""),
            expected_version=_int(request.POST.get("version")),
        )
    if outcome.ok:
        messages.success(request, _("The placement was withdrawn."))
    return redirect("web:episode_timeline", pk=placement.episode_id)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the provider portal ------------------------------------------------------------------------


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """The provider's start page: courses waiting for an answer and those accepted."""
    if not request.user.activity_provider_ids:
        raise PermissionDenied
    placements = list(placements_for_list(Placement.objects.visible_to(request.user)))
    audit_list_read(user=request.user, objects=[p.episode for p in placements])
    return render(
        request,
        "providers/portal.html",
        {
            "pending": [p for p in placements if p.status == PlacementStatus.PENDING],
            "accepted": [p for p in placements if p.status == PlacementStatus.ACCEPTED],
            "providers": list(ActivityProvider.objects.visible_to(request.user)),
        },
    )


@login_required
@require_GET
def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One placement: what the provider may know (name, contact, activity, period) and its
    visits; the provider's staff answer here."""
    placement = get_visible_or_404(
        request,
        Placement.objects.select_related("episode__participant", "provider", "site", "trainer"),
        pk=pk,
    )
    from kobling.tenancy.audit import audit_log
    from kobling.tenancy.choices import AuditAction

    audit_log(user=request.user, action=AuditAction.VIEW, obj=placement.episode)
    may_answer = placement.status == PlacementStatus.PENDING and placement.permits(
        request.user, "answer"
    )
    return render(
        request,
        "providers/placement_detail.html",
        {
            "placement": placement,
            "person": placement.episode.participant,
            "visits": list(
                ProviderVisit.objects.filter(placement=placement)
                .select_related("trainer", "superseded_by")
                .order_by("visited_on", "pk")
            ),
            "answer_form": AnswerForm(placement=placement) if may_answer else None,
            "is_manager": placement.permits(request.user, "change"),
            "open": placement.status in OPEN_PLACEMENT_STATUSES,
        },
    )


@login_required
@require_POST
def placement_answer(request: HttpRequest, pk: int) -> HttpResponse:
    placement = get_visible_or_404(request, Placement.objects.all(), action="answer", pk=pk)
    form = AnswerForm(request.POST, placement=placement)
    if form.is_valid():
        with service_errors(request) as outcome:
            services.placement_answer(
                placement=placement,
                by=request.user,
                accept=form.cleaned_data["accept"],
                reason=form.cleaned_data["reason"],
                trainer=form.cleaned_data["trainer"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("Your answer was recorded."))
            return redirect("web:provider_portal")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("web:provider_placement", pk=placement.pk)


@login_required
@require_http_methods(["GET", "POST"])
def visit_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The provider's file of visits: the whole file is checked first, every bad row named, and
    nothing saved unless all rows are good."""
    provider = get_visible_or_404(request, ActivityProvider.objects.all(), pk=pk)
    if pk not in request.user.activity_provider_ids:
        raise PermissionDenied
    form = VisitFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("cp1252", errors="replace")
        report = services.visits_import(provider=provider, content=content, by=request.user)
        if report.ok:
            messages.success(
                request,
                _("%(n)s visits were recorded (%(a)s already recorded).")
                % {"n": report.created, "a": report.already},
            )
            return redirect("web:provider_portal")
    return render(
        request,
        "providers/visit_import.html",
        {"form": form, "report": report, "provider": provider},
    )


@login_required
@require_http_methods(["GET", "POST"])
def trainer_phone(request: HttpRequest) -> HttpResponse:
    """The trainer's phone screen: today's participants at their provider, one tap to record a
    visit."""
    if not request.user.activity_provider_ids:
        raise PermissionDenied
    today = timezone.localdate()
    trainer = Trainer.objects.filter(user=request.user, is_active=True).first()
    placements = list(
        placements_for_list(
            Placement.objects.visible_to(request.user).filter(
                status=PlacementStatus.ACCEPTED, starts_on__lte=today, ends_on__gte=today
            )
        )
    )
    if request.method == "POST":
        form = PhoneVisitForm(request.POST)
        chosen = {p.pk: p for p in placements}
        if form.is_valid() and form.cleaned_data["placement"] in chosen:
            placement = chosen[form.cleaned_data["placement"]]
            try:
                services.visit_record(
                    placement=placement,
                    visited_on=today,
                    minutes=form.cleaned_data["minutes"],
                    source=VisitSource.PHONE,
                    by=request.user,
                    trainer=trainer,
                )
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(
                    request,
                    _("Visit recorded for %(name)s.")
                    % {"name": placement.episode.participant.full_name},
                )
            return redirect("web:provider_phone")
        messages.error(request, _("Choose a participant on today's list."))
    came_today = set(
        ProviderVisit.objects.current()
        .filter(placement__in=placements, visited_on=today, attended=True)
        .values_list("placement_id", flat=True)
    )
    audit_list_read(user=request.user, objects=[p.episode for p in placements])
    return render(
        request,
        "providers/phone.html",
        {"placements": placements, "came_today": came_today, "today": today},
    )


# --- the participant's answer about a visit ----------------------------------------------------


@require_http_methods(["GET", "POST"])
def visit_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from the e-mail, without signing in: the first name, the provider, the day and
    the minutes, and two buttons — "I was there", "I was not there". A GET changes nothing."""

    def answer(link, request: HttpRequest):  # noqa: ANN001, ANN202
        choice = request.POST.get("answer", "")
        if choice not in ("yes", "no"):
            raise ValidationError(_("Choose whether you were there."))
        entry = request.POST.get("entry", "")
        return confirmations.visit_answer(
            link=link,
            was_there=choice == "yes",
            entry_id=int(entry) if entry.isdigit() else None,
        )

    return confirmation_page(
        request,
        token,
        confirmations.LINKS,
        templates=(
            "providers/visit_confirmation.html",
            "providers/visit_confirmation_closed.html",
            "providers/visit_confirmation_done.html",
        ),
        context=confirmations.visit_of,
        answer=answer,
        error_text=error_text,
    )


@login_required
@require_POST
def visit_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator's look at a visit the participant disputed: record it as not come, or
    keep it as come with a reason — either a new entry that supersedes it (the alert goes)."""
    visit = get_visible_or_404(request, ProviderVisit.objects.select_related("placement"), pk=pk)
    if not request.user.is_manager_of(visit.municipality_id):
        raise PermissionDenied
    choice = request.POST.get("decision", "")
    if choice not in ("absent", "keep"):
        messages.error(request, _("Choose whether the visit stands."))
        return redirect("web:provider_placement", pk=visit.placement_id)
    with service_errors(request) as outcome:
        services.visit_correct(
            visit=visit,
            by=request.user,
            reason=request.POST.get("reason", ""),
            attended=choice == "keep",
        )
    if outcome.ok:
        messages.success(
            request,
            _("The visit is recorded as not come.")
            if choice == "absent"
            else _("The visit stands, with your reason."),
        )
    return redirect("web:provider_placement", pk=visit.placement_id)
