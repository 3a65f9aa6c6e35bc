"""Pages for the participant's course (forløp): the coordinators' list of courses and one
course's timeline — referral, decision, waiting time, proposals, pairs or groups, sessions,
reviews, conversations, ending, hand-over, follow-ups and notices on one screen."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from kobling.core.filters import BaseFilterSet
from kobling.core.views import ScopedMixin, get_visible_or_404
from kobling.referrals.choices import EpisodeStatus
from kobling.referrals.models import Episode
from kobling.referrals.timeline import timeline
from kobling.tenancy.audit import audit_list_read
from kobling.tenancy.choices import Delivery


class EpisodeFilter(BaseFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=EpisodeStatus.choices, empty_label=_("All")
    )
    delivery = django_filters.ChoiceFilter(
        label=_("Delivery"), choices=Delivery.choices, empty_label=_("All")
    )

    class Meta:
        model = Episode
        fields = ["status", "delivery"]


class EpisodeListView(ScopedMixin, ListView):
    """The coordinators' courses, newest first; a read of the persons listed is audited."""

    model = Episode
    scope_action = "change"
    template_name = "referrals/episode_list.html"
    paginate_by = 50

    def get_queryset(self):  # noqa: ANN201
        base = (
            super()
            .get_queryset()
            .filter(municipality__in=sorted(self.request.user.municipality_ids()))
            .select_related("participant", "programme")
        )
        self.filterset = EpisodeFilter(self.request.GET or None, queryset=base)
        return self.filterset.qs.order_by("-opened_on", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = [
            e for e in context["page_obj"] if self.request.user.is_manager_of(e.municipality_id)
        ]
        audit_list_read(user=self.request.user, objects=rows)
        context.update(filter=self.filterset, page=context["page_obj"], rows=rows)
        return context


@login_required
def episode_timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One course's timeline, for coordinators and admins of its municipality (a referrer reads
    the report instead). Audited as a read of the person."""
    episode = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme", "referral").prefetch_related(
            "referral__decisions", "renewals", "conversations", "pairings"
        ),
        action="change",
        audit=True,
        pk=pk,
    )
    return render(
        request,
        "referrals/episode_timeline.html",
        {"episode": episode, "events": timeline(episode), "pairings": episode.pairings.all()},
    )
