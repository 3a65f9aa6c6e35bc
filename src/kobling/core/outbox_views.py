"""The outbox page: what was sent to whom and what failed — purpose, recipient, status,
attempts and dates, never a body. Coordinators and municipal admins see their municipality's
e-mails (the scoping primitive, through the base view); the national analyst the national
ones."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from kobling.core import outbox
from kobling.core.choices import MessageStatus
from kobling.core.filters import BaseFilterSet
from kobling.core.models import OutboxMessage
from kobling.core.views import ScopedMixin


class OutboxFilterSet(BaseFilterSet):
    """Shared by the page and the API list."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=MessageStatus.choices)
    purpose = django_filters.ChoiceFilter(label=_("Purpose"), choices=outbox.purpose_choices)
    recipient = django_filters.CharFilter(label=_("Recipient"), lookup_expr="icontains")
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = OutboxMessage
        fields = ["status", "purpose", "recipient", "since"]


class OutboxListView(ScopedMixin, ListView):
    model = OutboxMessage
    template_name = "core/outbox_list.html"
    paginate_by = 50
    context_object_name = "messages_sent"

    def get_queryset(self) -> QuerySet:
        self.filterset = OutboxFilterSet(
            self.request.GET or None, queryset=super().get_queryset().select_related("municipality")
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        for message in context["page_obj"]:
            message.purpose_label = outbox.purpose_label(message.purpose)
        context.update(
            filter=self.filterset,
            page=context["page_obj"],
            querystring_without_page=params.urlencode(),
        )
        return context


outbox_list = OutboxListView.as_view()
