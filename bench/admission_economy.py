"""Admission economy on the embedded example: yield and solver rollouts per admitted task.

Runs the example loop (ShoppingBench dev sample, heuristic solver, procedural
teacher, 3 rounds) twice in this process, each on a fresh SQLite database:

- baseline: random parents, random motifs, fixed k=4 for every candidate
  (no early stop);
- frontier: the defaults (boundary parents not mutated before, motifs from
  failure traces, curtailed candidate rollouts).

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

from frontier.domain.manifest import parse_resource
from frontier.local.runner import run_loop
from frontier.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shoppingbench.yaml"


def configured(doc: dict[str, Any], baseline: bool, rounds: int) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    spec = doc["spec"]
    spec["stop"] = {"maxRounds": rounds}
    spec["saturation"]["maxRounds"] = rounds
    if baseline:
        spec["mutation"]["parentSelection"] = "random"
        spec["mutation"]["motifSelection"] = "random"
        spec["admission"]["earlyStop"] = False
    return doc


async def measure(doc: dict[str, Any], folder: Path) -> dict[str, float]:
    store = Store.connect(f"sqlite:///{folder / 'frontier.db'}", auto_upgrade=True)
    started = time.perf_counter()
    result = await run_loop(store, parse_resource(doc), base_dir=EXAMPLE.parent)
    seconds = time.perf_counter() - started
    generated = sum(r.counts.generated for r in result.rounds)
    admitted = sum(r.counts.admitted for r in result.rounds)
    spent = sum(r.counts.rollouts_spent for r in result.rounds)
    store.close()
    return {
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
    for name, baseline in (("baseline", True), ("frontier", False)):
        with tempfile.TemporaryDirectory() as tmp:
            rows[name] = asyncio.run(measure(configured(doc, baseline, args.rounds), Path(tmp)))
    header = f"{'config':<10}{'rounds':>7}{'generated':>10}{'admitted':>9}{'yield':>8}{'rollouts':>9}{'per admitted':>13}"
    print(header)
    for name, r in rows.items():
        print(
            f"{name:<10}{r['rounds']:>7.0f}{r['generated']:>10.0f}{r['admitted']:>9.0f}"
            f"{r['yield']:>8.1%}{r['rollouts']:>9.0f}{r['rollouts_per_admitted']:>13.2f}"
        )
    b, f = rows["baseline"], rows["frontier"]
    print()
    print(f"yield ratio (frontier / baseline):               {f['yield'] / b['yield']:.2f}x")
    print(
        "rollouts per admitted ratio (frontier / baseline): "
        f"{f['rollouts_per_admitted'] / b['rollouts_per_admitted']:.2f}x"
    )
    print(
        f"goals: yield >= 40% (frontier {f['yield']:.1%}); <= 8 rollouts per admitted (frontier {f['rollouts_per_admitted']:.2f})"
    )


if __name__ == "__main__":
    main()
