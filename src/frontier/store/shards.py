"""Shard progress lets a restarted stage skip the shards already done; it belongs to no
other aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Connection, select

from frontier.store import convert
from frontier.store.core import StoreCore
from frontier.store.models import utcnow
from frontier.store.records import ShardRecord
from frontier.store.retry import retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import shards as _shards


class ShardStore(StoreCore):
    """Per-shard progress of a stage: running, done or failed, and how often started."""

    @retry_transient
    def shard_started(self, frontier: str, stage: str, scope: str, shard: int) -> ShardRecord:
        """Mark a shard of a stage running (again); its attempt count goes up by one."""
        convert.check_text(_shards, [{"stage": stage, "scope": scope}])
        now = utcnow()
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stmt = self._insert(_shards).values(
                frontier_id=fid,
                stage=stage,
                scope=scope,
                shard=shard,
                status="running",
                attempts=1,
                detail={},
                started_at=now,
                finished_at=None,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["frontier_id", "stage", "scope", "shard"],
                    set_={
                        "status": "running",
                        "attempts": _shards.c.attempts + 1,
                        "started_at": now,
                        "finished_at": None,
                    },
                )
            )
            return self._shard(conn, fid, stage, scope, shard)

    def shard_done(
        self,
        frontier: str,
        stage: str,
        scope: str,
        shard: int,
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> ShardRecord:
        return self._finish_shard(frontier, stage, scope, shard, "done", dict(detail or {}))

    def shard_failed(
        self, frontier: str, stage: str, scope: str, shard: int, *, error: str
    ) -> ShardRecord:
        return self._finish_shard(frontier, stage, scope, shard, "failed", {"error": error})

    @retry_transient
    def _finish_shard(
        self,
        frontier: str,
        stage: str,
        scope: str,
        shard: int,
        status: str,
        detail: dict[str, Any],
    ) -> ShardRecord:
        now = utcnow()
        convert.check_text(_shards, [{"stage": stage, "scope": scope}])
        detail = cast(dict[str, Any], scrub(detail))
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stmt = self._insert(_shards).values(
                frontier_id=fid,
                stage=stage,
                scope=scope,
                shard=shard,
                status=status,
                attempts=1,
                detail=detail,
                started_at=now,
                finished_at=now,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["frontier_id", "stage", "scope", "shard"],
                    set_={"status": status, "detail": detail, "finished_at": now},
                )
            )
            return self._shard(conn, fid, stage, scope, shard)

    @retry_transient
    def done_shards(self, frontier: str, stage: str, scope: str) -> set[int]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return {
                int(s)
                for s in conn.execute(
                    select(_shards.c.shard).where(
                        _shards.c.frontier_id == fid,
                        _shards.c.stage == stage,
                        _shards.c.scope == scope,
                        _shards.c.status == "done",
                    )
                ).scalars()
            }

    @retry_transient
    def shards(self, frontier: str, stage: str, scope: str) -> list[ShardRecord]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_shards)
                .where(
                    _shards.c.frontier_id == fid,
                    _shards.c.stage == stage,
                    _shards.c.scope == scope,
                )
                .order_by(_shards.c.shard)
            ).all()
        return [convert.shard_record(r) for r in rows]

    def _shard(self, conn: Connection, fid: int, stage: str, scope: str, shard: int) -> ShardRecord:
        row = conn.execute(
            select(_shards).where(
                _shards.c.frontier_id == fid,
                _shards.c.stage == stage,
                _shards.c.scope == scope,
                _shards.c.shard == shard,
            )
        ).one()
        return convert.shard_record(row)
