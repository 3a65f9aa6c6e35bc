"""Read-only API list of the outbox: ``/api/v1/outbox/`` (no bodies; scoped like the page)."""

from __future__ import annotations

from rest_framework import serializers

from kobling.core import outbox
from kobling.core.models import OutboxMessage
from kobling.core.outbox_views import OutboxFilterSet
from kobling.core.viewsets import ScopedReadOnlyViewSet


class OutboxMessageSerializer(serializers.ModelSerializer):
    purpose_label = serializers.SerializerMethodField()

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "purpose",
            "purpose_label",
            "municipality",
            "recipient",
            "subject_key",
            "sequence",
            "subject_line",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
            "sent_at",
        ]

    def get_purpose_label(self, obj: OutboxMessage) -> str:
        return outbox.purpose_label(obj.purpose)


class OutboxMessageViewSet(ScopedReadOnlyViewSet):
    """What was e-mailed to whom and what failed, newest first."""

    queryset = OutboxMessage.objects.all()
    serializer_class = OutboxMessageSerializer
    filterset_class = OutboxFilterSet


def register(router) -> None:  # noqa: ANN001
    router.register("outbox", OutboxMessageViewSet, basename="outbox")
