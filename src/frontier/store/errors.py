"""The store's exceptions: each says what is wrong and what to do, and never carries a password."""

from __future__ import annotations


class StoreError(Exception):
    """Any failure of the store that a caller can report to a user."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached."""


class SchemaError(StoreError):
    """The database schema is missing or at another revision than this version of frontier needs."""


class NotFoundError(StoreError, LookupError):
    """A frontier, run, round or slice that was asked for does not exist."""


class ConflictError(StoreError):
    """A write contradicts what is already stored (e.g. a run of the same name with other settings)."""


class SliceImmutableError(ConflictError):
    """A published slice version cannot be changed."""
