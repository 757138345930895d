"""A frontier with a known item bank: synthetic rollouts of models of known ability on its
base tasks (and synthetic ones), so a calibration and a placement have a truth to meet."""

from __future__ import annotations

import math
import random

from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.pipeline.context import Context, open_context
from frontier.store import Store
from tests.support.frontiers import small_spec

MODELS = {f"m{i:02d}": -2.0 + 4.0 * i / 11 for i in range(12)}  # true abilities, weak to strong
K = 6
FLIPPED = 20  # the task in the middle of the difficulty range is graded backwards


def p_success(theta: float, a: float, b: float) -> float:
    return 1.0 / (1.0 + math.exp(-a * (theta - b)))


def calibrated_frontier(store: Store, tasks: int = 40, **calibration: object) -> Context:
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
