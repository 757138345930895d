"""Lineage of mutated tasks: who descends from whom, by which motif, in which round."""

from __future__ import annotations

from collections.abc import Mapping

from frontier.domain.tasks import Lineage, Origin, Task


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
