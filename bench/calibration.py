"""The calibration set for the adaptive-profiling bench: tasks with 64+ rollouts each.

Two sources, as issue 10 asks. (a) ShoppingBench's heuristic profiles on the
dev sample: real agent episodes graded by the real verifier, cached under
bench/.cache/ because they take 6-10 minutes to produce. (b) Synthetic
reward distributions: binary Bernoulli tasks with p drawn from a mixture that
looks like a real profiling run (a lump of unsolvable tasks, a lump of solved
ones, a spread in between), and continuous partial-credit tasks shaped like
ShoppingBench's CAR (the mean relevance of recommended products: 1, a few
partial values, or 0). A synthetic task knows its true mean reward (the
generator's expectation); a heuristic task does not, so the bench takes its
truth from rollouts that no policy reads.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
DATA = ROOT.parent / "shared" / "data" / "shoppingbench"
SEED = 0


@dataclass(frozen=True)
class CalibrationTask:
    """One task's full pool of rollouts (rewards in [0, 1]) and where it came from.

    `true_mean` is the expected reward of one rollout when the generator knows
    it (synthetic tasks), else None (real rollouts).
    """

    source: str
    task_id: str
    rewards: tuple[float, ...]
    true_mean: float | None = None


def _data_files() -> list[str]:
    files = sorted(glob.glob(str(DATA / "*.dev.jsonl")))
    if not files:
        raise SystemExit(f"no ShoppingBench dev files under {DATA} (expected *.dev.jsonl)")
    return files


def _fingerprint(files: list[str], n: int) -> str:
    """Keyed on the task files, n and the seed; delete bench/.cache/ after changing the agent or grader."""
    h = hashlib.sha256(f"n={n};seed={SEED}".encode())
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:16]


async def _heuristic_pools(files: list[str], n: int) -> dict[str, dict[str, list[float]]]:
    from frontier.agents import EndpointPool, build_agent
    from frontier.benchmarks.registry import load_benchmark
    from frontier.domain.specs import ModelRef

    bench = load_benchmark("shoppingbench", {})
    loaded = bench.load(files, on_error="skip")
    if loaded.errors:
        print(f"  skipped {len(loaded.errors)} malformed task lines", file=sys.stderr)
    bench.prepare(loaded.tasks)
    pools: dict[str, dict[str, list[float]]] = {}
    for profile in bench.profiles():
        model = ModelRef(name=f"heuristic-{profile}", provider="heuristic", profile=profile)
        async with EndpointPool() as endpoints:  # the heuristic agent opens no session
            agent = build_agent(model, pool=endpoints)
        per_task: dict[str, list[float]] = {}
        errors = 0
        for task in loaded.tasks:
            rewards: list[float] = []
            attempt = 0
            # A harness error is never a reward: skip it and draw another attempt.
            while len(rewards) < n and attempt < 2 * n:
                rollout = await agent.rollout(bench, task, attempt, SEED)
                attempt += 1
                if rollout.ok and rollout.reward is not None:
                    rewards.append(rollout.reward)
                else:
                    errors += 1
            if len(rewards) == n:
                per_task[task.id] = rewards
        pools[profile] = per_task
        print(
            f"  heuristic {profile}: {len(per_task)} tasks x {n} rollouts, {errors} harness errors",
            file=sys.stderr,
        )
    return pools


def heuristic_tasks(n: int = 64) -> list[CalibrationTask]:
    """ShoppingBench heuristic profiles on the dev sample, n rollouts per task (cached)."""
    files = _data_files()
    key = _fingerprint(files, n)
    path = CACHE / f"shoppingbench-heuristic-{key}.json"
    if path.exists():
        pools = json.loads(path.read_text())
    else:
        print(f"building calibration cache {path.name} (one-off) ...", file=sys.stderr)
        started = time.perf_counter()
        pools = asyncio.run(_heuristic_pools(files, n))
        CACHE.mkdir(exist_ok=True)
        path.write_text(json.dumps(pools))
        print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return [
        CalibrationTask(f"heuristic-{profile}", task_id, tuple(rewards))
        for profile, per_task in sorted(pools.items())
        for task_id, rewards in sorted(per_task.items())
    ]


def _mixture_p(rng: random.Random) -> float:
    """A task's pass rate: 25% near 0, 35% near 1, 40% spread between (a profiling run's shape)."""
    u = rng.random()
    if u < 0.25:
        return rng.betavariate(0.3, 15.0)
    if u < 0.60:
        return rng.betavariate(12.0, 0.6)
    return rng.betavariate(1.2, 1.2)


def synthetic_binary(count: int = 1000, n: int = 64, seed: int = 1) -> list[CalibrationTask]:
    rng = random.Random(seed)
    tasks = []
    for i in range(count):
        p = _mixture_p(rng)
        tasks.append(
            CalibrationTask(
                "synthetic-binary", f"b{i}", tuple(float(rng.random() < p) for _ in range(n)), p
            )
        )
    return tasks


def synthetic_uniform(count: int = 1000, n: int = 64, seed: int = 3) -> list[CalibrationTask]:
    """A stress case: pass rates uniform on [0, 1], so many tasks sit near a band edge."""
    rng = random.Random(seed)
    tasks = []
    for i in range(count):
        p = rng.random()
        tasks.append(
            CalibrationTask(
                "synthetic-uniform", f"u{i}", tuple(float(rng.random() < p) for _ in range(n)), p
            )
        )
    return tasks


def _jittered(partial: float, jitter: float) -> float:
    return round(min(1.0, max(0.0, partial + jitter)), 4)


def synthetic_partial_credit(
    count: int = 1000, n: int = 64, seed: int = 2
) -> list[CalibrationTask]:
    """CAR-like rewards: a rollout scores 1 (all checks), a partial relevance, or 0.

    Each task has its own success rate (the same mixture as the binary tasks),
    a typical partial score (the share of checks the near-miss product
    satisfies, e.g. 2/3 or 3/4) and a chance that the agent recommends nothing
    useful at all.
    """
    rng = random.Random(seed)
    fractions = [1 / 2, 2 / 3, 3 / 4, 4 / 5, 1 / 3, 1 / 4]
    jitters = [-0.125, 0.0, 0.0, 0.125]
    tasks = []
    for i in range(count):
        p_full = _mixture_p(rng)
        partial = rng.choice(fractions)
        p_zero = rng.betavariate(1.0, 3.0)
        rewards = []
        for _ in range(n):
            u = rng.random()
            if u < p_full:
                rewards.append(1.0)
            elif rng.random() < p_zero:
                rewards.append(0.0)
            else:
                # Multi-product tasks average relevances, so the partial score jitters.
                rewards.append(_jittered(partial, rng.choice(jitters)))
        # The expectation of one rollout under the three outcomes above.
        partial_mean = sum(_jittered(partial, j) for j in jitters) / len(jitters)
        true_mean = p_full + (1 - p_full) * (1 - p_zero) * partial_mean
        tasks.append(CalibrationTask("synthetic-partial", f"c{i}", tuple(rewards), true_mean))
    return tasks


if __name__ == "__main__":
    print(f"{len(heuristic_tasks())} heuristic calibration tasks ready")
