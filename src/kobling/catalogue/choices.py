"""Choices for the catalogue of offers. The prevention level is the partners' enum
(``partners.choices.PreventionLevel``, also used by grants' applications), not a copy."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferKind(models.TextChoices):
    PROGRAMME = "programme", _("Municipal programme")
    GROUP = "group", _("Group offer")
    PROVIDER = "provider", _("Provider's offer")
    PEER_GROUP = "peer_group", _("Peer group")
    COURSE = "course", _("Learning and coping course")


# The kinds an organisation (a partner) offers itself; the others are derived from the
# municipality's own data.
ORGANISATION_KINDS = (OfferKind.PEER_GROUP, OfferKind.COURSE)


class JoinBy(models.TextChoices):
    REFER = "refer", _("By referral")
    APPLY = "apply", _("Apply")
    COME = "come", _("Just come")
