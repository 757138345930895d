"""Events are a frontier's append-only history, read by status and the report apart
from the state they describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from frontier.store import convert, queries
from frontier.store.core import StoreCore
from frontier.store.errors import StoreError
from frontier.store.models import utcnow
from frontier.store.records import EventRecord, EventType
from frontier.store.retry import retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import events as _events


class EventStore(StoreCore):
    """A frontier's events (Normal or Warning), oldest first."""

    @retry_transient
    def add_event(
        self,
        frontier: str,
        reason: str,
        message: str,
        *,
        type: EventType = "Normal",
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> EventRecord:
        if type not in ("Normal", "Warning"):
            raise StoreError(f"event type must be Normal or Warning, got {type!r}")
        values = {
            "at": at or utcnow(),
            "type": type,
            "reason": reason,
            "message": convert.clean_text(message),
            "data": scrub(dict(data or {})),
        }
        convert.check_text(_events, [values])
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            conn.execute(_events.insert().values(frontier_id=fid, **values))
        return EventRecord(**values)

    @retry_transient
    def events(
        self,
        frontier: str,
        *,
        reason: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """Events oldest first; with `limit`, the most recent `limit` of them."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return queries.events_of(conn, fid, reason=reason, since=since, limit=limit)
