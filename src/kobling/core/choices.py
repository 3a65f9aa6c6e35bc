"""Choices of the shared mechanisms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    # The last attempt failed: retried at ``next_attempt_at``, or given up when that is empty.
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    OPTED_OUT = "opted_out", _("opted out")


class LinkStatus(models.TextChoices):
    LIVE = "live", _("live")
    USED = "used", _("used")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")
