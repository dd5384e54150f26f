"""One way to render errors in the API: {"detail": "...", "faults": {...}}."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from liaison.core.errors import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        body.update(exc.extra)
        return Response(body, status=exc.status)
    return drf_exception_handler(exc, context)
