"""A ladder of heuristic agents of graded skill on the ShoppingBench dev sample.

Rolls out `frontier.agents.heuristic.ladder(rungs)` (each rung plays the
strongest profile at skill i / (rungs - 1)) k times on the first few tasks of
each family, and prints pass@1 per skill (success over every attempt) and the
structure an item-response model needs: for each pair of skills s < t, the
share of tasks s solves (mean success >= 0.5) that t solves too, next to t's
overall solve rate (what that share would be if t's solves were unrelated to
s's). The catalog is built from the whole dev sample, as a run builds it.

    PYTHONPATH=src python bench/skill_ladder.py [--rungs 8] [--k 4] [--per-family 30]
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import statistics
import time
from pathlib import Path

from frontier.agents.heuristic import HeuristicAgent, ladder
from frontier.benchmarks.registry import load_benchmark
from frontier.domain.interfaces import Benchmark
from frontier.domain.tasks import Task

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "shoppingbench"


def dev_sample() -> tuple[Benchmark, list[Task]]:
    """The ShoppingBench dev sample, loaded and prepared as a run prepares it (the catalog
    built from every task)."""
    files = sorted(glob.glob(str(DATA / "*.dev.jsonl")))
    if not files:
        raise SystemExit(f"no ShoppingBench dev files under {DATA}")
    bench = load_benchmark("shoppingbench", {})
    loaded = bench.load(files, on_error="skip")
    bench.prepare(loaded.tasks)
    return bench, loaded.tasks


def family_slice(tasks: list[Task], per_family: int) -> list[Task]:
    families = sorted({t.family for t in tasks})
    return [t for f in families for t in [t for t in tasks if t.family == f][:per_family]]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", type=int, default=8)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--per-family", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default=None, help="default: the strongest (careful)")
    args = parser.parse_args()

    bench, every = dev_sample()
    tasks = family_slice(every, args.per_family)

    started = time.perf_counter()
    rungs = ladder(args.rungs, args.profile)
    solved: dict[str, set[str]] = {}
    print(f"{len(tasks)} tasks x k={args.k}, {len(rungs)} rungs, seed {args.seed}")
    print(f"{'model':<16} {'skill':>5} {'pass@1':>7} {'solved':>7}  per family")
    for model in rungs:
        agent = HeuristicAgent(model)
        per_task: dict[str, list[float]] = {}
        by_family: dict[str, list[float]] = {}
        for task in tasks:
            for attempt in range(args.k):
                r = await agent.rollout(bench, task, attempt, args.seed)
                if not r.ok:
                    raise SystemExit(f"{model.name} {task.id}: {r.error}")
                won = float(bool(r.success))
                per_task.setdefault(task.id, []).append(won)
                by_family.setdefault(task.family, []).append(won)
        means = {tid: statistics.fmean(v) for tid, v in per_task.items()}
        solved[model.name] = {tid for tid, m in means.items() if m >= 0.5}
        fams = " ".join(f"{f}={statistics.fmean(v):.2f}" for f, v in sorted(by_family.items()))
        print(
            f"{model.name:<16} {model.skill:>5.2f} {statistics.fmean(means.values()):>7.3f} "
            f"{len(solved[model.name]):>7}  {fams}"
        )

    print("\nstructure: share of tasks solved by s that t solves too (t's solve rate)")
    names = [m.name for m in rungs]
    shares: list[float] = []
    for i, s in enumerate(names):
        cells = []
        for t in names[i + 1 :]:
            if not solved[s]:
                cells.append(f"{t[-4:]}: -")
                continue
            share = len(solved[s] & solved[t]) / len(solved[s])
            shares.append(share)
            cells.append(f"{t[-4:]}: {share:.2f} ({len(solved[t]) / len(tasks):.2f})")
        if cells:
            print(f"  {s[-4:]} -> " + "  ".join(cells))
    if shares:
        print(f"mean share over pairs: {statistics.fmean(shares):.3f}; min {min(shares):.3f}")
    print(f"wall: {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    asyncio.run(main())
