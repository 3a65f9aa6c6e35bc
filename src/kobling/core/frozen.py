"""The last line of defence for rows that a final status freezes (an approved timesheet or
expense, a submitted self-assessment): whatever path a change takes — a service, the admin, a
stray ``save()`` — a row whose *stored* status is final can be neither saved again nor deleted.
The save that makes it final passes: the stored status is not yet final at that moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError


class FrozenOnceFinal:
    """Mix into a model with a ``status`` field; the model sets ``FINAL`` and defines
    ``locked_message()`` (the refusal, in the user's language)."""

    FINAL: str  # the status value that freezes the row
    locked_message: Callable[[], str]

    def _stored_status(self) -> str | None:
        if self.pk is None or self._state.adding:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._stored_status() == self.FINAL:
            raise ValidationError(self.locked_message())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._stored_status() == self.FINAL:
            raise ValidationError(self.locked_message())
        return super().delete(*args, **kwargs)
