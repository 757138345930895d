"""The repository: every read and write the pipeline, operator and CLI make, over Postgres or SQLite.

Callers pass and receive domain values (Task, Rollout, BandSpec, Decision,
BandSummary, TaskMetrics) and the plain records of `frontier.store.records`;
no ORM object or session leaves the store. The hot paths use SQLAlchemy
Core: rollouts go in as one upsert keyed (run, task, attempt) (on PostgreSQL a
large batch by COPY), so a retried shard overwrites its rows instead of adding
new ones; the same transaction keeps each touched task's sums (`rollout_sums`),
which band counts read, one row per task; task means are computed by the database.

`Store` is composed here of one mixin per aggregate (`frontier.store.frontiers`,
`tasks`, `runs`, `rollouts`, `candidates`, `rounds`, `slices`, `events`, `shards`,
`summary`, `calibrations`), each over the unit of work of `frontier.store.core`.

A frontier is named by a string: `name` (namespace "default") or
`namespace/name`. Runs are named globally (the operator's Job names are).
"""

from __future__ import annotations

from frontier.store.calibrations import CalibrationStore
from frontier.store.candidates import CandidateStore
from frontier.store.core import (
    DEFAULT_NAMESPACE,
    TERMINAL_PHASES,
    parse_frontier_key,
)
from frontier.store.events import EventStore
from frontier.store.frontiers import FrontierStore
from frontier.store.rollouts import RolloutStore
from frontier.store.rounds import RoundStore
from frontier.store.runs import RunStore
from frontier.store.shards import ShardStore
from frontier.store.slices import SliceStore
from frontier.store.summary import SummaryStore
from frontier.store.tasks import TaskStore

__all__ = [
    "DEFAULT_NAMESPACE",
    "TERMINAL_PHASES",
    "Store",
    "parse_frontier_key",
]


class Store(
    FrontierStore,
    TaskStore,
    RunStore,
    RolloutStore,
    CandidateStore,
    RoundStore,
    SliceStore,
    EventStore,
    ShardStore,
    SummaryStore,
    CalibrationStore,
):
    """The repository. Thread-safe: it holds an engine (a connection pool) and, per thread,
    the connection of an open unit of work (`atomically`)."""
