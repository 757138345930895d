"""The generic JSONL benchmark: load, a one-tool episode, grading by the user's verifier."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from frontier.agents.heuristic import HeuristicAgent
from frontier.benchmarks.jsonl import JsonlBenchmark, VerifierError
from frontier.benchmarks.jsonlines import TaskFileError
from frontier.domain.interfaces import Benchmark
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import FinalAnswer, Task

EXACT = {"verifier": "tests.benchmarks.jsonl.verifier_fixtures:exact"}


def write(tmp_path: Path, *lines: object) -> str:
    f = tmp_path / "tasks.jsonl"
    f.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return str(f)


def one_task(bench: JsonlBenchmark, tmp_path: Path, **record: object) -> Task:
    [task] = bench.load([write(tmp_path, {"prompt": "2+2?", "answer": "4", **record})]).tasks
    return task


def test_jsonl_implements_the_benchmark_protocol() -> None:
    assert isinstance(JsonlBenchmark(EXACT), Benchmark)


def test_a_task_is_its_prompt_family_and_whole_record(tmp_path: Path) -> None:
    task = one_task(JsonlBenchmark(EXACT), tmp_path, family="math", extra=1)
    assert (task.query, task.family, task.benchmark) == ("2+2?", "math", "jsonl")
    assert task.payload == {"prompt": "2+2?", "answer": "4", "family": "math", "extra": 1}


def test_custom_field_names_are_honoured(tmp_path: Path) -> None:
    bench = JsonlBenchmark({**EXACT, "prompt_field": "question", "family_field": "kind"})
    [task] = bench.load([write(tmp_path, {"question": "Q?", "kind": "k", "answer": "4"})]).tasks
    assert (task.query, task.family) == ("Q?", "k")


def test_a_malformed_line_names_file_and_line_and_can_be_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"prompt": "ok", "answer": "1"},
        {"answer": "1"},
        "{broken",
        {"prompt": "x", "family": 3},
    )
    result = JsonlBenchmark(EXACT).load([path], on_error="skip")
    assert len(result.tasks) == 1
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [
        (2, "prompt"),
        (3, "invalid JSON"),
        (4, "family"),
    ]
    with pytest.raises(TaskFileError, match=r"tasks\.jsonl:2: prompt: missing"):
        JsonlBenchmark(EXACT).load([path])


async def test_the_episode_has_one_answer_tool_that_ends_it(tmp_path: Path) -> None:
    bench = JsonlBenchmark(EXACT)
    task = one_task(bench, tmp_path)
    episode = bench.episode(task)
    assert [t["function"]["name"] for t in episode.tools()] == ["answer"]
    assert (await episode.call("search", {})).is_error
    assert (await episode.call("answer", {"answer": ["4"]})).is_error
    out = await episode.call("answer", {"answer": 4})
    assert out.final and episode.answer() == FinalAnswer(content={"answer": "4"})
    assert bench.grade(task, episode.answer()).success


def test_grading_asks_the_verifier_and_no_answer_scores_0_without_asking(tmp_path: Path) -> None:
    bench = JsonlBenchmark({"verifier": "tests.benchmarks.jsonl.verifier_fixtures:raises"})
    task = one_task(bench, tmp_path)
    assert bench.grade(task, None).reward == 0.0
    with pytest.raises(VerifierError, match="raised KeyError"):
        bench.grade(task, FinalAnswer(content={"answer": "4"}))


def test_success_is_the_verifiers_or_the_reward_reaching_the_threshold(tmp_path: Path) -> None:
    partial = {"verifier": "tests.benchmarks.jsonl.verifier_fixtures:partial"}
    answer = FinalAnswer(content={"answer": "x"})
    strict = JsonlBenchmark(partial)
    lenient = JsonlBenchmark({**partial, "success_threshold": 0.5})
    task = one_task(strict, tmp_path)
    graded = strict.grade(task, answer)
    assert (graded.reward, graded.success, graded.details["why"]) == (0.5, False, "half")
    assert lenient.grade(task, answer).success
    with pytest.raises(ValueError, match="success_threshold must be in"):
        JsonlBenchmark({**partial, "success_threshold": 0})


def test_grounding_needs_a_reference_the_verifier_accepts_and_an_empty_answer_it_rejects(
    tmp_path: Path,
) -> None:
    bench = JsonlBenchmark(EXACT)
    assert bench.check_grounding(one_task(bench, tmp_path)).grounded
    no_ref = bench.parse_candidate(one_task(bench, tmp_path), {"prompt": "3+3?"}, "rewrite", 1)
    assert (
        bench.check_grounding(no_ref).reason
        == "no reference answer (answer) to check the verifier on"
    )
    lax = JsonlBenchmark(
        {"verifier": "tests.benchmarks.jsonl.verifier_fixtures:accepts_everything"}
    )
    assert (
        lax.check_grounding(one_task(lax, tmp_path)).reason
        == "the verifier accepts an empty answer"
    )
    broken = JsonlBenchmark({"verifier": "tests.benchmarks.jsonl.verifier_fixtures:raises"})
    assert broken.check_grounding(one_task(broken, tmp_path)).reason.startswith("verifier error:")


def test_jsonl_offers_no_mutation_motifs(tmp_path: Path) -> None:
    bench = JsonlBenchmark(EXACT)
    task = one_task(bench, tmp_path)
    assert bench.motifs() == [] and bench.suggest_motifs(task, ["verifier"]) == []
    assert bench.mutate(task, motifs=[], rng=random.Random(0), round=1) == []
    with pytest.raises(ValueError, match="no mutation motifs"):
        bench.mutate(task, motifs=["price_shift"], rng=random.Random(0), round=1)


def test_a_candidate_gets_llm_lineage_and_must_have_a_prompt(tmp_path: Path) -> None:
    bench = JsonlBenchmark(EXACT)
    parent = one_task(bench, tmp_path)
    child = bench.parse_candidate(parent, {"prompt": "3+3?", "answer": "6"}, "rewrite", 2)
    assert (child.lineage.origin, child.lineage.parent_id, child.lineage.round) == (
        "llm",
        parent.id,
        2,
    )
    with pytest.raises(ValueError, match="prompt: missing"):
        bench.parse_candidate(parent, {"answer": "6"}, "rewrite", 2)


async def test_a_verifier_error_is_a_harness_error_rollout_not_reward_0(tmp_path: Path) -> None:
    bench = JsonlBenchmark({"verifier": "tests.benchmarks.jsonl.verifier_fixtures:raises"})
    task = one_task(bench, tmp_path)
    rollout = await HeuristicAgent(ModelRef(name="echo", profile="echo")).rollout(bench, task, 0, 0)
    assert (rollout.status, rollout.reward, rollout.success) == ("error", None, None)
    assert rollout.error is not None and "VerifierError" in rollout.error


async def test_the_guess_profile_picks_among_the_choices_and_echo_repeats_the_prompt(
    tmp_path: Path,
) -> None:
    bench = JsonlBenchmark(EXACT)
    task = one_task(bench, tmp_path, choices=["3", "4"])
    answers = set()
    for seed in range(12):
        episode = bench.episode(task)
        await bench.scripted_policy("guess").play(episode, random.Random(seed))
        answers.add(episode.answer().content["answer"])  # type: ignore[union-attr]
    assert answers == {"3", "4"}
    episode = bench.episode(task)
    await bench.scripted_policy("echo").play(episode, random.Random(0))
    assert episode.answer() == FinalAnswer(content={"answer": "2+2?"})
    assert bench.profiles() == ["echo", "guess"]
