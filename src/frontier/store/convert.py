"""Rows <-> values: what the repository writes for a domain value and what it returns for a row.

Everything user- or endpoint-controlled is scrubbed of credentials on the way in, and
values are checked against column lengths (Postgres enforces them, SQLite does not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import String, Table

from frontier.domain.admission import Decision, Reason
from frontier.domain.specs import SpecModel
from frontier.domain.tasks import Lineage, Rollout, Task
from frontier.store.engine import RawJSON, compact_json, stable_json
from frontier.store.errors import StoreError
from frontier.store.records import (
    CandidateRecord,
    ConcurrencyChange,
    FrontierRecord,
    NewCandidate,
    RoundRecord,
    RunRecord,
    ShardRecord,
    TeacherSpend,
    TeacherUsageRecord,
)
from frontier.store.scrub import has_credential_field, redact_text, scrub
from frontier.store.tables import (
    candidates,
    events,
    frontiers,
    rollouts,
    rounds,
    runs,
    shards,
    tasks,
    teacher_usage,
)


def string_columns(table: Table) -> list[tuple[str, int | None]]:
    return [
        (c.name, int(c.type.length) if c.type.length is not None else None)
        for c in table.columns
        if isinstance(c.type, String)
    ]


STRING_COLUMNS = {
    t.name: string_columns(t)
    for t in (frontiers, tasks, runs, rollouts, candidates, rounds, events, shards, teacher_usage)
}


def check_text(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Refuse a value longer than its column, or holding a NUL character, naming the field.

    Postgres enforces VARCHAR lengths and rejects NUL in text; SQLite does neither. Without
    this check a task that loads on a laptop would fail mid-stage in a cluster.
    """
    columns = STRING_COLUMNS[table.name]
    for row in rows:
        for column, limit in columns:
            _check_value(table.name, column, limit, row.get(column))


def _check_value(table: str, column: str, limit: int | None, value: Any) -> None:
    if not isinstance(value, str):
        return
    if limit is not None and len(value) > limit:
        raise StoreError(
            f"{table}.{column} holds at most {limit} characters, got "
            f"{len(value)}: {value[:48]!r}..."
        )
    if "\x00" in value:
        raise StoreError(
            f"{table}.{column} contains a NUL character, which Postgres cannot store: "
            f"{value[:48]!r}"
        )


def clean_text(text: str) -> str:
    """Free text from an endpoint or a model (errors, messages): credentials redacted, NUL escaped."""
    return redact_text(text).replace("\x00", "\\x00")


def concurrency_history(
    stored: Iterable[Mapping[str, Any]],
    changes: Iterable[ConcurrencyChange],
    shard: int | None = None,
) -> list[dict[str, Any]]:
    """A stored concurrency history with `changes` merged in, ordered by when each happened.

    Shards of one run append at their ends, in any order, so the merge sorts by time
    (stably: changes in the same microsecond keep their order).
    """
    merged = [dict(entry) for entry in stored]
    for change in changes:
        if change.at.tzinfo is None:
            raise StoreError("concurrency changes need timezone-aware times")
        entry: dict[str, Any] = {
            "at": change.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "concurrency": change.concurrency,
            "reason": clean_text(change.reason),
        }
        if shard is not None:
            entry["shard"] = shard
        merged.append(entry)
    return sorted(merged, key=lambda e: datetime.fromisoformat(e["at"]))


def wire(value: SpecModel | Mapping[str, Any]) -> dict[str, Any]:
    data = value.to_wire() if isinstance(value, SpecModel) else dict(value)
    return cast(dict[str, Any], scrub(data))


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def reason(decision: Decision) -> str:
    if decision.reason is None:
        raise StoreError("a rejection needs a reason")
    return Reason(decision.reason).value


def frontier_record(row: Any) -> FrontierRecord:
    return FrontierRecord(
        namespace=row.namespace,
        name=row.name,
        spec=dict(row.spec),
        generation=row.generation,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def task_row(fid: int, task: Task, now: datetime) -> dict[str, Any]:
    lineage = task.lineage
    return {
        "frontier_id": fid,
        "id": task.id,
        "benchmark": task.benchmark,
        "family": task.family,
        "query": task.query,
        "payload": task.payload,
        "parent_id": lineage.parent_id,
        "root_id": lineage.root_id,
        "motif": lineage.motif,
        "round": lineage.round,
        "depth": lineage.depth,
        "origin": lineage.origin,
        "created_at": now,
    }


def task_of(row: Any) -> Task:
    return Task(
        id=row.id,
        benchmark=row.benchmark,
        family=row.family,
        query=row.query,
        payload=row.payload,
        lineage=Lineage(
            origin=row.origin,
            parent_id=row.parent_id,
            root_id=row.root_id,
            motif=row.motif,
            round=row.round,
            depth=row.depth,
        ),
    )


def run_record(row: Any) -> RunRecord:
    return RunRecord(
        name=row.name,
        frontier=f"{row.namespace}/{row.frontier_name}",
        kind=row.kind,
        model_name=row.model_name,
        model_spec=dict(row.model_spec),
        task_set=dict(row.task_set),
        k=row.k,
        shards=row.shards,
        seed=row.seed,
        phase=row.phase,
        stats=dict(row.stats),
        concurrency_history=list(row.concurrency_history),
        created_at=row.created_at,
        finished_at=row.finished_at,
        plan=dict(row.plan) if row.plan is not None else None,
        prior=[float(w) for w in row.prior] if row.prior is not None else None,
    )


def candidate_row(round: int, item: Task | NewCandidate, now: datetime) -> dict[str, Any]:
    if isinstance(item, Task):
        item = NewCandidate(
            task_id=item.id,
            parent_id=item.lineage.parent_id,
            motif=item.lineage.motif,
            origin=item.lineage.origin,
        )
    decision = item.decision
    return {
        "round": round,
        "task_id": item.task_id,
        "parent_id": item.parent_id,
        "motif": item.motif,
        "origin": item.origin,
        "decision": "pending"
        if decision is None
        else ("admitted" if decision.admitted else "rejected"),
        "reason": None if decision is None or decision.admitted else reason(decision),
        "detail": clean_text(decision.detail) if decision is not None else "",
        "mean_reward": None,
        "rollouts_spent": 0,
        "created_at": now,
        "decided_at": None if decision is None else now,
    }


ROLLOUT_COLUMNS: tuple[str, ...] = tuple(c.name for c in rollouts.columns)
"""The rollouts table's columns, in the order `rollout_values` gives their values."""


def rollout_values(run_id: int, model: str, r: Rollout, now: datetime) -> tuple[Any, ...]:
    """A rollout's row as values in ROLLOUT_COLUMNS order (what COPY writes), scrubbed.

    The error is redacted like any free text (NULs escaped) and the trace is serialized
    once, with key-shaped tokens redacted (`redacted_trace`). Check the batch's model
    and task ids with `check_rollouts` first: they are the only values that can be too
    long (the status is one of two words, the error is unbounded text).
    """
    return (
        run_id,
        r.task_id,
        r.attempt,
        model,
        r.status,
        r.reward,
        r.success,
        clean_text(r.error) if r.error else r.error,
        r.input_tokens,
        r.output_tokens,
        r.cost_usd,
        r.latency_seconds,
        redacted_trace(r.trace),
        now,
    )


def check_rollouts(model: str, task_ids: Iterable[str]) -> None:
    """`check_text` of what `rollout_values` writes that a column could refuse, once per batch."""
    check_text(rollouts, [{"model": model}, *({"task_id": t} for t in task_ids)])


def rollout_row(run_id: int, model: str, r: Rollout, now: datetime) -> dict[str, Any]:
    """`rollout_values` by column name (check the batch with `check_rollouts` first)."""
    return dict(zip(ROLLOUT_COLUMNS, rollout_values(run_id, model, r, now), strict=True))


def failure_row(run_id: int, r: Rollout, now: datetime) -> dict[str, Any]:
    """The record an errored attempt leaves even after a later wave replays it."""
    retries = r.trace.get("retries", 0)
    identity = stable_json(
        [r.task_id, r.attempt, r.error, r.input_tokens, r.output_tokens, r.latency_seconds]
    )
    return {
        "run_id": run_id,
        "task_id": r.task_id,
        "attempt": r.attempt,
        "fingerprint": hashlib.blake2b(identity.encode(), digest_size=16).hexdigest(),
        "error": clean_text(r.error) if r.error else r.error,
        "retries": retries if isinstance(retries, int) and retries >= 0 else 0,
        "input_tokens": r.input_tokens,
        "output_tokens": r.output_tokens,
        "cost_usd": r.cost_usd,
        "recorded_at": now,
    }


def redacted_trace(trace: dict[str, Any]) -> RawJSON:
    """The trace with key-shaped tokens redacted, serialized once.

    Redacting the JSON text is one regex pass over a string (cheap for 20k traces). A
    trace with a field named like a credential is scrubbed value by value first, and so
    is one whose redacted text would no longer parse.
    """
    text = compact_json(trace)
    if has_credential_field(text):
        trace = scrub(trace)
        text = compact_json(trace)
    redacted = redact_text(text)
    if redacted is text or redacted == text:
        return RawJSON(text)
    try:
        json.loads(redacted)
    except ValueError:
        return RawJSON(compact_json(scrub(trace)))
    return RawJSON(redacted)


def rollout_of(row: Any) -> Rollout:
    return Rollout(
        task_id=row.task_id,
        attempt=row.attempt,
        status=row.status,
        reward=row.reward,
        success=row.success,
        error=row.error,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        latency_seconds=row.latency_seconds,
        trace=row.trace,
    )


def candidate_record(row: Any) -> CandidateRecord:
    return CandidateRecord(
        round=row.round,
        task_id=row.task_id,
        parent_id=row.parent_id,
        motif=row.motif,
        origin=row.origin,
        decision=row.decision,
        reason=Reason(row.reason) if row.reason is not None else None,
        detail=row.detail,
        mean_reward=row.mean_reward,
        rollouts_spent=row.rollouts_spent,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def round_record(row: Any) -> RoundRecord:
    return RoundRecord(
        number=row.number,
        trigger=row.trigger,
        from_slice_version=row.from_slice_version,
        phase=row.phase,
        stats=dict(row.stats),
        started_at=row.started_at,
        finished_at=row.finished_at,
        concurrency_history=list(row.concurrency_history),
        parents=tuple(row.parents) if row.parents is not None else None,
    )


def teacher_usage_record(row: Any) -> TeacherUsageRecord:
    return TeacherUsageRecord(
        round=row.round,
        parent_id=row.parent_id,
        attempt=row.attempt,
        spend=TeacherSpend(
            model=row.model,
            requests=int(row.requests),
            input_tokens=int(row.input_tokens),
            output_tokens=int(row.output_tokens),
            missing_usage=int(row.missing_usage),
            cost_usd=float(row.cost_usd),
        ),
        recorded_at=row.recorded_at,
    )


def shard_record(row: Any) -> ShardRecord:
    return ShardRecord(
        stage=row.stage,
        scope=row.scope,
        shard=row.shard,
        status=row.status,
        attempts=row.attempts,
        detail=dict(row.detail),
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
