"""Pages for group offers: the list (managers: the municipality's; leaders: their own), an
offer with its meetings, enrolled and waiting, creating an offer, enrolling a course, and the
leader's attendance list for a meeting — one tap per person, on a phone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core import outbox
from kobling.core.confirmation_links import confirmation_page
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.groups import card, confirmations, services
from kobling.groups.choices import EnrolmentStatus, MeetingStatus
from kobling.groups.forms import (
    AttendanceForm,
    EnrolForm,
    OfferEditForm,
    OfferForm,
    SubstituteForm,
)
from kobling.groups.models import GroupEnrolment, GroupOffer, Meeting
from kobling.groups.selectors import meeting_roster, offers_with_counts
from kobling.referrals.models import Episode
from kobling.tenancy.audit import audit_list_read


@login_required
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    if GroupOffer.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    offers = offers_with_counts(GroupOffer.objects.visible_to(request.user).distinct()).order_by(
        "-is_active", "-term_start", "title"
    )
    today = timezone.localdate()
    # The leader's next step: meetings up to today that still wait for their attendance.
    to_record = (
        Meeting.objects.visible_to(request.user)
        .filter(status=MeetingStatus.PLANNED, date__lte=today, offer__is_active=True)
        .select_related("offer")
        .distinct()
        .order_by("-date", "start_time")[:20]
    )
    return render(
        request,
        "groups/offer_list.html",
        {
            "offers": list(offers),
            "to_record": list(to_record),
            "can_create": GroupOffer.visibility_q(request.user, "change") is not None,
        },
    )


@login_required
@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_visible_or_404(request, offers_with_counts(GroupOffer.objects.all()), pk=pk)
    enrolments = list(
        GroupEnrolment.objects.filter(offer=offer)
        .exclude(status=EnrolmentStatus.LEFT)
        .select_related("episode__participant")
        .order_by("status", "waiting_since", "episode__participant__last_name")
    )
    audit_list_read(user=request.user, objects=[e.episode for e in enrolments])
    can_change = offer.permits(request.user, "change")
    return render(
        request,
        "groups/offer_detail.html",
        {
            "offer": offer,
            "times": list(offer.times.all()),
            "leaders": list(offer.leaders.all()),
            "enrolled": [e for e in enrolments if e.status == EnrolmentStatus.ENROLLED],
            "waiting": [e for e in enrolments if e.status == EnrolmentStatus.WAITING],
            "meetings": list(
                Meeting.objects.filter(offer=offer)
                .select_related("substitute")
                .order_by("date", "start_time")
            ),
            "today": timezone.localdate(),
            "can_change": can_change,
            "enrol_form": EnrolForm(offer=offer) if can_change else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    if GroupOffer.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = OfferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.data_kwargs(),
                leaders=form.cleaned_data["leaders"],
                times=form.times(),
            )
            services.meetings_generate(offer=offer, by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The group and its meetings were created."))
            return redirect("web:group_offer_detail", pk=offer.pk)
    return render(request, "groups/offer_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a group (coordinators and admins): leaders, place, term, places… A stale form is
    refused; the service says what a shorter term does to its meetings."""
    offer = get_visible_or_404(request, GroupOffer.objects.all(), action="change", pk=pk)
    form = OfferEditForm(request.POST or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.offer_update(
                offer=offer,
                by=request.user,
                data=form.data_kwargs(),
                leaders=form.cleaned_data["leaders"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The group was changed."))
            return redirect("web:group_offer_detail", pk=offer.pk)
    return render(request, "groups/offer_edit.html", {"form": form, "offer": offer})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the substitute who leads one meeting (coordinators and admins)."""
    meeting = get_visible_or_404(request, Meeting.objects.select_related("offer"), pk=pk)
    if not request.user.is_manager_of(meeting.municipality_id):
        raise PermissionDenied
    form = SubstituteForm(
        request.POST or None,
        meeting=meeting,
        initial={"substitute": meeting.substitute_id, "version": meeting.version},
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.meeting_set_substitute(
                meeting=meeting,
                by=request.user,
                substitute=form.cleaned_data["substitute"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The substitute was saved."))
            return redirect("web:group_offer_detail", pk=meeting.offer_id)
    return render(request, "groups/meeting_substitute.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def offer_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_visible_or_404(request, GroupOffer.objects.all(), action="change", pk=pk)
    form = EnrolForm(request.POST, offer=offer)
    if form.is_valid():
        try:
            row = services.enrolment_create(
                offer=offer, episode=form.cleaned_data["episode"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if row.status == EnrolmentStatus.ENROLLED:
                messages.success(request, _("Enrolled."))
            else:
                messages.warning(
                    request, _("The group is full: the course is on its waiting list.")
                )
    else:
        messages.error(request, _("Choose a course."))
    return redirect("web:group_offer_detail", pk=offer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader's list for one meeting: everyone on it by name, one checkbox each."""
    meeting = get_visible_or_404(request, Meeting.objects.select_related("offer__programme"), pk=pk)
    roster = meeting_roster(meeting)
    initial: dict[str, Any] = {
        "came": [r.episode for r in roster if r.attended],
        "minutes": meeting.minutes,
        "intensity": meeting.intensity,
        "account": meeting.account,
        "version": meeting.version,
    }
    form = AttendanceForm(
        request.POST or None,
        initial=initial,
        roster=roster,
        open_group=meeting.offer.is_drop_in,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form) as outcome:
            saved = services.attendance_record(
                meeting=meeting,
                by=request.user,
                came=[int(pk) for pk in data["came"]],
                drop_ins=data.get("drop_ins") or [],
                minutes=data["minutes"],
                intensity=data["intensity"],
                account=data["account"],
                expected_version=data["version"],
            )
        if outcome.ok:
            messages.success(request, _("Attendance saved."))
            _tell_links(request, saved.links_queued)
            return redirect("web:group_meeting_attendance", pk=meeting.pk)
    audit_list_read(
        user=request.user, objects=list(Episode.objects.filter(pk__in=[r.episode for r in roster]))
    )
    return render(
        request,
        "groups/meeting_attendance.html",
        {
            "meeting": meeting,
            "form": form,
            "roster": roster,
            "came_count": sum(1 for r in roster if r.attended),
            # Each checkbox with its row (the form's choices are the roster, in its order).
            "ticks": list(zip(form["came"], roster, strict=True)),
            "answers": Counter(r.confirmation for r in roster if r.confirmation),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def meeting_dispute_keep(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a disputed entry as present after a look, with the reason (the leader or a
    coordinator): a new entry supersedes it and the alert goes."""
    meeting = get_visible_or_404(request, Meeting.objects.select_related("offer__programme"), pk=pk)
    episode = request.POST.get("episode", "")
    try:
        services.attendance_dispute_keep(
            meeting=meeting,
            by=request.user,
            episode_id=int(episode) if episode.isdigit() else 0,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The attendance stands, with your reason."))
    return redirect("web:group_meeting_attendance", pk=meeting.pk)


def _tell_links(request: HttpRequest, queued: confirmations.LinksQueued) -> None:
    """Tell the leader how many were asked to confirm, and whom no link could reach."""
    if queued.sent:
        messages.info(
            request,
            ngettext(
                "A link to confirm their attendance is on its way to %(n)s participant.",
                "A link to confirm their attendance is on its way to %(n)s participants.",
                queued.sent,
            )
            % {"n": queued.sent},
        )
    if queued.no_address:
        messages.warning(
            request,
            ngettext(
                "%(n)s participant has no e-mail address and gets no link: %(names)s.",
                "%(n)s participants have no e-mail address and get no link: %(names)s.",
                len(queued.no_address),
            )
            % {"n": len(queued.no_address), "names": ", ".join(queued.no_address)},
        )
    if queued.over_limit:
        messages.warning(
            request,
            _("Enough links were sent today; no new one to: %(names)s.")
            % {"names": ", ".join(queued.over_limit)},
        )


# --- the participant's confirmation link -----------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def attendance_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from the e-mail, without signing in: the first name, the group, the day and the
    minutes, and two buttons — "I was there", "I was not there". A GET changes nothing."""

    def answer(link, request: HttpRequest):  # noqa: ANN001, ANN202
        choice = request.POST.get("answer", "")
        if choice not in ("yes", "no"):
            raise ValidationError(_("Choose whether you were there."))
        entry = request.POST.get("entry", "")
        return confirmations.attendance_answer(
            link=link,
            was_there=choice == "yes",
            entry_id=int(entry) if entry.isdigit() else None,
        )

    return confirmation_page(
        request,
        token,
        confirmations.LINKS,
        templates=(
            "groups/attendance_confirmation.html",
            "groups/attendance_confirmation_closed.html",
            "groups/attendance_confirmation_done.html",
        ),
        context=confirmations.meeting_of,
        answer=answer,
        error_text=error_text,
    )


# --- the participant's card ------------------------------------------------------------------


@login_required
@require_POST
def card_send(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail the participant the link to their card (coordinators and admins, from the
    course's page); a new link replaces the one before."""
    episode = get_visible_or_404(
        request, Episode.objects.select_related("participant"), action="change", pk=pk
    )
    if not episode.permits(request.user, "change"):
        raise PermissionDenied
    try:
        card.card_link_send(episode=episode, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The link to the participant card is on its way."))
    return redirect("web:episode_timeline", pk=episode.pk)


@never_cache
@require_GET
def card_page(request: HttpRequest, token: str) -> HttpResponse:
    """The card, reached from the e-mail without signing in: what the instructor checks at the
    door, nothing more. A replaced or expired link says so."""
    episode, outcome = card.episode_from_token(token)
    if episode is None:
        raise Http404
    if outcome != outbox.LinkOutcome.LIVE:
        return render(request, "groups/card_closed.html", {"outcome": outcome}, status=410)
    return render(
        request,
        "groups/card.html",
        {"card": card.card_for(episode), "today": timezone.localdate()},
    )
