"""Session pages. The training contact's phone is the main screen: "My participants" lists their
open pairs with a one-tap log form each (today, held, the pair's usual minutes, activity and
intensity filled in); a pair's session page shows the log form and the history with
corrections struck through and unconfirmed sessions marked; the participant confirms in person
on the contact's phone or through a link e-mailed to them. Coordinators log and correct from
the pairing page too. Coordinators also get the alerts page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.access import is_manager, managed_municipality_ids
from kobling.core.alerts import KIND_LABELS, alerts_for
from kobling.core.confirmation_links import confirmation_page
from kobling.core.views import add_service_errors, error_text
from kobling.followup import access, confirmations, sessions
from kobling.followup.choices import ConfirmedVia
from kobling.followup.forms import SessionCorrectForm, SessionForm, activity_choices
from kobling.followup.models import Pairing
from kobling.followup.selectors import (
    contact_pairings,
    session_history,
    session_initial,
    with_session_summary,
)
from kobling.lib.errors import ConflictError
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction, Role

HISTORY_PAGE = 30
HISTORY_ON_PAIRING_PAGE = 10


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _summary(pairing: Pairing) -> Pairing:
    """The pairing with its session summary (for the form's defaults)."""
    return with_session_summary(pairing, today=timezone.localdate())


def session_panel(
    request: HttpRequest,
    pairing: Pairing,
    *,
    form: SessionForm | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """What the session part of a page needs: the log form (with the pair's defaults), the
    history (paged, or the newest ``limit`` entries), and whether a link can be sent."""
    summary = _summary(pairing)
    today = timezone.localdate()
    history = session_history(pairing)
    if limit is None:
        page = Paginator(history, HISTORY_PAGE).get_page(request.GET.get("page"))
        entries, more = list(page), False
    else:
        page = None
        entries = list(history[: limit + 1])
        more = len(entries) > limit
        entries = entries[:limit]
    return {
        "pairing": pairing,
        "summary": summary,
        "form": form
        or SessionForm(initial=session_initial(summary, today=today), auto_id=f"s{pairing.pk}_%s"),
        "entries": entries,
        "history_page": page,
        "more_history": more,
        "can_send_link": summary.unconfirmed_count > 0
        and bool(confirmations.recipient_for(pairing)),
        "today": today,
    }


# --- the contact's screen --------------------------------------------------------------------


@login_required
@require_GET
def my_participants(request: HttpRequest) -> HttpResponse:
    """The training contact's main screen: their open pairs, each with a one-tap log form."""
    user = request.user
    if not user.municipality_ids(Role.TRAINING_CONTACT):
        raise PermissionDenied
    today = timezone.localdate()
    pairings = contact_pairings(user, today=today)
    activities = activity_choices()
    rows = [
        (
            p,
            SessionForm(
                initial=session_initial(p, today=today),
                auto_id=f"s{p.pk}_%s",
                activities=activities,
            ),
        )
        for p in pairings
    ]
    audit_list_read(user=user, objects=pairings)
    return render(request, "followup/my_participants.html", {"rows": rows, "today": today})


@login_required
@require_http_methods(["GET", "POST"])
def pairing_sessions(request: HttpRequest, pk: int) -> HttpResponse:
    """One pair's sessions: the log form and the history. POST logs a session."""
    pairing = access.pairing_for_logging(
        request.user,
        pk,
        queryset=Pairing.objects.select_related("participant", "municipality", "programme"),
    )
    form = None
    if request.method == "POST":
        form = SessionForm(request.POST, auto_id=f"s{pairing.pk}_%s")
        if form.is_valid():
            try:
                sessions.session_log(pairing=pairing, by=request.user, **form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The session is logged."))
                return redirect(_next(request, reverse("web:pairing_sessions", args=[pairing.pk])))
    audit_log(user=request.user, action=AuditAction.VIEW, obj=pairing)  # the page shows it
    context = session_panel(request, pairing, form=form)
    context["shape"] = (
        "manager" if is_manager(request.user, pairing.municipality_id) else ("contact")
    )
    return render(request, "followup/pairing_sessions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def session_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct (or withdraw) one entry: the form starts from its values."""
    session = access.session_for(request.user, pk, action="change")
    back = reverse("web:pairing_sessions", args=[session.pairing_id])
    if session.is_void or hasattr(session, "superseded_by"):
        messages.error(request, _("Only the newest entry of a session can be corrected."))
        return redirect(back)
    if request.method == "POST":
        form = SessionCorrectForm(request.POST, activities=activity_choices(also=session.activity))
        if form.is_valid():
            try:
                sessions.session_correct(
                    session=session,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    void=form.cleaned_data["void"],
                    **form.values(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ConflictError as exc:
                messages.error(request, str(exc))
                return redirect(back)
            else:
                messages.success(
                    request,
                    _("The entry is withdrawn.")
                    if form.cleaned_data["void"]
                    else _("The session is corrected."),
                )
                return redirect(back)
    else:
        form = SessionCorrectForm(
            activities=activity_choices(also=session.activity),
            initial={
                "date": session.date,
                "start_time": session.start_time,
                "minutes": session.minutes,
                "status": session.status,
                "activity": session.activity_id,
                "intensity": session.intensity,
                "borg": session.borg,
                "cancelled_by": session.cancelled_by,
                "with_notice": {True: "yes", False: "no"}.get(session.with_notice, ""),
                "note": session.note,
            },
        )
    audit_log(user=request.user, action=AuditAction.VIEW, obj=session)  # the page shows it
    return render(
        request,
        "followup/session_correct.html",
        {"session": session, "pairing": session.pairing, "form": form},
    )


@login_required
@require_POST
def session_confirm_in_person(request: HttpRequest, pk: int) -> HttpResponse:
    """The participant confirms, on the contact's phone, that the session took place."""
    session = access.session_for(request.user, pk, action="change")
    try:
        sessions.session_confirm(session=session, via=ConfirmedVia.IN_PERSON, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Confirmed by the participant."))
    return redirect(_next(request, reverse("web:pairing_sessions", args=[session.pairing_id])))


@login_required
@require_POST
def session_confirmation_send(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail the participant (or a minor's guardian) a link to confirm the unconfirmed
    sessions."""
    pairing = access.pairing_for_logging(request.user, pk)
    try:
        confirmations.confirmation_link_create(pairing=pairing, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("A link to confirm the sessions is on its way to the participant.")
        )
    return redirect(_next(request, reverse("web:pairing_sessions", args=[pairing.pk])))


# --- the participant's link ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def session_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from the e-mail, without signing in. GET lists the sessions (no health details)
    with a box ticked for each; POST confirms the ticked ones. E-mail scanners open links
    before people do, so a GET never changes anything."""

    def answer(link, request: HttpRequest) -> list:  # noqa: ANN001
        return confirmations.confirmation_use(
            link=link, session_ids=[v for v in request.POST.getlist("session") if v.isdigit()]
        )

    return confirmation_page(
        request,
        token,
        confirmations.LINKS,
        templates=(
            "followup/confirmation.html",
            "followup/confirmation_closed.html",
            "followup/confirmation_done.html",
        ),
        context=lambda link: {
            "pairing": link.pairing,
            "sessions": confirmations.sessions_to_confirm(link),
        },
        answer=answer,
        error_text=error_text,
    )


# --- the coordinator's alerts ------------------------------------------------------------------


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """Courses and pairs that need a look, by kind, for the municipalities the user manages."""
    user = request.user
    if not managed_municipality_ids(user):
        raise PermissionDenied
    found = alerts_for(user)
    groups: dict[str, list] = {}
    for alert in found:
        groups.setdefault(alert.kind, []).append(alert)
    # The people named: through their pair, or through their course when it has no pair.
    audit_list_read(
        user=user,
        objects=list({a.pairing.pk: a.pairing for a in found if a.pairing is not None}.values()),
    )
    audit_list_read(
        user=user,
        objects=list(
            {a.episode.pk: a.episode for a in found if a.pairing is None and a.episode}.values()
        ),
    )
    return render(
        request,
        "followup/alerts.html",
        {
            "groups": [(KIND_LABELS.get(kind, kind), items) for kind, items in groups.items()],
            "count": len(found),
        },
    )
