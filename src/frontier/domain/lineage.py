"""Lineage of mutated tasks: who descends from whom, by which motif, in which round."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontier.domain.tasks import Lineage, Origin, Task

LINEAGE_KEY = "_frontier"
"""The key `frontier export` writes a task's lineage under. Only the pipeline fills it: a
teacher's record loses whatever it sent there, and an export replaces it."""


def without_lineage_block(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the project's reserved lineage key (a copy, when it had one)."""
    if LINEAGE_KEY not in record:
        return record
    return {k: v for k, v in record.items() if k != LINEAGE_KEY}


def child_lineage(parent: Task, *, motif: str, round: int, origin: Origin) -> Lineage:
    if round < 1:
        raise ValueError("mutation rounds are numbered from 1")
    return Lineage(
        origin=origin,
        parent_id=parent.id,
        root_id=parent.root_id,
        motif=motif,
        round=round,
        depth=parent.lineage.depth + 1,
    )


def ancestry(task_id: str, tasks: Mapping[str, Task]) -> list[str]:
    """The chain from a task back to its root, the task first. Stops at unknown ids and cycles."""
    chain: list[str] = []
    seen: set[str] = set()
    current: str | None = task_id
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        task = tasks.get(current)
        current = task.lineage.parent_id if task else None
    return chain


def depth_histogram(tasks: Mapping[str, Task]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for task in tasks.values():
        counts[task.lineage.depth] = counts.get(task.lineage.depth, 0) + 1
    return dict(sorted(counts.items()))
