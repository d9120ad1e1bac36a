"""Domain errors: what went wrong, in words meant for the user. They carry no HTTP status; ``ui.http`` maps them."""

from __future__ import annotations


class InvalidRequest(ValueError):
    """The request cannot be carried out as sent; the message says what to change."""


class Malformed(InvalidRequest):
    """The request's body cannot be read at all."""


class TooLarge(InvalidRequest):
    """More files, or larger ones, than the limits allow."""


class NotFound(LookupError):
    """No collection, document or model of that name."""


class Conflict(RuntimeError):
    """The request clashes with what exists: a name already taken, a corpus file that ingest would bring back."""


DomainError = (InvalidRequest, NotFound, Conflict)
"""Every domain error, for ``except DomainError``: shown to the user, never a crash."""
