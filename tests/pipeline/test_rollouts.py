from __future__ import annotations

from collections.abc import Callable

from frontier.domain.bands import band_of
from frontier.domain.interfaces import Benchmark
from frontier.domain.sampling import settled_band
from frontier.domain.specs import AdaptiveSpec, BandSpec
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.rollouts import (
    Budgeted,
    Curtailed,
    CurtailedCandidates,
    FixedK,
    TaskState,
    roll_out,
    states_from,
)


def make_task(n: int) -> Task:
    return Task.create("toy", "f", f"task {n}", {"n": n})


class ScriptedAgent:
    """Answers each (task, attempt) from a function; counts how often each was played."""

    def __init__(self, outcome: Callable[[Task, int, int], float | None]) -> None:
        self.outcome = outcome
        self.calls: dict[tuple[str, int], int] = {}

    async def rollout(self, benchmark: Benchmark, task: Task, attempt: int, seed: int) -> Rollout:
        n = self.calls.get((task.id, attempt), 0) + 1
        self.calls[(task.id, attempt)] = n
        reward = self.outcome(task, attempt, n)
        if reward is None:
            return Rollout(task_id=task.id, attempt=attempt, status="error", error="boom")
        return Rollout(task_id=task.id, attempt=attempt, reward=reward, success=reward == 1.0)


async def run(agent: ScriptedAgent, tasks: list[Task], allocation, states=None, **kw):  # type: ignore[no-untyped-def]
    stored: list[list[Rollout]] = []
    states = {} if states is None else states
    report = await roll_out(
        agent,
        None,  # type: ignore[arg-type]
        tasks,
        states,
        allocation,
        seed=0,
        concurrency=4,
        sink=stored.append,
        **kw,
    )
    return report, [r for batch in stored for r in batch], states


async def test_fixed_k_plays_attempts_0_to_k_minus_1_once_each() -> None:
    tasks = [make_task(i) for i in range(5)]
    agent = ScriptedAgent(lambda t, a, n: 1.0)
    report, stored, _ = await run(agent, tasks, FixedK(4))
    assert report.rollouts == 20
    assert sorted(agent.calls) == sorted((t.id, a) for t in tasks for a in range(4))
    assert set(agent.calls.values()) == {1}
    assert len(stored) == 20


async def test_an_errored_attempt_is_retried_and_the_retry_replaces_it() -> None:
    task = make_task(0)
    agent = ScriptedAgent(lambda t, a, n: None if (a == 2 and n == 1) else 0.5)
    report, stored, states = await run(agent, [task], FixedK(4))
    assert agent.calls[(task.id, 2)] == 2
    assert report.errors == 1
    assert states[task.id].rewards == [0.5, 0.5, 0.5, 0.5]
    assert [r.status for r in stored if r.attempt == 2] == ["error", "ok"]


async def test_an_attempt_that_keeps_erroring_stays_an_error_and_is_not_a_zero() -> None:
    task = make_task(0)
    agent = ScriptedAgent(lambda t, a, n: None if a == 1 else 1.0)
    report, _, states = await run(agent, [task], FixedK(3), error_retries=2)
    assert report.errors == 3
    assert agent.calls[(task.id, 1)] == 3  # first try + 2 retries
    assert states[task.id].rewards == [1.0, 1.0]
    assert states[task.id].errors == {1: 3}


async def test_batches_reach_the_sink_before_the_run_ends() -> None:
    tasks = [make_task(i) for i in range(10)]
    stored: list[list[Rollout]] = []
    await roll_out(
        ScriptedAgent(lambda t, a, n: 0.0),
        None,  # type: ignore[arg-type]
        tasks,
        {},
        FixedK(4),
        seed=0,
        concurrency=2,
        sink=stored.append,
        batch_size=8,
    )
    assert [len(b) for b in stored] == [8, 8, 8, 8, 8]


async def test_a_resumed_run_plays_only_what_is_missing() -> None:
    tasks = [make_task(i) for i in range(3)]
    first = ScriptedAgent(lambda t, a, n: 1.0)
    _, stored, _ = await run(first, tasks, FixedK(2))
    states = states_from(stored[:3])
    second = ScriptedAgent(lambda t, a, n: 1.0)
    report, _, _ = await run(second, tasks, FixedK(2), states=states)
    assert report.rollouts == 3
    assert not set(second.calls) & {(r.task_id, r.attempt) for r in stored[:3]}


async def test_progress_hears_of_each_wave_before_its_rollouts_and_of_each_rollout_after() -> None:
    """A display can start its clock when rolling starts, not when the first rollout ends."""
    task = make_task(0)
    agent = ScriptedAgent(lambda t, a, n: None if (a == 1 and n == 1) else 1.0)
    calls: list[tuple[int, int]] = []
    await run(
        agent, [task], FixedK(2), progress=lambda done, planned: calls.append((done, planned))
    )
    assert calls == [(0, 2), (1, 2), (2, 2), (2, 3), (3, 3)]


async def test_curtailed_stops_early_and_reaches_the_same_bands_as_fixed_k() -> None:
    bands = BandSpec()
    tasks = [make_task(0), make_task(1)]
    # Task 0 always succeeds (its band settles after 3 of 4); task 1 alternates 0, 1, 0, 1.
    agent = ScriptedAgent(lambda t, a, n: 1.0 if t.id == tasks[0].id else float(a % 2))
    _, _, curtailed = await run(agent, tasks, Curtailed(4, bands))
    _, _, fixed = await run(ScriptedAgent(agent.outcome), tasks, FixedK(4))
    assert len(curtailed[tasks[0].id].rewards) < 4
    for t in tasks:
        settled = settled_band(curtailed[t.id].rewards, 4, bands)
        assert settled is band_of(sum(fixed[t.id].rewards) / 4, bands)


def test_task_state_orders_rewards_by_attempt() -> None:
    state = TaskState(ok={2: 0.2, 0: 0.0, 1: 0.1})
    assert state.rewards == [0.0, 0.1, 0.2]
    assert state.attempted == {0, 1, 2}


async def test_the_budgeted_policy_spends_at_most_k_per_task_on_average_and_more_where_unsure() -> (
    None
):
    tasks = [make_task(i) for i in range(40)]
    # Half the tasks always succeed (settled fast); half succeed about half the time.
    easy = {t.id for t in tasks[:20]}
    agent = ScriptedAgent(lambda t, a, n: 1.0 if t.id in easy else float((a * 7 + n) % 2))
    spec = AdaptiveSpec(enabled=True, min_rollouts=2, max_rollouts=16, confidence=0.9)
    report, _, states = await run(agent, tasks, Budgeted(4, spec, BandSpec()))
    counts = {t.id: len(states[t.id].rewards) for t in tasks}
    assert report.rollouts <= 4 * len(tasks)
    assert all(2 <= n <= 16 for n in counts.values())
    unsure = [counts[t.id] for t in tasks if t.id not in easy]
    sure = [counts[t.id] for t in tasks if t.id in easy]
    assert sum(unsure) / len(unsure) > sum(sure) / len(sure)


async def test_curtailment_with_a_confidence_stops_no_later_than_exact_curtailment() -> None:
    bands = BandSpec()
    tasks = [make_task(i) for i in range(12)]
    agent = ScriptedAgent(lambda t, a, n: float((int(t.id, 16) + a) % 3 == 0))
    _, _, exact = await run(agent, tasks, Curtailed(8, bands))
    _, _, predicted = await run(ScriptedAgent(agent.outcome), tasks, Curtailed(8, bands, 0.9))
    for t in tasks:
        assert len(predicted[t.id].rewards) <= len(exact[t.id].rewards)


async def test_candidates_that_repeat_their_rewards_stop_before_exact_curtailment_would() -> None:
    bands = BandSpec()
    tasks = [make_task(i) for i in range(12)]
    agent = ScriptedAgent(lambda t, a, n: 0.5 if int(t.id, 16) % 2 else 0.9)
    _, _, exact = await run(agent, tasks, Curtailed(4, bands))
    _, _, predicted = await run(
        ScriptedAgent(agent.outcome), tasks, CurtailedCandidates(4, bands, 0.975)
    )
    assert sum(len(s.rewards) for s in predicted.values()) < sum(
        len(s.rewards) for s in exact.values()
    )
    for t in tasks:
        r = predicted[t.id].rewards
        assert band_of(sum(r) / len(r), bands) is settled_band(exact[t.id].rewards, 4, bands)


async def test_candidates_on_a_noisy_run_are_rolled_out_as_exact_curtailment_does() -> None:
    bands = BandSpec()
    tasks = [make_task(i) for i in range(12)]
    agent = ScriptedAgent(lambda t, a, n: float((int(t.id, 16) + a) % 2 == 0))
    _, _, exact = await run(agent, tasks, Curtailed(4, bands))
    _, _, predicted = await run(
        ScriptedAgent(agent.outcome), tasks, CurtailedCandidates(4, bands, 0.975)
    )
    assert {t: s.rewards for t, s in predicted.items()} == {t: s.rewards for t, s in exact.items()}


async def test_a_curtailed_candidate_retries_an_errored_attempt() -> None:
    tasks = [make_task(0)]
    agent = ScriptedAgent(lambda t, a, n: None if (a, n) == (0, 1) else 0.5)
    _, _, states = await run(agent, tasks, CurtailedCandidates(4, BandSpec(), 0.975))
    assert agent.calls[(tasks[0].id, 0)] == 2 and 0 in states[tasks[0].id].ok
