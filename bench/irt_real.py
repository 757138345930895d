"""Item response theory on real rollouts (issue 20, goal 5): placement on a heuristic ladder.

The ShoppingBench dev sample (360 tasks) is rolled out by a calibration panel of
heuristic agents (`frontier.agents.heuristic.ladder(rungs)`, k rollouts a task,
each rung on its own seed so the panel's rollouts are not coupled through
shared random draws), and the 2PL bank is fitted on those counts anchored on
the tasks (`fit(..., anchor_tasks=every task)`). The "slice" is 150 tasks drawn
at random (fixed seed) from the calibrated, usable items (not flagged, a > 0).

Held-out models, none of them in the panel: heuristic skills half-way between
the rungs, and the panel's own rungs again on fresh seeds. Each is placed with
`place(slice items, answer, max_items=15)` (the answer callback rolls the real
agent out k times on the task asked, EAP prior at the panel's abilities' mean
and sd), and its full-slice pass@1 is predicted as `expected_pass(θ, slice)`.
The truth is its pass@1 over all 150 slice tasks × k rollouts on another seed,
so neither the calibration's nor the placement's rollouts enter it. Baselines
in the same run: pass@1 on a random 15 of the slice's tasks (the naive
estimate) and the EAP over all 150 slice tasks (the full bank of placement),
both on the placement's seed. Printed beside each prediction: its sd (θ's
posterior sd carried through expected_pass); the truth has its own binomial sd.

Goal: |predicted - true pass@1| <= 0.05 for every held-out model.

    PYTHONPATH=src python bench/irt_real.py [--rungs 6] [--k 4] [--items 15]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from collections.abc import Callable

import numpy as np
from skill_ladder import dev_sample  # bench/, beside this script

from frontier.agents.heuristic import HeuristicAgent, ladder
from frontier.domain.interfaces import Benchmark
from frontier.domain.irt import ItemParams, expected_pass
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Task
from frontier.pipeline.irt import Responses, estimate_theta, fit, place

SLICE = 150
# seeds: the panel uses CALIBRATION + rung, the held-out models TRUTH and PLACEMENT
CALIBRATION, TRUTH, PLACEMENT = 1000, 2000, 3000


class Roller:
    """Rolls one heuristic model out on tasks, k attempts each, one seed; caches the counts."""

    def __init__(self, bench: Benchmark, model: ModelRef, seed: int, k: int) -> None:
        self.bench, self.agent, self.seed, self.k = bench, HeuristicAgent(model), seed, k
        self.cache: dict[str, tuple[int, int]] = {}
        self.rollouts = 0

    async def counts(self, task: Task) -> tuple[int, int]:
        if task.id not in self.cache:
            wins = trials = 0
            for attempt in range(self.k):
                r = await self.agent.rollout(self.bench, task, attempt, self.seed)
                self.rollouts += 1
                if r.ok:  # an errored rollout is left out, as the pipeline does
                    wins += bool(r.success)
                    trials += 1
            self.cache[task.id] = (wins, trials)
        return self.cache[task.id]

    def answer(self, tasks: dict[str, Task]) -> Callable[[str], tuple[int, int]]:
        def run(task_id: str) -> tuple[int, int]:
            return asyncio.run(self.counts(tasks[task_id]))

        return run


def pass_rate(counts: list[tuple[int, int]]) -> float:
    wins = sum(s for s, _ in counts)
    trials = sum(n for _, n in counts)
    return wins / trials if trials else float("nan")


async def rollouts(roller: Roller, tasks: list[Task]) -> list[tuple[int, int]]:
    return [await roller.counts(t) for t in tasks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", type=int, default=6, help="calibration panel size")
    parser.add_argument("--k", type=int, default=4, help="rollouts per (model, task)")
    parser.add_argument("--items", type=int, default=15, help="placement's max_items")
    parser.add_argument("--seed", type=int, default=0, help="the slice's and naive draws' seed")
    args = parser.parse_args()
    started = time.perf_counter()

    bench, loaded = dev_sample()
    tasks = {t.id: t for t in loaded}

    # --- calibration on the panel ---------------------------------------------------------
    panel = ladder(args.rungs)
    cells = []
    for i, model in enumerate(panel):
        roller = Roller(bench, model, CALIBRATION + i, args.k)
        counts = asyncio.run(rollouts(roller, loaded.tasks))
        cells += [(model.name, t.id, s, n) for t, (s, n) in zip(loaded.tasks, counts, strict=True)]
    cal_secs = time.perf_counter() - started
    cal = fit(Responses.from_cells(cells), anchor_tasks=sorted(tasks))
    usable = [it for it in cal.items if it.flag is None and it.a > 0]
    thetas = [ab.theta for ab in cal.abilities]
    prior_mean, prior_sd = statistics.fmean(thetas), statistics.pstdev(thetas)
    rng = np.random.default_rng(args.seed)
    slice_items: list[ItemParams] = sorted(
        (usable[j] for j in rng.choice(len(usable), SLICE, replace=False)),
        key=lambda it: it.task_id,
    )
    slice_tasks = [tasks[it.task_id] for it in slice_items]
    flags = statistics.mean(it.flag is not None for it in cal.items)
    print(
        f"5. Real rollouts: ShoppingBench dev, {len(tasks)} tasks; panel of {len(panel)} heuristic "
        f"rungs × k={args.k} ({len(cells) * args.k} rollouts, {cal_secs:.0f} s)"
    )
    print(
        f"   calibration: {len(usable)} usable items ({flags:.0%} flagged), abilities "
        + " ".join(f"{ab.model[-4:]}={ab.theta:+.2f}" for ab in cal.abilities)
    )
    print(
        f"   slice: {SLICE} of the usable items at random (seed {args.seed}); placement prior "
        f"N({prior_mean:+.2f}, {prior_sd:.2f}²), max_items={args.items}"
    )

    # --- held-out models --------------------------------------------------------------------
    step = 1 / (args.rungs - 1)
    between = [
        ModelRef(name=f"heuristic-s{round(100 * (i + 0.5) * step):03d}", skill=(i + 0.5) * step)
        for i in range(args.rungs - 1)
    ]
    lines = [("between the rungs", between), ("panel rungs, fresh seeds", panel)]
    print(
        f"   {'model':<16} {'true':>6} {'adaptive':>8} {'± sd':>5} {'|err|':>6} {'items':>5}   "
        f"{'naive 15':>8} {'|err|':>6}   {'full slice':>10} {'|err|':>6}"
    )
    errors: dict[str, dict[str, list[float]]] = {}
    spreads: list[float] = []
    truth_sd: list[float] = []
    for label, models in lines:
        print(f"   -- {label}")
        err = errors.setdefault(label, {"adaptive": [], "naive": [], "full": []})
        for model in models:
            truth = Roller(bench, model, TRUTH, args.k)
            truth_counts = asyncio.run(rollouts(truth, slice_tasks))
            true = pass_rate(truth_counts)
            truth_sd.append(math.sqrt(true * (1 - true) / sum(n for _, n in truth_counts)))
            placing = Roller(bench, model, PLACEMENT, args.k)
            placed = place(
                slice_items,
                placing.answer(tasks),
                target_se=0.0,
                max_items=args.items,
                prior_mean=prior_mean,
                prior_sd=prior_sd,
            )
            adaptive = expected_pass(placed.theta, slice_items)
            # the prediction's own uncertainty: θ's posterior SD carried through expected_pass
            spread = (
                expected_pass(placed.theta + placed.se, slice_items)
                - expected_pass(placed.theta - placed.se, slice_items)
            ) / 2
            spreads.append(spread)
            pick = rng.choice(SLICE, args.items, replace=False)
            naive = pass_rate(asyncio.run(rollouts(placing, [slice_tasks[j] for j in pick])))
            counts = asyncio.run(rollouts(placing, slice_tasks))
            theta_full, _ = estimate_theta(
                ((it, s, n) for it, (s, n) in zip(slice_items, counts, strict=True)),
                prior_mean=prior_mean,
                prior_sd=prior_sd,
            )
            full = expected_pass(theta_full, slice_items)
            err["adaptive"].append(abs(adaptive - true))
            err["naive"].append(abs(naive - true))
            err["full"].append(abs(full - true))
            print(
                f"   {model.name:<16} {true:>6.3f} {adaptive:>8.3f} {spread:>5.3f} "
                f"{abs(adaptive - true):>6.3f} "
                f"{len(placed.items):>5}   {naive:>8.3f} {abs(naive - true):>6.3f}   "
                f"{full:>10.3f} {abs(full - true):>6.3f}"
            )
    print("   |error| of the predicted full-slice pass@1, max / mean:")
    for label, err in errors.items():
        print(
            f"   {label:<26} adaptive {max(err['adaptive']):.3f} / "
            f"{statistics.fmean(err['adaptive']):.3f}; naive random {args.items} "
            f"{max(err['naive']):.3f} / {statistics.fmean(err['naive']):.3f}; full slice "
            f"{max(err['full']):.3f} / {statistics.fmean(err['full']):.3f}"
        )
    print(
        f"   the adaptive prediction's sd (θ's posterior sd through expected_pass): mean "
        f"{statistics.fmean(spreads):.3f}; the true pass@1's own binomial sd over "
        f"{SLICE} × {args.k} rollouts: mean {statistics.fmean(truth_sd):.3f}"
    )
    print("   goal: every held-out model within ±0.05 with at most 15 of the 150 slice tasks")
    print(f"   total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
