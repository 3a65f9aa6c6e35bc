"""Staff pages for premises lending and the meeting calendar: premises with their practical
facts and a week/month calendar, bookings (once or weekly through a term; a conflict is
refused with the dates), cancelling, the key log, incident notes; meetings with invitations,
minutes and attendance. The municipality's managers only: everyone else 403, a manager of
another municipality 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.partners import selectors, services
from kobling.partners.forms import (
    BookingForm,
    CancelForm,
    IncidentForm,
    InviteForm,
    KeyLogForm,
    MeetingForm,
    PremisesForm,
)
from kobling.partners.models import Booking, Meeting, Partner, Premises


def _require_scope(request: HttpRequest) -> None:
    if Premises.visibility_q(request.user, "change") is None:
        raise PermissionDenied


def calendar_params(request: HttpRequest) -> tuple[str, dt.date]:
    view = "month" if request.GET.get("visning") == "maaned" else "week"
    around = parse_date(request.GET.get("dato") or "") or timezone.localdate()
    return view, around


@login_required
@require_GET
def premises_list(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    rows = list(selectors.premises_list_queryset(Premises.objects.visible_to(request.user)))
    return render(request, "partners/premises_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def premises_create(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    form = PremisesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            premises = services.premises_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.data_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was registered.") % {"name": premises.name})
            return redirect("web:premises_detail", pk=premises.pk)
    return render(request, "partners/premises_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def premises_edit(request: HttpRequest, pk: int) -> HttpResponse:
    premises = get_visible_or_404(request, Premises.objects.all(), action="change", pk=pk)
    form = PremisesForm(request.POST or None, user=request.user, premises=premises)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.premises_update(
                premises=premises,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:premises_detail", pk=premises.pk)
    return render(
        request,
        "partners/premises_form.html",
        {"form": form, "premises": premises, "creating": False},
    )


def _detail_context(request: HttpRequest, premises: Premises, **forms: object) -> dict:
    view, around = calendar_params(request)
    partners = Partner.objects.filter(municipality_id=premises.municipality_id, is_active=True)
    return {
        "premises": premises,
        "calendar": selectors.premises_calendar(premises, view=view, around=around),
        "booking_form": forms.get("booking_form") or BookingForm(partners=partners),
        "key_form": forms.get("key_form") or KeyLogForm(premises=premises),
        "incident_form": forms.get("incident_form") or IncidentForm(premises=premises),
        "keys_out": services.keys_out(premises),
        "key_log": list(premises.key_log.select_related("partner", "supersedes")[:30]),
        "incidents": list(premises.incidents.select_related("partner")[:30]),
        "agreements": list(premises.agreements.select_related("partner")),
        "upcoming": selectors.upcoming_bookings(premises.bookings.all(), timezone.now(), 30),
        "staff": True,
    }


@login_required
@require_GET
def premises_detail(request: HttpRequest, pk: int) -> HttpResponse:
    premises = get_visible_or_404(
        request, Premises.objects.select_related("owner", "municipality"), action="view", pk=pk
    )
    return render(request, "partners/premises_detail.html", _detail_context(request, premises))


@login_required
@require_http_methods(["GET", "POST"])
def booking_create(request: HttpRequest, pk: int) -> HttpResponse:
    premises = get_visible_or_404(request, Premises.objects.all(), action="change", pk=pk)
    if request.method == "GET":
        return redirect("web:premises_detail", pk=pk)
    partners = Partner.objects.filter(municipality_id=premises.municipality_id, is_active=True)
    form = BookingForm(request.POST, partners=partners)
    if form.is_valid():
        try:
            made = services.booking_create(
                premises=premises,
                by=request.user,
                partner=form.cleaned_data.get("partner"),
                title=form.cleaned_data["title"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                repeat_until=form.cleaned_data.get("repeat_until"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Booked: %(count)d time(s).") % {"count": len(made)},
            )
            return redirect("web:premises_detail", pk=pk)
    context = _detail_context(request, premises, booking_form=form)
    return render(request, "partners/premises_detail.html", context, status=400)


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int, booking_pk: int) -> HttpResponse:
    booking = get_visible_or_404(
        request, Booking.objects.all(), action="change", pk=booking_pk, premises_id=pk
    )
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        count = services.booking_cancel(
            booking=booking,
            by=request.user,
            reason=form.cleaned_data.get("reason", ""),
            whole_series=form.cleaned_data.get("whole_series", False),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Cancelled: %(count)d booking(s).") % {"count": count})
    return redirect("web:premises_detail", pk=pk)


@login_required
@require_POST
def key_log_add(request: HttpRequest, pk: int) -> HttpResponse:
    premises = get_visible_or_404(request, Premises.objects.all(), action="change", pk=pk)
    form = KeyLogForm(request.POST, premises=premises)
    if form.is_valid():
        try:
            services.key_log_record(premises=premises, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The key log was updated."))
            return redirect("web:premises_detail", pk=pk)
    context = _detail_context(request, premises, key_form=form)
    return render(request, "partners/premises_detail.html", context, status=400)


@login_required
@require_POST
def incident_add(request: HttpRequest, pk: int) -> HttpResponse:
    premises = get_visible_or_404(request, Premises.objects.all(), action="change", pk=pk)
    form = IncidentForm(request.POST, premises=premises)
    if form.is_valid():
        try:
            services.incident_record(premises=premises, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The incident was noted."))
            return redirect("web:premises_detail", pk=pk)
    context = _detail_context(request, premises, incident_form=form)
    return render(request, "partners/premises_detail.html", context, status=400)


# --- meetings -----------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    if Meeting.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    meetings = list(
        Meeting.objects.visible_to(request.user)
        .select_related("booking__premises")
        .order_by("-starts_at", "-pk")[:200]
    )
    now = timezone.now()
    return render(
        request,
        "partners/meeting_list.html",
        {
            "upcoming": [m for m in reversed(meetings) if m.ends_at >= now],
            "past": [m for m in meetings if m.ends_at < now],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    if Meeting.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.data_kwargs()
        data.pop("minutes", None)
        try:
            meeting = services.meeting_create(
                municipality=form.cleaned_data["municipality"], by=request.user, data=data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The meeting is in the calendar. Invite the partners."))
            return redirect("web:meeting_detail", pk=meeting.pk)
    return render(request, "partners/meeting_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(request, Meeting.objects.all(), action="change", pk=pk)
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.meeting_update(
                meeting=meeting,
                by=request.user,
                data=form.data_kwargs(),
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:meeting_detail", pk=pk)
    return render(
        request, "partners/meeting_form.html", {"form": form, "meeting": meeting, "creating": False}
    )


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(
        request, Meeting.objects.select_related("booking__premises"), action="view", pk=pk
    )
    return render(
        request,
        "partners/meeting_detail.html",
        {
            "meeting": meeting,
            "invitations": list(meeting.invitations.select_related("partner")),
            "invite_form": InviteForm(meeting=meeting),
        },
    )


@login_required
@require_POST
def meeting_invite(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(request, Meeting.objects.all(), action="change", pk=pk)
    form = InviteForm(request.POST, meeting=meeting)
    if not form.is_valid():
        messages.error(request, _("Choose at least one partner to invite."))
        return redirect("web:meeting_detail", pk=pk)
    try:
        made = services.meeting_invite(
            meeting=meeting, by=request.user, partners=form.cleaned_data["partners"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        without = [i.partner.name for i in made if not i.email]
        messages.success(request, _("Invited: %(count)d.") % {"count": len(made)})
        if without:
            messages.warning(
                request,
                _("No e-mail address for %(names)s: tell them yourself.")
                % {"names": ", ".join(without)},
            )
    return redirect("web:meeting_detail", pk=pk)


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(request, Meeting.objects.all(), action="change", pk=pk)
    with service_errors(request) as outcome:
        services.meeting_attendance(
            meeting=meeting,
            by=request.user,
            came=[v for v in request.POST.getlist("came") if v.isdigit()],
            expected_version=int(request.POST["version"])
            if request.POST.get("version", "").isdigit()
            else None,
        )
    if outcome.ok:
        messages.success(request, _("Attendance saved."))
    return redirect("web:meeting_detail", pk=pk)
