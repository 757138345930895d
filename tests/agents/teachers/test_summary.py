"""Failure summaries: what a teacher learns from the parent's solver rollouts."""

from __future__ import annotations

from typing import Any

from frontier.agents.teachers import failed_checks, summarize_failures
from frontier.domain.tasks import Rollout


def graded(reward: float, failed: list[str], **trace: Any) -> Rollout:
    return Rollout(
        task_id="t",
        attempt=0,
        status="ok",
        reward=reward,
        success=not failed,
        trace={"failed_checks": failed, **trace},
    )


def errored() -> Rollout:
    return Rollout(
        task_id="t",
        attempt=1,
        status="error",
        error="timeout",
        trace={"failed_checks": ["shop", "shop", "shop"]},
    )


def test_failed_checks_are_ordered_by_frequency_then_name() -> None:
    rollouts = [graded(0.5, ["price", "title"]), graded(0.2, ["price", "shop"]), graded(1, [])]
    assert failed_checks(rollouts) == ["price", "shop", "title"]


def test_harness_errors_say_nothing_about_the_task() -> None:
    assert failed_checks([errored(), graded(0.5, ["price"])]) == ["price"]
    assert summarize_failures([errored()]) == "No graded attempts."


def test_the_summary_gives_rewards_failed_checks_and_the_last_calls_of_a_failure() -> None:
    calls = [
        {"name": "find_product", "arguments": {"q": "toner"}, "result": "[...]"},
        {"name": "recommend_product", "arguments": {"product_ids": "42"}, "result": "ok"},
    ]
    rollouts = [
        graded(1.0, []),
        graded(0.5, ["price"], tool_calls=calls, answered=True),
        graded(0.0, ["answer", "price"], tool_calls=[], answered=False),
    ]
    summary = summarize_failures(rollouts)
    lines = summary.splitlines()
    assert lines[0] == "3 attempts, 1 succeeded; rewards: 1.00, 0.50, 0.00."
    assert lines[1] == "Failed checks: price (2x), answer (1x)."
    assert lines[2] == "- find_product({'q': 'toner'}) -> [...]"
    assert lines[3] == "- recommend_product({'product_ids': '42'}) -> ok"


def test_the_summary_is_capped() -> None:
    calls = [{"name": "find_product", "arguments": {"q": "x" * 500}, "result": "y" * 500}] * 4
    summary = summarize_failures([graded(0.1, ["price"], tool_calls=calls)], max_chars=300)
    assert len(summary) == 300 and summary.endswith("...")
