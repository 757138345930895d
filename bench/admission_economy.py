"""Admission economy on the embedded example: yield, rollouts per admitted task, and both beside
perfect screening, over several seeds.

Runs the example loop (ShoppingBench dev sample, heuristic solver, procedural
teacher, 3 rounds) once per configuration and seed, each on a fresh SQLite database:

- baseline: random parents, random motifs, fixed k=4 for every candidate
  (no early stop, no band prediction);
- exact: the defaults before stochastic curtailment (boundary parents not mutated
  before, motifs from failure traces, exactly curtailed candidate rollouts,
  candidates predicted saturated from their parent's recorded answers skipped
  without rollouts; `admission.stopConfidence: null`);
- curtail: exact plus stochastic curtailment of candidate rollouts
  (`admission.stopConfidence`, `--confidence`);
- shadow (only with `--configs`): exact, but band prediction only recorded, never
  acted on: every candidate the prediction would skip is rolled out and decided as
  usual, so the cost of a wrong skip is visible.

A seed s sets the seeds of rollouts (`profile.seed`), of parent and motif choice
(`mutation.seed`) and of the slice (`slice.seed`); seed 0 is the example as shipped.

Perfect screening is measured in the same run: the same admissions with every
candidate later rejected as saturated screened out for free, i.e. the candidate
rollouts not spent on saturated rejects, per admitted task. Printed per run and,
per configuration, as the mean and the worst seed: yield, rollouts per admitted,
its ratio to perfect screening, and the share of candidate rollouts spent on
saturated rejects; then the ratios to the baseline and to the exact defaults.
The floor of any rule that needs a rollout to see a saturated candidate (each
saturated reject stopped after one rollout) is printed as well.

Usage: python bench/admission_economy.py [--rounds N] [--seeds N] [--jobs N]
       [--confidence C] [--configs baseline,exact,curtail]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

import frontier.domain.screening as screen_rules
import frontier.pipeline.screening as screening
from frontier.domain.admission import Decision, Reason
from frontier.domain.manifest import parse_resource
from frontier.local.runner import run_loop
from frontier.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shoppingbench.yaml"


CONFIGS = ("baseline", "exact", "curtail", "shadow")
DEFAULT_CONFIDENCE = 0.99


def configured(
    doc: dict[str, Any],
    name: str,
    rounds: int,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    spec = doc["spec"]
    spec["stop"] = {"maxRounds": rounds}
    spec["saturation"]["maxRounds"] = rounds
    spec.setdefault("profile", {})["seed"] = seed
    spec.setdefault("mutation", {})["seed"] = seed
    spec.setdefault("slice", {})["seed"] = seed
    admission = spec.setdefault("admission", {})
    admission["stopConfidence"] = confidence if name == "curtail" else None
    if name == "baseline":
        spec["mutation"]["parentSelection"] = "random"
        spec["mutation"]["motifSelection"] = "random"
        admission["earlyStop"] = False
        admission["predictBand"] = False
    return doc


class Shadow:
    """Band prediction recorded, not acted on: the candidates it would skip are still rolled out.

    Wraps the two module-level steps the screen calls per candidate (the replay in
    `pipeline.screening`, then the skip rule in `domain.screening`) for the duration of
    one loop; the replay names the candidate.
    """

    def __init__(self) -> None:
        self.would_skip: set[str] = set()
        self._child = ""

    def __enter__(self) -> Shadow:
        self._replay, self._rule = screening.replayed_rewards, screen_rules.skip_by_prediction
        vars(screening)["replayed_rewards"] = self.replay
        vars(screen_rules)["skip_by_prediction"] = self.rule
        return self

    def __exit__(self, *_: object) -> None:
        vars(screening)["replayed_rewards"] = self._replay
        vars(screen_rules)["skip_by_prediction"] = self._rule

    def replay(self, benchmark: Any, child: Any, parent_rollouts: Any) -> list[float]:
        self._child = child.id
        rewards: list[float] = self._replay(benchmark, child, parent_rollouts)
        return rewards

    def rule(self, *args: Any, **kwargs: Any) -> Decision | None:
        decision: Decision | None = self._rule(*args, **kwargs)
        if decision is not None:
            self.would_skip.add(self._child)
        return None


async def measure(doc: dict[str, Any], folder: Path, shadow: bool = False) -> dict[str, float]:
    store = Store.connect(f"sqlite:///{folder / 'frontier.db'}", auto_upgrade=True)
    started = time.perf_counter()
    spy = Shadow()
    if shadow:
        with spy:
            result = await run_loop(store, parse_resource(doc), base_dir=EXAMPLE.parent)
    else:
        result = await run_loop(store, parse_resource(doc), base_dir=EXAMPLE.parent)
    seconds = time.perf_counter() - started
    generated = sum(r.counts.generated for r in result.rounds)
    admitted = sum(r.counts.admitted for r in result.rounds)
    spent = sum(r.counts.rollouts_spent for r in result.rounds)
    candidates = store.candidates(result.frontier)
    skipped = [c for c in candidates if c.reason is Reason.PREDICTED_SATURATED]
    if shadow:
        skipped = [c for c in candidates if c.task_id in spy.would_skip]
    saturated = [c for c in candidates if c.reason is Reason.SATURATED]
    on_saturated = sum(c.rollouts_spent for c in saturated)
    store.close()
    perfect = (spent - on_saturated) / admitted if admitted else float("inf")
    per_admitted = spent / admitted if admitted else float("inf")
    floor = spent - on_saturated + len(saturated)
    return {
        "saturated": len(saturated),
        "saturated_rollouts": on_saturated,
        "saturated_share": on_saturated / spent if spent else 0.0,
        "perfect": perfect,
        "to_perfect": per_admitted / perfect if admitted else float("inf"),
        "floor_share": len(saturated) / floor if floor else 0.0,
        "floor_to_perfect": floor / (spent - on_saturated) if spent > on_saturated else 1.0,
        "skipped": len(skipped),
        "skipped_admitted": sum(1 for c in skipped if c.decision == "admitted"),
        "skipped_rollouts": sum(c.rollouts_spent for c in skipped),
        "rounds": len(result.rounds),
        "generated": generated,
        "admitted": admitted,
        "yield": admitted / generated if generated else 0.0,
        "rollouts": spent,
        "rollouts_per_admitted": per_admitted,
        "seconds": seconds,
    }


def run_one(name: str, seed: int, rounds: int, confidence: float) -> dict[str, float]:
    """One configuration and seed on a fresh database (a worker process's job)."""
    doc = configured(yaml.safe_load(EXAMPLE.read_text()), name, rounds, seed, confidence)
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(measure(doc, Path(tmp), shadow=name == "shadow"))


COLUMNS = (
    ("generated", "generated", ".0f"),
    ("admitted", "admitted", ".0f"),
    ("yield", "yield", ".1%"),
    ("rollouts", "rollouts", ".0f"),
    ("per admitted", "rollouts_per_admitted", ".2f"),
    ("perfect", "perfect", ".2f"),
    ("to perfect", "to_perfect", ".2f"),
    ("sat rejects", "saturated", ".0f"),
    ("sat share", "saturated_share", ".1%"),
    ("floor share", "floor_share", ".1%"),
    ("skipped", "skipped", ".0f"),
)
WORSE_IS_LOWER = {"yield", "admitted", "generated"}


def line(label: str, row: dict[str, float]) -> str:
    cells = "".join(
        f"{format(row[key], fmt):>{max(len(title), 8) + 1}}" for title, key, fmt in COLUMNS
    )
    return f"{label:<18}{cells}"


def summary(runs: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """The mean of each figure over the seeds, and its worst seed's value."""
    mean = {key: sum(r[key] for r in runs) / len(runs) for _, key, _ in COLUMNS}
    worst = {
        key: (min if key in WORSE_IS_LOWER else max)(r[key] for r in runs) for _, key, _ in COLUMNS
    }
    return mean, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    parser.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE)
    parser.add_argument("--configs", default="baseline,exact,curtail")
    args = parser.parse_args()
    names = [n for n in args.configs.split(",") if n]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs {sorted(unknown)}; known: {', '.join(CONFIGS)}")
    seeds = list(range(args.seeds))
    jobs = [(name, seed) for seed in seeds for name in names]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            job: pool.submit(run_one, job[0], job[1], args.rounds, args.confidence) for job in jobs
        }
        rows = {job: future.result() for job, future in futures.items()}
    header = f"{'config, seed':<18}" + "".join(
        f"{title:>{max(len(title), 8) + 1}}" for title, _, _ in COLUMNS
    )
    print(f"{args.rounds} rounds, seeds {seeds}, curtail at stopConfidence {args.confidence}")
    print(header)
    for name, seed in jobs:
        print(line(f"{name} s{seed}", rows[name, seed]))
    print()
    print(header)
    means: dict[str, dict[str, float]] = {}
    worsts: dict[str, dict[str, float]] = {}
    for name in names:
        means[name], worsts[name] = summary([rows[name, s] for s in seeds])
        print(line(f"{name} mean", means[name]))
        print(line(f"{name} worst seed", worsts[name]))
    print()
    if "shadow" in names:
        for seed in seeds:
            s = rows["shadow", seed]
            print(
                f"shadow s{seed}: prediction would skip {s['skipped']:.0f} candidates; rolled out "
                f"anyway they took {s['skipped_rollouts']:.0f} rollouts and "
                f"{s['skipped_admitted']:.0f} were admitted"
            )
        print()
    for name in names:
        for other in ("baseline", "exact"):
            if other == name or other not in names:
                continue
            m, o = means[name], means[other]
            w, ow = worsts[name], worsts[other]
            print(
                f"{name} / {other}: yield {m['yield'] / o['yield']:.2f}x mean, "
                f"{w['yield'] / ow['yield']:.2f}x worst seed; rollouts per admitted "
                f"{m['rollouts_per_admitted'] / o['rollouts_per_admitted']:.2f}x mean, "
                f"{w['rollouts_per_admitted'] / ow['rollouts_per_admitted']:.2f}x worst seed"
            )
    print()
    for name in names:
        m, w = means[name], worsts[name]
        print(
            f"goals, {name}: rollouts per admitted <= 1.1x perfect screening (mean "
            f"{m['to_perfect']:.2f}x, worst seed {w['to_perfect']:.2f}x); saturated rejects <= 10% "
            f"of candidate rollouts (mean {m['saturated_share']:.1%}, worst seed "
            f"{w['saturated_share']:.1%}); first round: yield >= 40% (worst seed {w['yield']:.1%}), "
            f"<= 8 rollouts per admitted (worst seed {w['rollouts_per_admitted']:.2f})"
        )


if __name__ == "__main__":
    main()
