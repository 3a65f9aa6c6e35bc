"""Data-migration helpers shared by the apps' migrations. They take the historical models from
``apps`` (never the live ones), so a migration that uses them stays valid as models change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery

from kobling.lib.row_guards import RowGuard, install, remove


def copy_through(
    model: str, field: str, via: str, via_model: str, source: str
) -> Callable[[Any, Any], None]:
    """A ``RunPython`` forward function that sets ``model.field`` to ``via_model.source`` of the
    row its ``via`` foreign key points to, for every row where ``via`` is set — in one UPDATE
    with a subquery, whatever the table size. ``model`` and ``via_model`` are "app.Model"."""

    def forward(apps: Any, schema_editor: Any) -> None:
        target = apps.get_model(model)
        linked = apps.get_model(via_model)
        target.objects.using(schema_editor.connection.alias).filter(
            **{f"{via}__isnull": False}
        ).update(**{field: Subquery(linked.objects.filter(pk=OuterRef(via)).values(source)[:1])})

    return forward


def row_guards(*guards: RowGuard) -> migrations.RunPython:
    """A reversible operation that installs database row guards (:mod:`kobling.lib.row_guards`):
    forwards installs them for the table's current columns, backwards removes them."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for guard in guards:
            install(schema_editor.connection, guard)

    def backward(apps: Any, schema_editor: Any) -> None:
        for guard in reversed(guards):
            remove(schema_editor.connection, guard)

    return migrations.RunPython(forward, backward)
