"""The item bank is refitted from every stored response: a version per fit, suspect tasks
posted once and kept out of the next slice, and nothing fitted before enough models."""

from __future__ import annotations

import math
import random

from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.admit import retain
from frontier.pipeline.calibrate import SUSPECT_GRADING, calibrate, calibration_summary, suspects
from frontier.pipeline.context import Context, open_context
from frontier.store import Store
from tests.support.frontiers import small_spec

MODELS = {f"m{i:02d}": -2.0 + 4.0 * i / 11 for i in range(12)}  # true abilities, weak to strong
K = 6
FLIPPED = 20  # the task in the middle of the difficulty range is graded backwards


def p_success(theta: float, a: float, b: float) -> float:
    return 1.0 / (1.0 + math.exp(-a * (theta - b)))


def frontier_with(store: Store, tasks: int = 40, **calibration: object) -> Context:
    """Tasks of graded difficulty rolled out by 12 models of known ability (k = 6), the
    solver among them (ability 0.18); task FLIPPED is graded backwards: the stronger the
    model, the more it fails."""
    ctx = open_context(store, "shop", small_spec(calibration=calibration))
    names = {m: (ctx.spec.solver.name if m == "m06" else m) for m in MODELS}
    base = store.get_tasks(ctx.frontier, origin="base")
    made = [
        Task.create("shoppingbench", "product", f"synthetic task {i}", {"query": f"q{i}"})
        for i in range(max(0, tasks - len(base)))
    ]
    store.add_tasks(ctx.frontier, made)
    chosen = (base + made)[:tasks]
    rng = random.Random(7)
    for short, theta in MODELS.items():
        model = names[short]
        key = ctx.run_key(f"profile-{model}")
        store.create_run(
            key,
            frontier=ctx.frontier,
            kind="profile",
            model=ModelRef(name=model),
            task_set=TaskSetRef(kind="base"),
            k=K,
        )
        rollouts = []
        for j, t in enumerate(chosen):
            b = -1.5 + 3.0 * j / (len(chosen) - 1)
            a = -2.5 if j == FLIPPED else 1.5
            for attempt in range(K):
                win = rng.random() < p_success(theta, a, b)
                rollouts.append(
                    Rollout(task_id=t.id, attempt=attempt, reward=float(win), success=win)
                )
        store.ingest_rollouts(key, rollouts)
    return ctx


def test_nothing_is_fitted_before_enough_models_have_graded_rollouts(store: Store) -> None:
    ctx = frontier_with(store, minModels=13)
    assert calibrate(ctx, trigger="profile") is None
    assert store.calibrations(ctx.frontier) == [] and calibration_summary(ctx) is None


def test_a_fit_is_a_new_version_with_every_task_and_the_models_in_order_of_ability(
    store: Store,
) -> None:
    ctx = frontier_with(store)
    first = calibrate(ctx, trigger="profile of the base tasks")
    again = calibrate(ctx, trigger="verification of slice v1")
    assert first is not None and again is not None and (first.version, again.version) == (1, 2)
    cal = again.calibration
    assert len(cal.items) == 40
    thetas = {a.model: a.theta for a in cal.abilities}
    ranked = sorted(thetas, key=thetas.__getitem__)
    assert ranked[:2] == ["m00", "m01"] or ranked[0] == "m00"
    assert ranked[-1] in ("m10", "m11")
    assert all(a.se > 0 for a in cal.abilities) and all(i.b_se > 0 for i in cal.items)


def test_a_task_graded_backwards_is_flagged_posted_once_and_kept_out_of_the_next_slice(
    store: Store,
) -> None:
    ctx = frontier_with(store)
    flipped = store.task_ids(ctx.frontier, origin="base")[FLIPPED]
    calibrate(ctx, trigger="profile")
    calibrate(ctx, trigger="profile again")
    assert flipped in suspects(ctx)
    (event,) = store.events(ctx.frontier, reason=SUSPECT_GRADING)  # posted when first flagged
    assert event.type == "Warning" and flipped in event.data["tasks"]
    summary = calibration_summary(ctx)
    assert summary is not None and flipped in summary["suspectGrading"]

    members = store.task_ids(ctx.frontier, origin="base")[:40]
    store.publish_slice(ctx.frontier, 1, members)
    solver_mean = store.task_means(ctx.run_key(f"profile-{ctx.spec.solver.name}"))[
        flipped
    ].mean_reward
    assert solver_mean is not None and 0.0 < solver_mean < 1.0  # hillclimbable for the solver
    published = retain(ctx, 1)
    assert published.slice.task_ids and flipped not in published.slice.task_ids
