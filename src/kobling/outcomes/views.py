"""Pages for goals and reviews (the contact's phone and the coordinator's desk), the
programme's instruments (municipal admins), the follow-up overview (coordinators) and the
participant's follow-up questionnaire (public, reached by a signed link)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core.access import is_manager, managed_municipality_ids
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.followup.models import Pairing
from kobling.lib.errors import ConflictError
from kobling.outcomes import followups, selectors, services
from kobling.outcomes.choices import FollowUpStatus, GoalStatus, ReviewKind
from kobling.outcomes.forms import (
    FollowUpAnswerForm,
    GoalEditForm,
    GoalForm,
    ProgrammeInstrumentsForm,
    ReviewForm,
    WithdrawReviewForm,
)
from kobling.outcomes.models import (
    FollowUp,
    Goal,
    ProgrammeInstruments,
    Review,
    may_record_outcomes,
)
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction, Delivery
from kobling.tenancy.models import Municipality, Programme


def recordable_pairing(request: HttpRequest, pk: int, *, audit: bool = False) -> Pairing:
    """The pairing, for someone who may record its goals and reviews: outsiders 404, a role
    that never sees pairings 403, insiders who may see it but not record (the referrer) 403."""
    pairing = get_visible_or_404(
        request,
        Pairing.objects.select_related("participant", "helper", "programme", "municipality"),
        pk=pk,
    )
    if not may_record_outcomes(request.user, pairing):
        raise PermissionDenied
    if audit:
        audit_log(user=request.user, action=AuditAction.VIEW, obj=pairing)
    return pairing


def _back(pairing: Pairing) -> HttpResponse:
    return redirect("web:pairing_detail", pk=pairing.pk)


# --- goals --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = recordable_pairing(request, pk)
    form = GoalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_create(
                pairing=pairing,
                by=request.user,
                text=form.cleaned_data["text"],
                target_date=form.cleaned_data.get("target_date"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The goal was saved."))
            return _back(pairing)
    return render(
        request,
        "outcomes/goal_form.html",
        {"form": form, "pairing": pairing},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_visible_or_404(
        request,
        Goal.objects.select_related("pairing__helper", "pairing__participant"),
        action="change",
        pk=pk,
        audit=request.method == "GET",
    )
    pairing = goal.pairing
    form = GoalEditForm(
        request.POST if request.method == "POST" else None,
        initial={
            "text": goal.text,
            "target_date": goal.target_date,
            "status": goal.status,
            "version": goal.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form) as outcome:
            services.goal_update(
                goal=goal,
                by=request.user,
                text=data["text"],
                target_date=data.get("target_date"),
                status=data["status"],
                expected_version=data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("The goal was saved."))
            return _back(pairing)
    return render(
        request,
        "outcomes/goal_form.html",
        {"form": form, "pairing": pairing, "goal": goal},
        status=400 if form.errors else 200,
    )


# --- reviews ------------------------------------------------------------------------------------


def _suggested_kind(pairing: Pairing) -> str:
    due = selectors.next_reviews(Pairing.objects.filter(pk=pairing.pk), timezone.localdate())
    return due.get(pairing.pk, (ReviewKind.PERIODIC, None))[0]


def _review_form(
    data: Any,
    subject: Pairing | Episode,
    *,
    initial: dict[str, Any],
    correction: bool,
    keep_goals: frozenset[int] = frozenset(),
) -> ReviewForm:
    """The form for a pairing's review, or a course's own (``subject`` an Episode). Dropped goals
    are not scored any more, unless the review being corrected scored them."""
    own = (
        Q(pairing=subject)
        if isinstance(subject, Pairing)
        else Q(episode=subject, pairing__isnull=True)
    )
    goals = list(
        Goal.objects.filter(own)
        .exclude(Q(status=GoalStatus.DROPPED) & ~Q(pk__in=sorted(keep_goals)))
        .order_by("created_at", "pk")
    )
    return ReviewForm(
        data,
        initial=initial,
        instruments=selectors.enabled_instruments(subject.programme_id),
        goals=goals,
        correction=correction,
    )


def _save_review(
    request: HttpRequest, subject: Pairing | Episode, form: ReviewForm, supersedes: Review | None
) -> bool:
    data = form.cleaned_data
    pairing = subject if isinstance(subject, Pairing) else None
    try:
        services.review_record(
            pairing=pairing,
            course=None if pairing is not None else subject,
            by=request.user,
            kind=data["kind"],
            date=data["date"],
            scores=form.scores(),
            note=data.get("note") or "",
            supersedes=supersedes,
            correction_reason=data.get("correction_reason") or "",
        )
    except ConflictError as exc:
        form.add_error(None, str(exc))
        return False
    except ValidationError as exc:
        problems = exc.message_dict
        for message in problems.pop("scores", []):
            form.add_error(None, message)
        if problems:
            add_service_errors(form, ValidationError(problems))
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = recordable_pairing(request, pk, audit=request.method == "GET")
    form = _review_form(
        request.POST if request.method == "POST" else None,
        pairing,
        initial={"kind": _suggested_kind(pairing), "date": timezone.localdate()},
        correction=False,
    )
    if request.method == "POST" and form.is_valid() and _save_review(request, pairing, form, None):
        messages.success(request, _("The review was saved."))
        return _back(pairing)
    return render(
        request,
        "outcomes/review_form.html",
        {"form": form, "not_started": pairing.started_on is None, **_pairing_form_context(pairing)},
        status=400 if form.errors else 200,
    )


def _pairing_form_context(pairing: Pairing) -> dict[str, Any]:
    return {
        "pairing": pairing,
        "back_url": reverse("web:pairing_detail", args=[pairing.pk]),
        "back_label": _("Back to the pairing"),
        "not_started_text": _("The pairing has not started yet; reviews begin at the start."),
        "goal_create_url": reverse("web:goal_create", args=[pairing.pk]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def course_review_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A course's own start or end review, where no pairing delivers it (a group course);
    coordinators and admins of its municipality."""
    course = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme"),
        action="change",
        audit=request.method == "GET",
        pk=pk,
    )
    if course.delivery == Delivery.ONE_TO_ONE:
        raise Http404  # reviewed through its pairing
    reviewed = set(
        Review.objects.current()
        .filter(episode=course, pairing__isnull=True)
        .values_list("kind", flat=True)
    )
    suggested = (
        ReviewKind.END if course.ended_on or ReviewKind.START in reviewed else ReviewKind.START
    )
    form = _review_form(
        request.POST if request.method == "POST" else None,
        course,
        initial={"kind": suggested, "date": course.ended_on or timezone.localdate()},
        correction=False,
    )
    if request.method == "POST" and form.is_valid() and _save_review(request, course, form, None):
        messages.success(request, _("The review was saved."))
        return redirect("web:episode_timeline", pk=course.pk)
    return render(
        request,
        "outcomes/review_form.html",
        {
            "form": form,
            "course": course,
            "not_started": course.started_on is None,
            "back_url": reverse("web:episode_timeline", args=[course.pk]),
            "back_label": _("Back to the course"),
            "not_started_text": _("The course has not started yet; reviews begin at the start."),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_correct(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_visible_or_404(
        request,
        Review.objects.select_related(
            "pairing__participant", "pairing__helper", "pairing__programme"
        ).prefetch_related("scores"),
        action="change",
        pk=pk,
        audit=request.method == "GET",
    )
    pairing = review.pairing
    if review.is_void or Review.objects.filter(supersedes=review).exists():
        messages.error(request, _("This review has already been corrected."))
        return redirect("web:pairing_outcomes", pk=pairing.pk)
    withdrawing = request.method == "POST" and "withdraw" in request.POST
    form = _review_form(
        request.POST if request.method == "POST" and not withdrawing else None,
        pairing,
        initial=ReviewForm.initial_from(review),
        correction=True,
        keep_goals=frozenset(s.goal_id for s in review.scores.all() if s.goal_id),
    )
    withdraw = WithdrawReviewForm(request.POST if withdrawing else None)
    if withdrawing and withdraw.is_valid():
        try:
            services.review_withdraw(
                review=review, by=request.user, reason=withdraw.cleaned_data["correction_reason"]
            )
        except ConflictError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The review was withdrawn."))
        return redirect("web:pairing_outcomes", pk=pairing.pk)
    if form.is_bound and form.is_valid() and _save_review(request, pairing, form, review):
        messages.success(request, _("The review was corrected."))
        return redirect("web:pairing_outcomes", pk=pairing.pk)
    return render(
        request,
        "outcomes/review_form.html",
        {
            "form": form,
            "review": review,
            "withdraw_form": withdraw,
            **_pairing_form_context(pairing),
        },
        status=400 if form.errors or withdraw.errors else 200,
    )


@login_required
@require_GET
def pairing_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one pair's goals and reviews, with the corrections, and for coordinators
    the follow-ups after the end."""
    pairing = recordable_pairing(request, pk, audit=True)
    reviews = list(
        Review.objects.filter(pairing=pairing)
        .select_related("recorded_by", "supersedes")
        .prefetch_related("scores__instrument", "scores__goal")
        .order_by("-date", "-recorded_at", "-pk")
    )
    replaced = {r.supersedes_id for r in reviews if r.supersedes_id}
    manager = is_manager(request.user, pairing.municipality_id)
    context = {
        "pairing": pairing,
        "goals": selectors.goal_progress(pairing),
        "reviews": [(r, r.pk in replaced) for r in reviews],
        "summary": selectors.outcome_summary(pairing),
        "next_review": selectors.next_reviews(
            Pairing.objects.filter(pk=pairing.pk), timezone.localdate()
        ).get(pairing.pk),
        "follow_ups": list(pairing.follow_ups.order_by("months")) if manager else None,
        "is_manager": manager,
    }
    return render(request, "outcomes/pairing_outcomes.html", context)


# --- the programme's instruments ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def programme_instruments(request: HttpRequest, programme_pk: int) -> HttpResponse:
    """Municipal admins choose which instruments the programme's reviews use."""
    programme = get_visible_or_404(
        request,
        Programme.objects.select_related("municipality"),
        action="change",
        pk=programme_pk,
    )
    current = ProgrammeInstruments.objects.filter(programme=programme).first()
    enabled = selectors.enabled_instruments(programme.pk)
    form = ProgrammeInstrumentsForm(
        request.POST if request.method == "POST" else None,
        initial={"instruments": enabled, "version": current.version if current else None},
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.programme_instruments_set(
                programme=programme,
                by=request.user,
                instruments=list(form.cleaned_data["instruments"]),
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("The instruments were saved."))
            return redirect("web:programme_instruments", programme_pk=programme.pk)
    return render(
        request,
        "outcomes/programme_instruments.html",
        {"form": form, "programme": programme, "configured": current is not None},
        status=400 if form.errors else 200,
    )


# --- follow-ups after the end -------------------------------------------------------------------


@login_required
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    """Coordinators: the follow-up questionnaires of their municipalities and the maintenance
    figures they give."""
    user = request.user
    if FollowUp.visibility_q(user, "view") is None:
        raise PermissionDenied
    queryset = (
        FollowUp.objects.visible_to(user, "view")
        .select_related("episode__participant", "episode__programme", "municipality")
        .order_by("-due_on", "-pk")
    )
    status = request.GET.get("status", "")
    if status in FollowUpStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    audit_list_read(user=user, objects=list(page))
    municipalities = Municipality.objects.filter(
        pk__in=sorted(managed_municipality_ids(user))
    ).order_by("name")
    figures = [(m, selectors.maintenance(m.pk)) for m in municipalities]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "outcomes/followup_list.html",
        {
            "page": page,
            "figures": figures,
            "statuses": FollowUpStatus.choices,
            "status": status,
            "querystring_without_page": params.urlencode(),
        },
    )


def _closed(request: HttpRequest, followup: FollowUp, state: str) -> HttpResponse:
    if state == followups.LinkState.ANSWERED:
        return render(
            request, "outcomes/followup_answered.html", {"followup": followup}, status=409
        )
    return render(request, "outcomes/followup_expired.html", {"followup": followup}, status=410)


def _opted_out(
    request: HttpRequest, followup: FollowUp, now: dt.datetime, *, just_now: bool = False
) -> HttpResponse:
    """After opting out, for as long as the link would have worked: the offer to also withdraw
    the consents still in force (to be contacted, to share), and its POST."""
    context: dict[str, Any] = {"followup": followup, "opted_out": True}
    if request.method == "POST" and "withdraw_consent" in request.POST and not just_now:
        ids = [int(v) for v in request.POST.getlist("consent") if v.isdigit()]
        try:
            context["withdrawn"] = followups.followup_withdraw_consents(
                followup=followup, consent_ids=ids, now=now
            )
        except followups.FollowUpClosedError as closed:
            return _closed(request, followup, closed.state)
        except ValidationError as exc:
            context["error"] = error_text(exc)
    context["consents"] = followups.followup_consents_in_force(
        followup, today=timezone.localdate(now)
    )
    return render(
        request, "outcomes/followup_done.html", context, status=400 if "error" in context else 200
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def followup_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's questionnaire. GET never changes anything (mail scanners open links);
    POST answers, or opts out of the rest. A tampered link is a plain 404."""
    followup = followups.followup_from_token(token)
    if followup is None:
        raise Http404
    now = timezone.now()
    if followups.followup_may_withdraw_consents(followup, now=now):
        return _opted_out(request, followup, now)
    state = followups.followup_link_state(followup, now=now)
    if state != followups.LinkState.OPEN:
        return _closed(request, followup, state)
    form = FollowUpAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and "opt_out" in request.POST:
        try:
            followups.followup_opt_out(followup=followup, now=now)
        except followups.FollowUpClosedError as closed:
            return _closed(request, followup, closed.state)
        followup.refresh_from_db()
        return _opted_out(request, followup, now, just_now=True)
    if request.method == "POST" and form.is_valid():
        try:
            followups.followup_answer(followup=followup, now=now, **form.answer())
        except followups.FollowUpClosedError as closed:
            return _closed(request, followup, closed.state)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "outcomes/followup_done.html", {"followup": followup})
    return render(
        request,
        "outcomes/followup_answer.html",
        {"form": form, "followup": followup},
        status=400 if form.errors else 200,
    )
