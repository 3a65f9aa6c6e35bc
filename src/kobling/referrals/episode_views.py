"""Pages for the participant's course (forløp): the coordinators' list of courses and one
course's timeline — referral, decision, waiting time, proposals, pairs or groups, sessions,
reviews, conversations, ending, hand-over, follow-ups and notices on one screen."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django.views.generic import ListView

from kobling.core.filters import BaseFilterSet
from kobling.core.views import ScopedMixin, get_visible_or_404, service_errors
from kobling.referrals import episodes
from kobling.referrals.choices import ConversationKind, EpisodeStatus
from kobling.referrals.forms import ConversationForm, EpisodeEndForm
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
    completed = django_filters.ChoiceFilter(
        label=_("Completed"),
        choices=[("yes", _("Completed")), ("no", _("Ended, not completed"))],
        empty_label=_("All"),
        method="filter_completed",
    )

    class Meta:
        model = Episode
        fields = ["status", "delivery", "completed"]

    def filter_completed(self, queryset, name: str, value: str):  # noqa: ANN001, ANN201
        """Ended courses whose programme has a completion rule, completed under it or not. The
        rule reads attendance, so it is decided for the ended courses of the list (a fixed
        number of queries), not in SQL."""
        ended = list(
            queryset.filter(status=EpisodeStatus.ENDED).order_by().values_list("pk", flat=True)
        )
        done = episodes.completed_by_course(ended, today=timezone.localdate())
        wanted = value == "yes"
        return queryset.filter(pk__in=[pk for pk, c in done.items() if c is wanted])


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
        done = episodes.completed_by_course(
            [e.pk for e in rows if e.status == EpisodeStatus.ENDED], today=timezone.localdate()
        )
        for e in rows:
            e.completed = done.get(e.pk)
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
    conversations = list(episode.conversations.all())
    return render(
        request,
        "referrals/episode_timeline.html",
        {
            "episode": episode,
            "events": timeline(episode),
            "pairings": episode.pairings.all(),
            "conversations": conversations,
            "may_end": episodes.may_end_directly(episode),
            "may_record_conversation": episode.programme.uses_conversations
            and len(conversations) < len(ConversationKind.values)
            and episode.status != EpisodeStatus.ENDED,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the course's start or end conversation (coordinators and admins, where the
    programme uses them); afterwards it shows on the course's timeline."""
    episode = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme"),
        action="change",
        audit=True,
        pk=pk,
    )
    if not episode.permits(request.user, "change"):
        raise PermissionDenied
    recorded = set(episode.conversations.values_list("kind", flat=True))
    kinds = [k for k in ConversationKind.values if k not in recorded]
    form = ConversationForm(request.POST or None, kinds=kinds)
    unused = not episode.programme.uses_conversations
    if request.method == "POST" and not unused and form.is_valid():
        with service_errors(form) as outcome:
            episodes.conversation_record(episode=episode, by=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, gettext("The conversation was recorded."))
            return redirect("web:episode_timeline", pk=episode.pk)
    return render(
        request,
        "referrals/conversation_form.html",
        {"form": form, "episode": episode, "unused": unused},
    )


@login_required
@require_http_methods(["GET", "POST"])
def episode_end_page(request: HttpRequest, pk: int) -> HttpResponse:
    """End a course that no pair delivers (a group course, a provider's): coordinators and
    admins of its municipality. A one-to-one course ends through its pair."""
    episode = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme"),
        action="change",
        audit=True,
        pk=pk,
    )
    if not episode.permits(request.user, "change"):
        raise PermissionDenied
    form = EpisodeEndForm(
        request.POST or None,
        initial={"ended_on": timezone.localdate(), "version": episode.version},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form) as outcome:
            episodes.episode_end(
                episode=episode,
                by=request.user,
                ended_on=data["ended_on"],
                end_reason=data["end_reason"],
                end_note=data["end_note"],
                handover_destination=data["handover_destination"],
                handover_note=data["handover_note"],
                expected_version=data["version"],
            )
        if outcome.ok:
            messages.success(request, gettext("The course was ended."))
            return redirect("web:episode_timeline", pk=episode.pk)
    return render(
        request,
        "referrals/episode_end_form.html",
        {"form": form, "episode": episode, "may_end": episodes.may_end_directly(episode)},
    )
