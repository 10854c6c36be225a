"""The exception ladder: every engine error is a MechanicError carrying the HTTP status it maps to."""

from __future__ import annotations


class MechanicError(Exception):
    """Root of every error the engine raises on purpose.

    Attributes:
        http_status: the HTTP status a handler answers with when this error escapes a request.
    """

    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(MechanicError):
    """A value given by a user or a client breaks a rule; the message says which and how to fix it."""

    http_status = 422


class BadRequest(MechanicError):
    """An HTTP request that cannot be interpreted (malformed multipart, undecodable charset)."""

    http_status = 400


class PayloadTooLarge(MechanicError):
    """A request body over the configured limit."""

    http_status = 413


class Forbidden(MechanicError):
    """A request the settings do not allow, such as a browser request from an origin not on the CORS list."""

    http_status = 403


class NotFound(MechanicError):
    """A webhook, event, task or run that does not exist."""

    http_status = 404


class Conflict(MechanicError):
    """An operation that the current state does not allow (retrying a succeeded run, cancelling a started one)."""

    http_status = 409


class StoreError(MechanicError):
    """The store could not be opened, migrated or written."""


class StoreUnavailable(StoreError):
    """The store's database cannot be reached right now (a server down or restarting); try again shortly."""

    http_status = 503
