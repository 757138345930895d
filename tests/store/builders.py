"""Small builders of domain values for the store tests, with distinct ids per call."""

from __future__ import annotations

import itertools
from typing import Any

from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Lineage, Rollout, Task
from frontier.store import RunRecord, Store

FRONTIER = "default/shop"
_counter = itertools.count()


def model(name: str = "solver", **fields: Any) -> ModelRef:
    return ModelRef(name=name, **fields)


def task(
    query: str | None = None,
    *,
    family: str = "product",
    lineage: Lineage | None = None,
    payload: dict[str, Any] | None = None,
) -> Task:
    n = next(_counter)
    query = query if query is not None else f"find product number {n}"
    return Task.create(
        "shoppingbench",
        family,
        query,
        payload if payload is not None else {"query": query, "n": n},
        lineage,
    )


def child(parent: Task, *, round: int = 1, motif: str = "tighten_price") -> Task:
    return task(
        f"{parent.query} under 20 dollars",
        family=parent.family,
        lineage=Lineage(
            origin="procedural",
            parent_id=parent.id,
            root_id=parent.root_id,
            motif=motif,
            round=round,
            depth=parent.lineage.depth + 1,
        ),
    )


def ok(task_id: str, attempt: int, reward: float, **fields: Any) -> Rollout:
    fields.setdefault("success", reward >= 1.0)
    return Rollout(task_id=task_id, attempt=attempt, status="ok", reward=reward, **fields)


def error(
    task_id: str, attempt: int, message: str = "endpoint timed out", **fields: Any
) -> Rollout:
    return Rollout(task_id=task_id, attempt=attempt, status="error", error=message, **fields)


def seeded(store: Store, frontier: str = FRONTIER, spec: dict[str, Any] | None = None) -> str:
    """Create the frontier (if needed) and return its key."""
    return store.upsert_frontier(frontier, spec or {"benchmark": {"name": "shoppingbench"}}).key


def profile_run(
    store: Store,
    name: str = "shop-profile-1",
    *,
    frontier: str = FRONTIER,
    k: int = 4,
    model_ref: ModelRef | None = None,
) -> RunRecord:
    if store.get_frontier(frontier) is None:
        seeded(store, frontier)
    return store.create_run(
        name,
        frontier=frontier,
        kind="profile",
        model=model_ref or model(),
        task_set=TaskSetRef(kind="base"),
        k=k,
    )
