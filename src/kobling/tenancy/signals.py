"""What tenancy tells the layers above it, without knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# A membership was granted to someone who has no password yet (a new user, or one who never used
# their invitation): send them an invitation. Sent inside the granting transaction with
# ``membership``; kobling.core.invitations queues the e-mail in the outbox.
invitation_needed = Signal()
