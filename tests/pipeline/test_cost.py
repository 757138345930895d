"""Cost: what a frontier spent, per stage and model, as status (and so the report and metrics) say it."""

from __future__ import annotations

from typing import Any

import pytest

from frontier.domain.admission import Decision
from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout
from frontier.pipeline.context import Context, load_base_tasks
from frontier.pipeline.cost import cost_summary
from frontier.pipeline.status import frontier_summary
from frontier.store import NewCandidate, RunKind, TeacherSpend


def rolled(
    ctx: Context,
    name: str,
    kind: RunKind,
    model: str,
    rewards: list[float],
    cost: float,
    task_set: TaskSetRef | None = None,
) -> None:
    """A run of `model` whose rollouts each cost `cost` (reward 1 is a success)."""
    key = ctx.run_key(name)
    ctx.store.create_run(
        key,
        frontier=ctx.frontier,
        kind=kind,
        model=ModelRef(name=model),
        task_set=task_set or TaskSetRef(kind="base"),
        k=1,
    )
    ctx.store.ingest_rollouts(
        key,
        [
            Rollout(
                task_id=f"{name}-{i}",
                attempt=0,
                reward=r,
                success=r == 1.0,
                input_tokens=100,
                output_tokens=10,
                cost_usd=cost,
            )
            for i, r in enumerate(rewards)
        ],
    )


def spent(ctx: Context) -> None:
    """A profile, a round (teacher and candidates, one admitted) and a verification run."""
    rolled(ctx, "profile", "profile", "solver", [1.0, 1.0, 0.0, 0.5], 0.01)
    ctx.store.start_round(ctx.frontier, 1)
    spend = TeacherSpend(model="teacher", requests=1, input_tokens=500, cost_usd=0.05)
    ctx.store.record_teacher_usage(ctx.frontier, 1, "parent", 1, spend)
    ctx.store.record_candidates(ctx.frontier, 1, [NewCandidate("child", parent_id="parent")])
    ctx.store.decide_candidate(ctx.frontier, 1, "child", Decision.admit())
    rolled(
        ctx,
        "cands",
        "candidates",
        "solver",
        [0.5, 0.0],
        0.02,
        TaskSetRef(kind="candidates", round=1),
    )
    rolled(
        ctx,
        "verify",
        "verification",
        "strong",
        [1.0, 1.0],
        0.1,
        TaskSetRef(kind="slice", sliceVersion=1),
    )


def line(cost: dict[str, Any], stage: str, model: str) -> dict[str, Any]:
    return next(x for x in cost["lines"] if (x["stage"], x["model"]) == (stage, model))


def test_status_shows_tokens_and_cost_per_stage_and_model(ctx: Context) -> None:
    spent(ctx)
    cost = frontier_summary(ctx)["cost"]
    assert cost["totalUsd"] == pytest.approx(0.04 + 0.05 + 0.04 + 0.2)
    profile = line(cost, "profile", "solver")
    assert (profile["inputTokens"], profile["outputTokens"]) == (400, 40)
    assert profile["costPerRollout"] == pytest.approx(0.01)
    assert profile["costPerSuccess"] == pytest.approx(0.02)
    # CLEAR's cost-normalized accuracy: success rate (2 of 4) per dollar of rollout cost
    assert profile["accuracyPerDollar"] == pytest.approx(0.5 / 0.01)
    teacher = line(cost, "teacher", "teacher")
    assert (teacher["inputTokens"], teacher["costUsd"]) == (500, pytest.approx(0.05))
    assert teacher["costPerRollout"] is None
    assert line(cost, "verification", "strong")["costPerSuccess"] == pytest.approx(0.1)
    stages = {s["stage"]: s["costUsd"] for s in cost["stages"]}
    assert stages == pytest.approx(
        {
            "profile": 0.04,
            "teacher": 0.05,
            "candidates": 0.04,
            "verification": 0.2,
            "placement": 0.0,
        }
    )
    # making the one admitted task took the teacher and the candidate rollouts
    assert cost["costPerAdmittedTask"] == pytest.approx(0.09)
    assert cost["rounds"] == [
        {
            "number": 1,
            "teacherUsd": pytest.approx(0.05),
            "candidatesUsd": pytest.approx(0.04),
            "costUsd": pytest.approx(0.09),
            "admitted": 1,
            "costPerAdmittedTask": pytest.approx(0.09),
        }
    ]


def test_free_models_have_no_accuracy_per_dollar_and_nothing_divides_by_zero(
    ctx: Context,
) -> None:
    rolled(ctx, "profile", "profile", "solver", [1.0, 0.0], 0.0)
    cost = frontier_summary(ctx)["cost"]
    profile = line(cost, "profile", "solver")
    assert (profile["costUsd"], profile["accuracyPerDollar"]) == (0.0, None)
    assert cost["costPerAdmittedTask"] is None


def test_spend_since_the_last_slice_counts_only_what_was_recorded_after_it(ctx: Context) -> None:
    rolled(ctx, "profile", "profile", "solver", [1.0, 0.0], 0.01)
    load_base_tasks(ctx)
    ctx.store.publish_slice(ctx.frontier, 1, ctx.store.task_ids(ctx.frontier)[:1])
    assert cost_summary(ctx).since_last_slice_usd == 0.0
    ctx.store.ingest_rollouts(
        ctx.run_key("profile"), [Rollout(task_id="late", attempt=0, reward=1.0, cost_usd=0.03)]
    )
    rolled(
        ctx,
        "verify",
        "verification",
        "strong",
        [1.0],
        0.1,
        TaskSetRef(kind="slice", sliceVersion=1),
    )
    summary = cost_summary(ctx)
    assert summary.last_slice_version == 1
    assert summary.since_last_slice_usd == pytest.approx(0.03 + 0.1)
    assert summary.cost_usd == pytest.approx(0.02 + 0.03 + 0.1)
