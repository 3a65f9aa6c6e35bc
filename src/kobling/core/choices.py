"""Choices of the shared mechanisms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    # A worker claimed it and is handing it to the mail server (until ``claimed_until``).
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    # The last attempt failed: retried at ``next_attempt_at``, or given up when that is empty.
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    OPTED_OUT = "opted_out", _("opted out")
    # An at-most-once e-mail whose worker stopped while sending: the mail server may or may
    # not have it, and it is not sent again.
    UNCONFIRMED = "unconfirmed", _("not confirmed")


class LinkStatus(models.TextChoices):
    LIVE = "live", _("live")
    USED = "used", _("used")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class ParticipantAnswer(models.TextChoices):
    """The participant's own answer about an entry recorded for them (a confirmation link:
    group attendance, a visit at a provider)."""

    CONFIRMED = "confirmed", _("Confirmed by the participant")
    DISPUTED = "disputed", _("The participant says they were not there")
