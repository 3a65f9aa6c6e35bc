"""Pages for leader networks: the list, a new network with its plan, a network with its
meetings, and recording a held meeting (who came, homework, minutes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.workplace import networks
from kobling.workplace.forms import NetworkForm, NetworkMeetingForm
from kobling.workplace.ia_views import staff_municipality
from kobling.workplace.models import LeaderNetwork, NetworkMeeting


@login_required
@require_GET
def network_list(request: HttpRequest) -> HttpResponse:
    if LeaderNetwork.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    rows = list(
        LeaderNetwork.objects.visible_to(request.user)
        .prefetch_related("facilitators", "members", "meetings")
        .order_by("name", "pk")
    )
    return render(
        request,
        "workplace/network_list.html",
        {
            "networks": rows,
            "can_create": LeaderNetwork.visibility_q(request.user, "change") is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def network_create(request: HttpRequest) -> HttpResponse:
    municipality, municipalities = staff_municipality(request)
    form = NetworkForm(request.POST or None, municipality_id=municipality.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            network = networks.network_create(
                by=request.user,
                municipality=municipality,
                name=data["name"],
                members=data["members"],
                facilitators=data["facilitators"],
                meeting_plan=data["plan"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The leader network was created."))
            return redirect("web:workplace_network_detail", pk=network.pk)
    title = _("New leader network")
    return render(
        request,
        "workplace/form.html",
        {
            "form": form,
            "title": f"{title} · {municipality.name}" if len(municipalities) > 1 else title,
            "municipality": municipality,
            "municipalities": municipalities,
        },
    )


@login_required
@require_GET
def network_detail(request: HttpRequest, pk: int) -> HttpResponse:
    network = get_visible_or_404(request, LeaderNetwork.objects.all(), pk=pk)
    meetings = list(network.meetings.prefetch_related("attended").order_by("date", "pk"))
    return render(
        request,
        "workplace/network_detail.html",
        {
            "network": network,
            "members": list(network.members.select_related("leader")),
            "facilitators": list(network.facilitators.all()),
            "meetings": meetings,
            "can_log": network.permits(request.user, "log"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def network_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_visible_or_404(
        request, NetworkMeeting.objects.select_related("network"), action="log", pk=pk
    )
    form = NetworkMeetingForm(
        request.POST or None,
        meeting=meeting,
        initial={
            "version": meeting.version,
            "attended": list(meeting.attended.all()),
            "homework": meeting.homework,
            "minutes": meeting.minutes,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form) as outcome:
            networks.meeting_record(
                by=request.user,
                meeting=meeting,
                attended=data["attended"],
                homework=data["homework"],
                minutes=data["minutes"],
                expected_version=data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The meeting was recorded."))
            return redirect("web:workplace_network_detail", pk=meeting.network_id)
    return render(request, "workplace/network_meeting.html", {"form": form, "meeting": meeting})
