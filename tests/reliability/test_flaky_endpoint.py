"""A model endpoint with 5% errors, timeouts and a 429 storm changes no score.

The same profile run is played twice against the scripted OpenAI server with
a deterministic ShoppingBench policy: once fault-free, once behind
`FlakyEndpoint` (HTTP 500 on one request in 20, one request in 60 left
unanswered past the client's timeout, and 50 requests in a row answered 429).
Every fault must be accounted for (a retry in a rollout's trace, or an error
rollout that a later wave replaced), and the stored rollouts must give every
task the same rewards and band as the fault-free run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from frontier.agents import EndpointPool, RetryPolicy
from frontier.domain.specs import FrontierSpec, TaskSetRef
from frontier.domain.tasks import Rollout
from frontier.pipeline.context import open_context
from frontier.pipeline.profile import ShardResult, run_shard
from frontier.store import Store
from tests.support.faults import FaultPlan, FlakyEndpoint, ShoppingSolver
from tests.support.frontiers import scripted_model, small_document
from tests.support.openai_server import ScriptedOpenAIServer

K = 4
MAX_RETRIES = 3
TIMEOUT = 3.0
"""Far above a real reply's time even on a busy machine: a reply that timed out after the
server sent it would shift the scripted rewards, so only the planned hangs may time out."""
CAUSES = {"HTTP 429": "rate_limited", "HTTP 500": "server_error", "timeout": "timeout"}
FAST = RetryPolicy(base_delay=0.02, max_delay=0.2, max_retry_after=1.0)


def spec_for(url: str) -> FrontierSpec:
    doc = small_document(per_family=5)
    doc["spec"]["solver"] = scripted_model(
        url, timeoutSeconds=TIMEOUT, maxRetries=MAX_RETRIES, concurrency=8
    )
    doc["spec"]["profile"]["k"] = K
    return FrontierSpec.model_validate(doc["spec"])


async def profile(
    tmp_path: Path, name: str, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Store, ShardResult, list[Rollout]]:
    """One profile shard against a server playing `handler`; also every rollout ever written."""
    store = Store.connect(f"sqlite:///{tmp_path / name}", auto_upgrade=True)
    written: list[Rollout] = []
    ingest = store.ingest_rollouts

    def spy(run: str, batch: Any) -> int:
        batch = list(batch)
        written.extend(batch)
        return ingest(run, batch)

    monkeypatch.setattr(store, "ingest_rollouts", spy)
    with ScriptedOpenAIServer(handler=handler) as server:
        ctx = open_context(store, "shop", spec_for(server.url))
        store.create_run(
            ctx.run_key("profile"),
            frontier=ctx.frontier,
            kind="profile",
            model=ctx.spec.solver,
            task_set=TaskSetRef(kind="base"),
            k=K,
        )
        async with EndpointPool(FAST, grow_after=5) as pool:
            result = await run_shard(ctx, "profile", pool=pool)
    return store, result, written


def rewards_by_task(rollouts: list[Rollout]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for r in rollouts:
        assert r.ok and r.reward is not None, f"{r.task_id}#{r.attempt} is {r.status}: {r.error}"
        found.setdefault(r.task_id, []).append(r.reward)
    return {task: sorted(rewards) for task, rewards in found.items()}


def retry_kinds(rollouts: list[Rollout]) -> Counter[str]:
    return Counter(e["kind"] for r in rollouts for e in r.trace.get("retry_events", []))


async def test_a_flaky_endpoint_changes_no_reward_and_no_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_store, clean, _ = await profile(tmp_path, "clean.db", ShoppingSolver(), monkeypatch)
    expected = clean_store.rollouts_for("default/profile")
    assert clean.report.errors == 0 and not retry_kinds(expected)

    flaky = FlakyEndpoint(ShoppingSolver(), FaultPlan(hang_every=80, hang_seconds=3 * TIMEOUT))
    store, result, written = await profile(tmp_path, "flaky.db", flaky, monkeypatch)
    stored = store.rollouts_for("default/profile")

    # rollouts expected vs stored, and no duplicates
    assert len(stored) == len(expected) == result.tasks * K
    assert len({(r.task_id, r.attempt) for r in stored}) == len(stored)
    assert store.count_rollouts("default/profile", status="error") == 0

    # the faults happened, and each one is on record: a retry inside a rollout, or the
    # last failure of an error rollout (stored, then replaced when a later wave retried it)
    assert flaky.served["rate_limited"] == 50
    assert flaky.served["server_error"] > 0 and flaky.served["timeout"] > 0
    errored = [r for r in written if not r.ok]
    assert result.report.errors == len(errored) > 0
    assert all(any(c in (r.error or "") for c in CAUSES) for r in errored), errored
    last_failures = Counter(
        next(kind for cause, kind in CAUSES.items() if cause in (r.error or "")) for r in errored
    )
    recorded = retry_kinds(written) + last_failures
    assert recorded == flaky.faults_by_kind()
    # every errored attempt stays on record with its tokens, though a later wave replaced it
    totals = store.run_totals("default/profile")
    assert (totals.errors, totals.errored_attempts, totals.replayed) == (
        0,
        len(errored),
        len(errored),
    )
    assert totals.attempted == len(written)
    assert totals.input_tokens == sum(r.input_tokens for r in written)
    # and equal to what the server billed: every answered request carries 10 prompt tokens
    assert totals.input_tokens == 10 * flaky.served["ok"]
    done = store.shards("default/shop", "rollouts", "default/profile")
    assert [s.detail for s in done] == [
        {"tasks": result.tasks, "rollouts": len(written), "errors": len(errored)}
    ]

    # the scores: the same rewards per task, the same band per task
    assert rewards_by_task(stored) == rewards_by_task(expected)
    spec = spec_for("http://unused/v1")
    bands = store.task_bands("default/profile", spec.bands)
    assert bands == clean_store.task_bands("default/profile", spec.bands)
    assert len(set(bands.values())) >= 2, "a policy with one band cannot show a band moving"
