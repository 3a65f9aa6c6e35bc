"""The published API document describes endpoints, not Kobling's base classes: a viewset without
a docstring of its own used to inherit ``ScopedViewSetMixin``'s note to developers ("Mix into
any GenericViewSet…") as the description of 97 operations. ``make lint`` keeps
docs/openapi.yaml equal to the code's schema; this reads that document."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml

from kobling.core import viewsets

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
BASES = [
    viewsets.ScopedViewSetMixin,
    viewsets.ScopedReadOnlyViewSet,
    viewsets.ScopedCreateViewSet,
    viewsets.ScopedWritableViewSet,
]


def test_no_operation_is_described_by_a_base_viewsets_docstring():
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    descriptions = [
        operation.get("description", "")
        for operations in document["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
    ]
    assert len(descriptions) > 300
    notes = [inspect.cleandoc(base.__doc__ or "") for base in BASES]
    assert all(notes)
    leaked = [text for text in descriptions for note in notes if text and note[:40] in text]
    assert leaked == []
