from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUPERSEDED = "superseded", _("Superseded by a newer run")
    CLOSED = "closed", _("Closed")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class PairRuleKind(models.TextChoices):
    LOCK = "lock", _("Lock this pair")
    FORBID = "forbid", _("Never this pair")
