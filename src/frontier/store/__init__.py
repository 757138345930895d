"""Where every stage's results live: Postgres in a cluster, SQLite on a laptop.

Callers use `Store` and the plain records it returns; they never hold ORM objects.
"""

from frontier.domain.runs import RunTotals
from frontier.store.engine import default_dsn, safe_dsn
from frontier.store.errors import (
    ConflictError,
    NotFoundError,
    SchemaError,
    SliceImmutableError,
    StoreError,
    StoreUnavailableError,
)
from frontier.store.records import (
    CalibrationRecord,
    CandidateCounts,
    CandidateOutcome,
    CandidateRecord,
    ConcurrencyChange,
    EventRecord,
    FrontierRecord,
    FrontierSummary,
    NewCandidate,
    ResponseCell,
    RoundRecord,
    RunKind,
    RunRecord,
    RunSummary,
    ShardRecord,
    SliceRecord,
    TaskMean,
    TeacherSpend,
    TeacherUsageRecord,
)
from frontier.store.repository import Store, parse_frontier_key

__all__ = [
    "CalibrationRecord",
    "CandidateCounts",
    "CandidateOutcome",
    "CandidateRecord",
    "ConcurrencyChange",
    "ConflictError",
    "EventRecord",
    "FrontierRecord",
    "FrontierSummary",
    "NewCandidate",
    "NotFoundError",
    "ResponseCell",
    "RoundRecord",
    "RunKind",
    "RunRecord",
    "RunSummary",
    "RunTotals",
    "SchemaError",
    "ShardRecord",
    "SliceImmutableError",
    "SliceRecord",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "TaskMean",
    "TeacherSpend",
    "TeacherUsageRecord",
    "default_dsn",
    "parse_frontier_key",
    "safe_dsn",
]
