"""The last line of defence for rows that a final status freezes (an approved timesheet or
expense, a submitted self-assessment): whatever path a change takes — a service, the admin, a
stray ``save()`` — a row whose *stored* status is final can be neither saved again nor deleted.
The save that makes it final passes: the stored status is not yet final at that moment.

The database holds the same line (:meth:`FrozenOnceFinal.row_guard`, installed by the app's
migration), so raw SQL cannot change or delete a final row either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from kobling.lib.row_guards import RowGuard


class FrozenOnceFinal:
    """Mix into a model with a ``status`` field; the model sets ``FINAL`` and defines
    ``locked_message()`` (the refusal, in the user's language)."""

    FINAL: str  # the status value that freezes the row
    locked_message: Callable[[], str]

    @classmethod
    def row_guard(cls) -> RowGuard:
        """The database's version of this rule: a row whose stored status is final refuses
        UPDATE and DELETE."""
        table = cls._meta.db_table  # type: ignore[attr-defined]
        final = getattr(cls.FINAL, "value", cls.FINAL)
        return RowGuard(
            name=f"{table}_frozen",
            table=table,
            message=f"{table}: a {final} row is never changed",
            frozen_when=f"OLD.status = '{final}'",
        )

    @classmethod
    def part_row_guard(cls, part: Any, column: str) -> RowGuard:
        """The same for a model whose rows are part of a final row (a timesheet's lines, an
        assessment's answers): frozen when the row that ``column`` points to is final."""
        table, part_table = cls._meta.db_table, part._meta.db_table  # type: ignore[attr-defined]
        final = getattr(cls.FINAL, "value", cls.FINAL)
        return RowGuard(
            name=f"{part_table}_frozen",
            table=part_table,
            message=f"{part_table}: part of a {final} row, never changed",
            # Names from the models, never from input.
            frozen_when=f"(SELECT status FROM {table} WHERE id = OLD.{column}) = '{final}'",  # noqa: S608
        )

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
