import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kobling.core.access import NotManager
from kobling.lib.errors import ConflictError


def throttled_detail(wait: int | None) -> str:
    """What a throttled client reads, in the active language, with how long to wait. DRF's own
    text formats the number into the message before translating it, so it never finds a
    translation; this one is looked up first and formatted after."""
    if wait is None:
        return str(_("Too many requests. Try again later."))
    return ngettext(
        "Too many requests. Try again in %(wait)d second.",
        "Too many requests. Try again in %(wait)d seconds.",
        wait,
    ) % {"wait": wait}


def exception_handler(exc, context):  # noqa: ANN001, ANN201
    """Django ValidationErrors raised by services become 400s with field errors; version conflicts
    become 409s; the manager gate's refusal is a 403 that says why; a throttled request says how
    many seconds to wait (in the body as ``wait`` and in ``Retry-After``). Everything else is
    DRF's usual handling."""
    if isinstance(exc, exceptions.Throttled):
        wait = None if exc.wait is None else max(1, math.ceil(exc.wait))
        headers = {} if wait is None else {"Retry-After": str(wait)}
        return Response(
            {"detail": throttled_detail(wait), "code": "throttled", "wait": wait},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers=headers,
        )
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
