"""Domain errors raised by services and turned into messages by views.

Any of them that a view does not catch becomes an error page (or a JSON problem) with its
status: NotFound 404, Forbidden 403, Conflict 409 (tracker/errors_web.py).
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation. `field` names the form field at fault."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadQuery(DomainError):
    """A query parameter out of its bounds or choices (a hand-made or stale link): 400."""

    status = 400


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    """The actor's role does not allow this (the permission engine said no)."""

    status = 403


class Conflict(DomainError):
    """The object changed since the person loaded it (optimistic locking)."""

    status = 409


class Throttled(DomainError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthenticated(DomainError):
    """No credential, or one that is unknown, revoked or expired (the API's bearer tokens): 401."""

    status = 401
