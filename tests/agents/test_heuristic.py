from __future__ import annotations

import statistics

import pytest

from frontier.agents.heuristic import HeuristicAgent, attempt_seed, ladder
from frontier.domain.specs import ModelRef
from tests.agents.toy_benchmark import ToyBenchmark, make_task

TASKS = [make_task(t) for t in (3, 17, 42, 58, 99)]


def agent(profile: str | None) -> HeuristicAgent:
    return HeuristicAgent(ModelRef(name=f"h-{profile or 'default'}", profile=profile))


async def mean_reward(toy: ToyBenchmark, profile: str, seed: int = 0, k: int = 4) -> float:
    rollouts = [
        await agent(profile).rollout(toy, task, attempt, seed)
        for task in TASKS
        for attempt in range(k)
    ]
    assert all(r.ok for r in rollouts)
    return statistics.fmean(r.reward or 0.0 for r in rollouts)


async def test_careful_profile_beats_hasty_on_mean_reward(toy: ToyBenchmark) -> None:
    careful, hasty = await mean_reward(toy, "careful"), await mean_reward(toy, "hasty")
    assert careful == 1.0
    assert hasty < 0.6


async def test_same_seed_reproduces_every_rollout(toy: ToyBenchmark) -> None:
    first = [await agent("hasty").rollout(toy, TASKS[2], a, seed=7) for a in range(4)]
    second = [await agent("hasty").rollout(toy, TASKS[2], a, seed=7) for a in range(4)]
    assert [r.trace["answer"] for r in first] == [r.trace["answer"] for r in second]
    assert [r.reward for r in first] == [r.reward for r in second]


async def test_attempts_of_one_task_differ(toy: ToyBenchmark) -> None:
    answers = {
        (await agent("hasty").rollout(toy, TASKS[2], a, seed=7)).trace["answer"]["number"]
        for a in range(6)
    }
    assert len(answers) > 1


def test_attempt_seed_depends_on_seed_task_and_attempt() -> None:
    base = attempt_seed(1, "t", 0)
    assert base == attempt_seed(1, "t", 0)
    assert (
        len({base, attempt_seed(2, "t", 0), attempt_seed(1, "u", 0), attempt_seed(1, "t", 1)}) == 4
    )


async def test_rollout_trace_records_tool_calls_and_failed_checks(toy: ToyBenchmark) -> None:
    rollout = await agent("hasty").rollout(toy, make_task(50, 1, 1000), 0, seed=3)
    trace = rollout.trace
    assert rollout.ok and rollout.success is False
    assert trace["profile"] == "hasty"
    assert trace["failed_checks"] == ["exact"]
    assert [c["name"] for c in trace["checks"]] == ["answered", "in_range", "exact"]
    [call] = trace["tool_calls"]
    assert call["name"] == "submit" and call["final"] is True and call["is_error"] is False
    assert call["duration_seconds"] >= 0
    assert trace["messages"][1] == {"role": "user", "content": make_task(50, 1, 1000).query}
    assert trace["stop_reason"] == "final"


async def test_a_script_that_raises_is_an_error_rollout_without_reward(toy: ToyBenchmark) -> None:
    rollout = await agent("broken").rollout(toy, TASKS[0], 0, seed=0)
    assert rollout.status == "error"
    assert rollout.reward is None and rollout.success is None
    assert "RuntimeError: script bug" in (rollout.error or "")
    assert rollout.trace["tool_calls"][0]["name"] == "hint"


async def test_profile_defaults_to_the_benchmarks_first(toy: ToyBenchmark) -> None:
    rollout = await agent(None).rollout(toy, TASKS[0], 0, seed=0)
    assert rollout.trace["profile"] == "careful"


async def test_unknown_profile_is_a_configuration_error_naming_the_choices(
    toy: ToyBenchmark,
) -> None:
    with pytest.raises(ValueError, match="profile 'genius' is not one of toy's profiles"):
        await agent("genius").rollout(toy, TASKS[0], 0, seed=0)


def test_heuristic_agent_refuses_an_openai_model() -> None:
    model = ModelRef(name="m", provider="openai", base_url="http://x/v1", model="m")
    with pytest.raises(ValueError, match="not 'heuristic'"):
        HeuristicAgent(model)


async def test_a_skill_on_a_benchmark_without_skill_levels_is_a_configuration_error(
    toy: ToyBenchmark,
) -> None:
    skilled = HeuristicAgent(ModelRef(name="h-skilled", skill=0.5))
    with pytest.raises(ValueError, match="benchmark 'toy' offers no skill levels"):
        await skilled.rollout(toy, TASKS[0], 0, seed=0)


def test_a_ladder_spans_skill_zero_to_one_evenly_with_percent_names() -> None:
    rungs = ladder(5, profile="careful")
    assert [m.name for m in rungs] == [
        "heuristic-s000",
        "heuristic-s025",
        "heuristic-s050",
        "heuristic-s075",
        "heuristic-s100",
    ]
    assert [m.skill for m in rungs] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert {m.provider for m in rungs} == {"heuristic"}
    assert {m.profile for m in rungs} == {"careful"}
    assert ladder(2)[0].profile is None


@pytest.mark.parametrize("n", [0, 1, 102])
def test_a_ladder_needs_two_to_a_hundred_and_one_rungs(n: int) -> None:
    with pytest.raises(ValueError, match=f"2 to 101 rungs.*not {n}"):
        ladder(n)
