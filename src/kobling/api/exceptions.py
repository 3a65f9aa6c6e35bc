from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kobling.core.access import NotManager
from kobling.lib.errors import ConflictError


def exception_handler(exc, context):  # noqa: ANN001, ANN201
    """Django ValidationErrors raised by services become 400s with field errors; version conflicts
        become 409s; the manager gate's refusal is a 403 that says why. Everything else is DRF's usual
    handling."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, NotManager):
        exc = exceptions.PermissionDenied(detail=str(exc))
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
