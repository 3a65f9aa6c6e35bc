"""The optimistic version check's input side: a write that checks a version requires it. The
version the user read comes with every such write; without it the API answers 400 (on the
field ``version``) and a form shows an error, instead of saving over someone else's change
unchecked. The check itself is the services' (``expected_version``, ConflictError → 409)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kobling.lib.errors import ConflictError

VERSION_REQUIRED = _("Send the version you read, so that concurrent edits are detected.")


def version_field(help_text: str = "The version you read (409 if it changed)") -> Any:
    """The required ``version`` of an API write."""
    return serializers.IntegerField(
        help_text=help_text,
        error_messages={"required": VERSION_REQUIRED, "null": VERSION_REQUIRED},
    )


def require_version(attrs: dict[str, Any]) -> None:
    """For input validated with ``partial=True`` (which skips required fields)."""
    if attrs.get("version") is None:
        raise serializers.ValidationError({"version": [VERSION_REQUIRED]})


def require_version_on_update(serializer: Any, attrs: dict[str, Any]) -> None:
    """For a model serializer whose ``version`` is optional because creating needs none:
    updating does."""
    if serializer.instance is not None:
        require_version(attrs)


class VersionFormField(forms.IntegerField):
    """The hidden, required ``version`` of a form that edits a versioned record."""

    widget = forms.HiddenInput
    default_error_messages = {"required": VERSION_REQUIRED}


def lock_versioned(model: type, obj: Any, expected_version: int | None) -> Any:
    """The row of ``obj`` locked for the change, refused (ConflictError: 409 / a form error)
    unless the caller sends the version it read and it is still current. ``of=("self",)``:
    PostgreSQL refuses FOR UPDATE on the nullable side of an outer join."""
    locked = model.objects.select_for_update(of=("self",)).get(pk=obj.pk)
    if expected_version is None or locked.version != expected_version:
        raise ConflictError(
            gettext(
                "%(name)s was changed by someone else while you were editing. Reload to see "
                "the latest version; nothing was saved."
            )
            % {"name": str(locked)}
        )
    return locked
