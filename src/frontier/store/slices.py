"""A published slice version never changes; publishing, the check that refuses a
rewrite and reading members back in order live together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.exc import IntegrityError

from frontier.store.core import StoreCore, stored_task_ids
from frontier.store.errors import NotFoundError, SliceImmutableError, StoreError
from frontier.store.models import utcnow
from frontier.store.records import SliceRecord
from frontier.store.retry import retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import members as _members
from frontier.store.tables import slices as _slices
from frontier.store.tables import tasks as _tasks


class SliceStore(StoreCore):
    """Published slice versions and their ordered members."""

    def publish_slice(
        self,
        frontier: str,
        version: int,
        task_ids: Sequence[str],
        *,
        stats: Mapping[str, Any] | None = None,
        parent_version: int | None = None,
    ) -> SliceRecord:
        """Publish slice `version` with these members in this order; a published version never changes.

        Publishing the same version again with the same members and parent is a no-op
        that returns the stored slice (a resumed stage); anything else is SliceImmutableError.
        """
        members = list(task_ids)
        if version < 1:
            raise StoreError(f"slice versions are numbered from 1, got {version}")
        dupes = sorted(t for t, n in Counter(members).items() if n > 1)
        if dupes:
            raise StoreError(f"slice {version} lists task(s) twice: {', '.join(dupes[:5])}")
        stats_json = cast(dict[str, Any], scrub(dict(stats or {})))
        try:
            return self._publish_slice(frontier, version, members, stats_json, parent_version)
        except IntegrityError:
            # Another writer published this version between our read and our insert; the
            # second attempt finds it and returns it, or says it differs.
            return self._publish_slice(frontier, version, members, stats_json, parent_version)

    @retry_transient
    def _publish_slice(
        self,
        frontier: str,
        version: int,
        members: list[str],
        stats_json: dict[str, Any],
        parent_version: int | None,
    ) -> SliceRecord:
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stored = self._slice(conn, fid, version)
            if stored is not None:
                if list(stored.task_ids) != members or stored.parent_version != parent_version:
                    raise SliceImmutableError(
                        f"slice version {version} of {frontier} is published and immutable; "
                        f"publish a new version (next is {self._next_version(conn, fid)})"
                    )
                return stored
            if parent_version is not None and self._slice(conn, fid, parent_version) is None:
                raise NotFoundError(
                    f"parent slice version {parent_version} of {frontier} does not exist"
                )
            known = stored_task_ids(conn, fid, members)
            unknown = [t for t in members if t not in known]
            if unknown:
                raise NotFoundError(
                    f"slice {version} of {frontier} names task(s) not in the store: "
                    f"{', '.join(unknown[:5])}" + (" ..." if len(unknown) > 5 else "")
                )
            slice_id = conn.execute(
                self._insert(_slices)
                .values(
                    frontier_id=fid,
                    version=version,
                    parent_version=parent_version,
                    size=len(members),
                    stats=stats_json,
                    created_at=utcnow(),
                )
                .returning(_slices.c.id)
            ).scalar_one()
            if members:
                conn.execute(
                    _members.insert(),
                    [
                        {"slice_id": slice_id, "position": i, "task_id": t}
                        for i, t in enumerate(members)
                    ],
                )
            published = self._slice(conn, fid, version)
        assert published is not None
        return published

    @retry_transient
    def get_slice(self, frontier: str, version: int | None = None) -> SliceRecord | None:
        """Slice `version`, or the latest when version is None; None if there is none."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            if version is None:
                version = conn.execute(
                    select(func.max(_slices.c.version)).where(_slices.c.frontier_id == fid)
                ).scalar_one_or_none()
                if version is None:
                    return None
            return self._slice(conn, fid, version)

    def latest_slice(self, frontier: str) -> SliceRecord | None:
        """The newest published slice version, or None before the first."""
        return self.get_slice(frontier)

    @retry_transient
    def slices(self, frontier: str) -> list[SliceRecord]:
        """Every published slice version with its members, oldest first."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            versions = conn.execute(
                select(_slices.c.version)
                .where(_slices.c.frontier_id == fid)
                .order_by(_slices.c.version)
            ).scalars()
            found = [self._slice(conn, fid, int(v)) for v in list(versions)]
        return [s for s in found if s is not None]

    @retry_transient
    def slice_families(self, frontier: str) -> dict[int, dict[str, int]]:
        """Per slice version (oldest first), how many of its tasks are of each family.

        Counted from the members and their tasks, in SQL, so every slice version has
        its spread even where the publisher recorded none; status and the report share it.
        """
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_slices.c.version, _tasks.c.family, func.count().label("n"))
                .select_from(_members)
                .join(_slices, _slices.c.id == _members.c.slice_id)
                .join(
                    _tasks,
                    and_(
                        _tasks.c.frontier_id == _slices.c.frontier_id,
                        _tasks.c.id == _members.c.task_id,
                    ),
                )
                .where(_slices.c.frontier_id == fid)
                .group_by(_slices.c.version, _tasks.c.family)
                .order_by(_slices.c.version, _tasks.c.family)
            )
            versions = conn.execute(
                select(_slices.c.version).where(_slices.c.frontier_id == fid)
            ).scalars()
            found: dict[int, dict[str, int]] = {int(v): {} for v in sorted(versions)}
            for row in rows:
                found[int(row.version)][str(row.family)] = int(row.n)
        return found

    @retry_transient
    def slice_versions(self, frontier: str) -> list[int]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return [
                int(v)
                for v in conn.execute(
                    select(_slices.c.version)
                    .where(_slices.c.frontier_id == fid)
                    .order_by(_slices.c.version)
                ).scalars()
            ]

    @retry_transient
    def next_slice_version(self, frontier: str) -> int:
        with self._read() as conn:
            return self._next_version(conn, self._frontier_id(conn, frontier))

    def _next_version(self, conn: Connection, fid: int) -> int:
        latest = conn.execute(
            select(func.max(_slices.c.version)).where(_slices.c.frontier_id == fid)
        ).scalar_one_or_none()
        return int(latest or 0) + 1

    def _slice(self, conn: Connection, fid: int, version: int) -> SliceRecord | None:
        row = conn.execute(
            select(_slices).where(_slices.c.frontier_id == fid, _slices.c.version == version)
        ).one_or_none()
        if row is None:
            return None
        members = conn.execute(
            select(_members.c.task_id)
            .where(_members.c.slice_id == row.id)
            .order_by(_members.c.position)
        ).scalars()
        return SliceRecord(
            version=row.version,
            parent_version=row.parent_version,
            task_ids=tuple(members),
            stats=dict(row.stats),
            created_at=row.created_at,
        )
