"""What ``OPTIONS`` answers: DRF's description of the view, and of the body a PUT or POST takes
where the view has one plain serializer for it.

DRF's ``SimpleMetadata`` assumes every view is a model viewset: it fetches an object for PUT
(``MatchingWeightsView`` has no queryset and no id in its URL), and describes the fields of
whatever ``get_serializer()`` returns (an action's read-shape picker, or none at all). Each of
those was a 500. Here a view whose body cannot be described is described without it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request, clone_request


def _has_own_object(view: Any) -> bool:
    """True when the view is about one object it can fetch (a detail route of a queryset)."""
    # Imported here: rest_framework.views imports this module (DEFAULT_METADATA_CLASS) at load.
    from rest_framework.generics import GenericAPIView

    if not hasattr(view, "get_object"):
        return False
    has_queryset = getattr(view, "queryset", None) is not None or (
        type(view).get_queryset is not GenericAPIView.get_queryset
    )
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
    return has_queryset and lookup in (getattr(view, "kwargs", None) or {})


def _request_serializer(view: Any) -> serializers.Serializer | None:
    try:
        view.get_serializer_class()
    except (AssertionError, ImproperlyConfigured):
        return None  # a view that builds its serializers itself
    serializer = view.get_serializer()
    return serializer if isinstance(serializer, serializers.Serializer) else None


class Metadata(SimpleMetadata):
    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                if hasattr(view, "check_permissions"):
                    view.check_permissions(view.request)
                if method == "PUT" and _has_own_object(view):
                    view.get_object()
                serializer = _request_serializer(view) if hasattr(view, "get_serializer") else None
            except (exceptions.APIException, PermissionDenied, Http404):
                continue
            finally:
                view.request = request
            if serializer is not None:
                actions[method] = self.get_serializer_info(serializer)
        return actions
