"""Writing the audit log. Services call :func:`audit_log` for every create/update/delete; the base
views and API viewsets call it for every read of a person's record. Where the request came from
(screen/endpoint, IP) is picked up from a context variable set by :class:`AuditContextMiddleware`,
so services need not thread the request through."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from kobling.tenancy.models import AuditEntry


@dataclass(frozen=True)
class AuditContext:
    via: str = "system"
    ip_address: str | None = None


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context", default=AuditContext()
)


@contextlib.contextmanager
def audit_context(*, via: str, ip_address: str | None = None) -> Iterator[None]:
    token = _context.set(AuditContext(via=via[:200], ip_address=ip_address))
    try:
        yield
    finally:
        _context.reset(token)


def set_audit_via(via: str) -> None:
    """Name the screen or endpoint of the current context (within an :func:`audit_context`)."""
    current = _context.get()
    _context.set(AuditContext(via=via[:200], ip_address=current.ip_address))


def current_context() -> AuditContext:
    return _context.get()


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_log(
    *,
    user: Any,
    action: str,
    obj: models.Model | None = None,
    municipality_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    via: str | None = None,
) -> AuditEntry:
    """Append one entry. ``changes`` maps field → [old, new] for updates, or carries context."""
    ctx = current_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if municipality_id is None:
            municipality_id = getattr(obj, "municipality_id", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=(user.get_username() if authenticated else "")[:150],
        municipality_id=municipality_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        via=(via or ctx.via)[:200],
        ip_address=ctx.ip_address,
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if _jsonable(before.get(key)) != _jsonable(after.get(key))
    }


def audit_list_read(*, user: Any, objects: list[models.Model], via: str | None = None) -> None:
    """A list showed these people's records: one entry per municipality naming the ids shown, so
    "who saw whom" has an answer for lists too, at a fixed cost per page."""
    by_municipality: dict[int | None, list[str]] = {}
    for obj in objects:
        by_municipality.setdefault(getattr(obj, "municipality_id", None), []).append(str(obj.pk))
    if not objects:
        return
    object_type = objects[0]._meta.label_lower
    for municipality_id, ids in by_municipality.items():
        audit_log(
            user=user,
            action="view",
            municipality_id=municipality_id,
            object_type=object_type,
            object_repr=f"list ({len(ids)})",
            changes={"ids": ids},
            via=via,
        )
