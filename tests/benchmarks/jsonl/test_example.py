"""The shipped example (examples/jsonl) runs: as a module verifier, as a command, and as a manifest."""

from __future__ import annotations

import statistics
import sys

import pytest
import yaml

from frontier.agents.heuristic import HeuristicAgent
from frontier.benchmarks.jsonl import JsonlBenchmark
from frontier.benchmarks.registry import load_benchmark
from frontier.domain.specs import FrontierSpec, ModelRef
from tests.benchmarks.conftest import EXAMPLES

TASKS = str(EXAMPLES / "tasks.jsonl")
VERIFIER = str(EXAMPLES / "verifier.py")


@pytest.mark.parametrize(
    "options",
    [
        {"verifier": "verifier.py:verify"},  # found next to the task file
        {"verifier": f"{VERIFIER}:verify"},
        {"verifier_command": [sys.executable, VERIFIER]},
    ],
    ids=["file-next-to-tasks", "absolute-file", "command"],
)
def test_every_example_task_accepts_its_reference_and_rejects_an_empty_answer(
    options: dict[str, object],
) -> None:
    bench = load_benchmark("jsonl", options)
    assert isinstance(bench, JsonlBenchmark)
    result = bench.load([TASKS])
    assert result.errors == [] and len(result.tasks) == 10
    assert {t.family for t in result.tasks} == {"arithmetic", "capitals", "multiple_choice"}
    for task in result.tasks:
        gold = bench.gold_answer(task)
        assert gold is not None and bench.grade(task, gold).success, task.id
        assert not bench.grade(task, bench.decoy_answer(task)).success
        assert bench.check_grounding(task).grounded


async def test_the_heuristic_baselines_play_the_example_end_to_end() -> None:
    bench = load_benchmark("jsonl", {"verifier": f"{VERIFIER}:verify"})
    tasks = bench.load([TASKS]).tasks
    means = {}
    for profile in bench.profiles():
        agent = HeuristicAgent(ModelRef(name=f"baseline-{profile}", profile=profile))
        rollouts = [
            await agent.rollout(bench, t, attempt, 7) for t in tasks for attempt in range(4)
        ]
        assert all(r.ok for r in rollouts), [r.error for r in rollouts if not r.ok]
        means[profile] = statistics.fmean(r.reward or 0.0 for r in rollouts)
    assert means["echo"] < means["guess"], means
    assert 0.0 < means["guess"] < 0.5


def test_the_example_manifest_is_a_valid_frontier() -> None:
    doc = yaml.safe_load((EXAMPLES / "frontier.yaml").read_text())
    spec = FrontierSpec.model_validate(doc["spec"])
    assert spec.benchmark.name == "jsonl" and spec.solver.profile == "guess"
    bench = load_benchmark(spec.benchmark.name, spec.benchmark.options)
    assert bench.load([str(EXAMPLES / p) for p in spec.benchmark.source.paths]).tasks
