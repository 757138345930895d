from __future__ import annotations

from typing import Any

import pytest

from frontier.agents import HarnessError
from frontier.domain.admission import NOT_ROLLED_OUT
from frontier.domain.bands import Band, band_of
from frontier.pipeline.admit import decide_round, register_candidates_run, retain
from frontier.pipeline.context import Context, open_context
from frontier.pipeline.cycle import plan_round, start_round
from frontier.pipeline.mutate import mutate_shard, round_scope
from frontier.pipeline.profile import finish_run, run_shard
from frontier.pipeline.rounds import run_round
from frontier.pipeline.view import solver_view
from frontier.store import Store
from tests.pipeline.test_profile import register_base
from tests.pipeline.test_view import rolled_out, stored
from tests.store.builders import task
from tests.support.frontiers import small_spec


async def profiled(ctx: Context) -> None:
    name = register_base(ctx)
    await run_shard(ctx, name)
    finish_run(ctx, name)


def outcomes(store: Store, frontier: str) -> list[tuple[Any, ...]]:
    return sorted(
        (c.round, c.task_id, c.parent_id, c.motif, c.decision, c.reason)
        for c in store.candidates(frontier)
    )


async def test_the_first_round_builds_the_initial_slice_when_nothing_is_saturated(
    store: Store,
) -> None:
    ctx = open_context(store, "shop", small_spec(saturation={"solverSaturatedFraction": 0.99}))
    await profiled(ctx)
    plan = plan_round(ctx)
    assert (plan.start, plan.number, plan.trigger) == (True, 1, "InitialSlice")


async def test_a_saturated_base_starts_the_first_round_as_saturation(ctx: Context) -> None:
    await profiled(ctx)
    plan = plan_round(ctx)
    assert (plan.start, plan.number, plan.trigger) == (True, 1, "SaturationDetected")
    assert plan.saturation is not None and plan.saturation.detected


async def test_every_screened_out_candidate_has_a_reason_and_never_reaches_the_solver(
    ctx: Context,
) -> None:
    await profiled(ctx)
    start_round(ctx, plan_round(ctx))
    report = await mutate_shard(ctx, 1)
    candidates = ctx.store.candidates(ctx.frontier, round=1)
    assert len(candidates) == report.proposed > 0
    rejected = [c for c in candidates if c.decision == "rejected"]
    assert all(c.reason in NOT_ROLLED_OUT for c in rejected)
    assert sum(report.rejected.values()) == len(rejected)
    run = register_candidates_run(ctx, 1)
    await run_shard(ctx, run.name)
    played = {r.task_id for r in ctx.store.rollouts_for(run.name)}
    assert played == {c.task_id for c in candidates if c.decision == "pending"}


async def test_only_hillclimbable_candidates_are_admitted_and_retained(ctx: Context) -> None:
    await profiled(ctx)
    start_round(ctx, plan_round(ctx))
    await mutate_shard(ctx, 1)
    run = register_candidates_run(ctx, 1)
    await run_shard(ctx, run.name)
    counts = decide_round(ctx, 1)
    assert counts.pending == 0
    admitted = ctx.store.candidates(ctx.frontier, round=1, decision="admitted")
    assert counts.admitted == len(admitted)
    for c in admitted:
        assert c.mean_reward is not None
        assert band_of(c.mean_reward, ctx.spec.bands) is Band.HILLCLIMBABLE
    result = retain(ctx, 1)
    assert result.slice.version == 1
    assert set(result.slice.task_ids) == {c.task_id for c in admitted}
    again = retain(ctx, 1)
    assert again.slice == result.slice  # nothing changed: no new version
    assert ctx.store.slice_versions(ctx.frontier) == [1]


class CrashingStore:
    """A store that fails the n-th record_candidates call, like a worker killed mid-parent
    (after the parent's new tasks are stored, before its candidates are)."""

    def __init__(self, store: Store, fail_at: int) -> None:
        self._store = store
        self._calls = 0
        self._fail_at = fail_at

    def record_candidates(self, *args: Any, **kwargs: Any) -> int:
        self._calls += 1
        if self._calls == self._fail_at:
            raise RuntimeError("killed")
        return self._store.record_candidates(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_a_mutate_shard_killed_mid_parent_resumes_to_the_same_candidates(
    tmp_path: Any,
) -> None:
    spec = small_spec()
    clean = Store.connect(f"sqlite:///{tmp_path / 'clean.db'}", auto_upgrade=True)
    crashed = Store.connect(f"sqlite:///{tmp_path / 'crashed.db'}", auto_upgrade=True)
    for store in (clean, crashed):
        c = open_context(store, "shop", spec)
        await profiled(c)
        start_round(c, plan_round(c))
    await mutate_shard(open_context(clean, "shop", spec), 1)
    flaky = open_context(crashed, "shop", spec)
    flaky.store = CrashingStore(crashed, fail_at=3)  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="killed"):
        await mutate_shard(flaky, 1)
    await mutate_shard(open_context(crashed, "shop", spec), 1)
    assert outcomes(crashed, "default/shop") == outcomes(clean, "default/shop")
    assert not [
        c for c in crashed.candidates("default/shop") if c.decision == "pending" and c.reason
    ]


async def test_a_whole_round_publishes_a_verified_slice_and_records_its_events(
    ctx: Context,
) -> None:
    await profiled(ctx)
    plan = plan_round(ctx)
    start_round(ctx, plan)
    result = await run_round(ctx, 1)
    assert result.verification is not None
    assert [m.model for m in result.verification.models] == [v.name for v in ctx.spec.verifiers]
    round_record = ctx.store.get_round(ctx.frontier, 1)
    assert round_record is not None and round_record.phase == "Succeeded"
    assert round_record.stats["admitted"] == result.counts.admitted
    reasons = [e.reason for e in ctx.store.events(ctx.frontier)]
    assert reasons[:1] == ["RoundStarted"]
    assert "SliceVerified" in reasons and reasons[-1] == "RoundFinished"
    means = solver_view(ctx).means
    assert all(
        band_of(means[t], ctx.spec.bands) is Band.HILLCLIMBABLE
        for t in result.retained.slice.task_ids
    )


async def test_a_teacher_endpoint_that_is_down_fails_the_stage_and_leaves_parents_for_a_retry(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEACHER_KEY", "sk-test-not-a-real-key")
    teacher = {
        "kind": "llm",
        "model": {
            "name": "teacher",
            "provider": "openai",
            "baseUrl": "http://127.0.0.1:9/v1",
            "model": "t",
            "apiKeyEnv": "TEACHER_KEY",
            "maxRetries": 0,
            "timeoutSeconds": 2,
        },
    }
    ctx = open_context(store, "shop", small_spec(teacher=teacher))
    await profiled(ctx)
    start_round(ctx, plan_round(ctx))
    with pytest.raises(HarnessError, match="the teacher failed for 6 of 6 parents"):
        await mutate_shard(ctx, 1)
    assert ctx.store.candidates(ctx.frontier, round=1) == []
    assert ctx.store.done_shards(ctx.frontier, "mutate", round_scope(ctx, 1)) == set()


async def test_a_round_reports_its_teacher_stage_parent_by_parent_before_its_rollouts(
    ctx: Context,
) -> None:
    await profiled(ctx)
    start_round(ctx, plan_round(ctx))
    heard: list[tuple[str, int, int]] = []

    def factory(label: str) -> Any:
        return lambda done, total: heard.append((label, done, total))

    await run_round(ctx, 1, progress=factory)
    teacher = [(done, total) for label, done, total in heard if label == "round 1: teacher"]
    parents = len(set(c.parent_id for c in ctx.store.candidates(ctx.frontier, round=1)))
    assert teacher == [(n, teacher[0][1]) for n in range(teacher[0][1] + 1)]
    assert teacher[-1][0] >= parents > 0
    assert heard.index(("round 1: teacher", *teacher[-1])) < next(
        i for i, (label, *_) in enumerate(heard) if label == "round 1: candidates"
    )


def test_the_next_slice_keeps_the_tasks_a_posterior_rule_run_bands_hillclimbable(
    ctx: Context,
) -> None:
    a, b = stored(ctx, task(), task())
    ctx.store.publish_slice(ctx.frontier, 1, [a, b])
    run = rolled_out(ctx, "profile", {a: [0.0, 0.0, 0.0], b: [0.5, 0.5]})
    ctx.store.set_run_prior(run.name, [1.0] * 101)  # pass rates spread evenly
    # 0 of 3 under a flat prior is most likely hillclimbable, though its mean, 0, is in the
    # unreachable band: the slice follows the run's rule, as the status and the report do
    assert band_of(solver_view(ctx).means[a], ctx.spec.bands) is Band.UNREACHABLE
    assert ctx.store.task_bands(run.name, ctx.spec.bands)[a] is Band.HILLCLIMBABLE
    assert set(retain(ctx, 1).slice.task_ids) == {a, b}
    # the same rollouts decided by their means leave `a` out of the next version
    ctx.store.set_run_prior(run.name, None)
    assert set(retain(ctx, 1).slice.task_ids) == {b}
