"""Admission economy on the embedded example: yield and solver rollouts per admitted task.

Runs the example loop (ShoppingBench dev sample, heuristic solver, procedural
teacher, 3 rounds) twice in this process, each on a fresh SQLite database:

- baseline: random parents, random motifs, fixed k=4 for every candidate
  (no early stop);
- frontier: the defaults (boundary parents not mutated before, motifs from
  failure traces, curtailed candidate rollouts, candidates predicted saturated
  from their parent's recorded answers skipped without rollouts);
- shadow: the defaults, but band prediction only recorded, never acted on: every
  candidate the prediction would skip is rolled out and decided as usual, so the
  cost of a wrong skip is visible (how many of them would have been admitted).

Nothing else differs: both screen near-duplicates the same way (outside the
candidate's own mutation tree, at the example's threshold), since no setting
changes that.

and prints, per configuration, candidates generated, admitted, yield,
candidate rollouts spent and rollouts per admitted task, then the ratios
frontier / baseline. Usage: python bench/admission_economy.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
import time
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


def configured(doc: dict[str, Any], name: str, rounds: int) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    spec = doc["spec"]
    spec["stop"] = {"maxRounds": rounds}
    spec["saturation"]["maxRounds"] = rounds
    if name == "baseline":
        spec["mutation"]["parentSelection"] = "random"
        spec["mutation"]["motifSelection"] = "random"
        spec["admission"]["earlyStop"] = False
        spec["admission"]["predictBand"] = False
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
    store.close()
    return {
        "skipped": len(skipped),
        "skipped_admitted": sum(1 for c in skipped if c.decision == "admitted"),
        "skipped_rollouts": sum(c.rollouts_spent for c in skipped),
        "rounds": len(result.rounds),
        "generated": generated,
        "admitted": admitted,
        "yield": admitted / generated if generated else 0.0,
        "rollouts": spent,
        "rollouts_per_admitted": spent / admitted if admitted else float("inf"),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    doc = yaml.safe_load(EXAMPLE.read_text())
    rows: dict[str, dict[str, float]] = {}
    for name in ("baseline", "shadow", "frontier"):
        with tempfile.TemporaryDirectory() as tmp:
            rows[name] = asyncio.run(
                measure(configured(doc, name, args.rounds), Path(tmp), shadow=name == "shadow")
            )
    header = (
        f"{'config':<10}{'rounds':>7}{'generated':>10}{'admitted':>9}{'yield':>8}"
        f"{'rollouts':>9}{'per admitted':>13}{'skipped':>8}"
    )
    print(header)
    for name, r in rows.items():
        print(
            f"{name:<10}{r['rounds']:>7.0f}{r['generated']:>10.0f}{r['admitted']:>9.0f}"
            f"{r['yield']:>8.1%}{r['rollouts']:>9.0f}{r['rollouts_per_admitted']:>13.2f}"
            f"{r['skipped']:>8.0f}"
        )
    s = rows["shadow"]
    print()
    print(
        f"shadow: prediction would skip {s['skipped']:.0f} candidates; rolled out anyway they took "
        f"{s['skipped_rollouts']:.0f} rollouts and {s['skipped_admitted']:.0f} were admitted"
    )
    b, f = rows["baseline"], rows["frontier"]
    print()
    print(f"yield ratio (frontier / baseline):               {f['yield'] / b['yield']:.2f}x")
    print(
        "rollouts per admitted ratio (frontier / baseline): "
        f"{f['rollouts_per_admitted'] / b['rollouts_per_admitted']:.2f}x"
    )
    print(
        "frontier / shadow (prediction acted on / not): "
        f"yield {f['yield'] / s['yield']:.2f}x, rollouts per admitted "
        f"{f['rollouts_per_admitted'] / s['rollouts_per_admitted']:.2f}x, admitted "
        f"{f['admitted'] / s['admitted']:.2f}x"
    )
    print(
        f"goals: yield >= 40% (frontier {f['yield']:.1%}); <= 8 rollouts per admitted (frontier {f['rollouts_per_admitted']:.2f})"
    )


if __name__ == "__main__":
    main()
