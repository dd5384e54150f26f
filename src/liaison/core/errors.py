"""One domain error type, rendered one way by pages, the API and commands."""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the domain refuses, with a message a user can act on.

    `extra` carries structured detail (for example faults by field) for the API.
    """

    def __init__(self, message: str, *, extra: dict | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        self.status = status


class NotFound(ApplicationError):
    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, status=404)
