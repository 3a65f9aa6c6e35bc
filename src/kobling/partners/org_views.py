"""The organisation's own pages (one door): its contact person in the municipality and the
programmes it works with, the premises it may book (others' bookings show only as "busy"),
its own bookings, key-log lines about it and the meetings it is invited to.

Reached through the organisation's sign-in (the e-mailed link of its contact person,
:mod:`kobling.partners.organisations`) — no password account, and no second identity. Every
record is looked up **within the organisation's partner and municipality**: anything else is a
404, as if it did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.views import add_service_errors, error_text
from kobling.partners import selectors, services
from kobling.partners.forms import BookingForm, CancelForm
from kobling.partners.models import Booking, KeyLogEntry, Meeting, Partner, Premises
from kobling.partners.organisations import SignedInOrganisation, require_organisation
from kobling.partners.premises_views import calendar_params


def _partner(org: SignedInOrganisation) -> Partner:
    return (
        Partner.objects.select_related("municipal_contact", "municipality")
        .prefetch_related("programmes")
        .get(pk=org.partner_id)
    )


def _premises(org: SignedInOrganisation, pk: int) -> Premises:
    return get_object_or_404(
        Premises.objects.select_related("owner"),
        pk=pk,
        municipality_id=org.municipality_id,
        is_active=True,
    )


@require_GET
def org_home(request: HttpRequest) -> HttpResponse:
    org = require_organisation(request)
    partner = _partner(org)
    now = timezone.now()
    return render(
        request,
        "partners/org_home.html",
        {
            "org": org,
            "partner": partner,
            "bookings": selectors.upcoming_bookings(
                Booking.objects.filter(partner_id=org.partner_id), now
            ),
            "premises": list(
                Premises.objects.filter(municipality_id=org.municipality_id, is_active=True)
            ),
            "keys": list(
                KeyLogEntry.objects.filter(partner_id=org.partner_id)
                .select_related("premises")
                .order_by("-happened_at", "-pk")[:30]
            ),
            "meetings": list(
                Meeting.objects.filter(invitations__partner_id=org.partner_id)
                .select_related("booking__premises")
                .order_by("-starts_at", "-pk")[:30]
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def org_premises(request: HttpRequest, pk: int) -> HttpResponse:
    """The premises' facts and calendar (others' bookings only as "busy"), and the booking
    form."""
    org = require_organisation(request)
    premises = _premises(org, pk)
    form = BookingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                made = services.booking_create(
                    premises=premises,
                    organisation=org,
                    title=form.cleaned_data["title"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    repeat_until=form.cleaned_data.get("repeat_until"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Booked: %(count)d time(s).") % {"count": len(made)})
                return redirect("web:org_premises", pk=pk)
        status = 400
    view, around = calendar_params(request)
    return render(
        request,
        "partners/org_premises.html",
        {
            "org": org,
            "premises": premises,
            "calendar": selectors.premises_calendar(premises, view=view, around=around),
            "booking_form": form,
            "own_partner_id": org.partner_id,
        },
        status=status,
    )


@require_POST
def org_booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    org = require_organisation(request)
    booking = get_object_or_404(
        Booking, pk=pk, partner_id=org.partner_id, municipality_id=org.municipality_id
    )
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        count = services.booking_cancel(
            booking=booking,
            organisation=org,
            reason=form.cleaned_data.get("reason", ""),
            whole_series=form.cleaned_data.get("whole_series", False),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Cancelled: %(count)d booking(s).") % {"count": count})
    return redirect("web:org_home")


@require_GET
def org_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    org = require_organisation(request)
    meeting = get_object_or_404(
        Meeting.objects.select_related("booking__premises"),
        pk=pk,
        invitations__partner_id=org.partner_id,
    )
    return render(request, "partners/org_meeting.html", {"org": org, "meeting": meeting})
