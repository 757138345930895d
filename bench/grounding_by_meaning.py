"""How many of the benchmark's own queries pass the grounding check's "states every constraint".

Issue 19: the check read constraint values literally, so 234 of the 300 non-web dev
tasks failed on their own query ("free delivery" is not `freeShipping`). This bench
prints, per family, the share of the 360 dev tasks whose own query passes the
literal check (as it was) and the check by meaning (mentions.py), and, the other
side of it, the share of children that keep their parent's wording after a
procedural mutation added one constraint (add_attribute, add_sku, require_service,
price_shift; seed 0), which both checks must still catch.

    PYTHONPATH=src python bench/grounding_by_meaning.py
"""

from __future__ import annotations

import glob
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.mentions import missing_mentions
from frontier.benchmarks.shoppingbench.models import ItemRequest, ShoppingRecord, Voucher
from frontier.benchmarks.shoppingbench.mutations import NotApplicable, mutate_record
from frontier.domain.tasks import Task

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "shoppingbench"
MOTIFS = ("add_attribute", "add_sku", "require_service", "price_shift")
Check = Callable[[str, ShoppingRecord], bool]


def literal_states_all(query: str, items: Sequence[ItemRequest], voucher: Voucher | None) -> bool:
    """The check before issue 19: each value, as written in the record, inside the query."""
    q = query.lower()
    for item in items:
        if any(v.lower() not in q for _, v in [*item.sku_options, *item.attributes]):
            return False
        if any(s.lower() not in q for s in item.service):
            return False
        for b in item.price:
            ends = [e for e in (b.low, b.high) if e is not None]
            if any((str(int(e)) if float(e).is_integer() else f"{e:.2f}") not in q for e in ends):
                return False
    return voucher is None or not missing_mentions(query, [], voucher)


def main() -> None:
    files = sorted(glob.glob(str(DATA / "*.dev.jsonl")))
    if not files:
        raise SystemExit(f"no ShoppingBench dev files under {DATA}")
    bench = ShoppingBench({"seed": 0})
    tasks = bench.load(files, on_error="skip").tasks
    bench.prepare(tasks)
    checks: dict[str, Check] = {
        "literal": lambda q, r: literal_states_all(q, r.items, r.voucher),
        "meaning": lambda q, r: not missing_mentions(q, r.items, r.voucher),
    }
    own: dict[str, Counter[str]] = {name: Counter() for name in checks}
    families: Counter[str] = Counter()
    caught: dict[str, Counter[str]] = {name: Counter() for name in checks}
    children: Counter[str] = Counter()
    for task in tasks:
        record = bench.record(task)
        families[task.family] += 1
        for name, states_all in checks.items():
            own[name][task.family] += states_all(task.query, record)
        if task.family == "web":
            continue
        for motif in MOTIFS:
            try:
                native, _ = mutate_record(record, motif, bench.embedded, random.Random(0))
            except NotApplicable:
                continue
            child = bench.record(Task.create("shoppingbench", task.family, "kept", native))
            children[motif] += 1
            for name, states_all in checks.items():
                caught[name][motif] += not states_all(task.query, child)
    total = sum(families.values())
    print(f"own query passes, of {total} dev tasks:")
    for name, counts in own.items():
        per = ", ".join(f"{f} {counts[f]}/{n}" for f, n in sorted(families.items()))
        share = sum(counts.values()) / total
        print(f"  {name:18} {sum(counts.values())}/{total} ({share:.1%})  [{per}]")
    n = sum(children.values())
    print(f"\nchild keeps its parent's query after one added constraint: caught, of {n}:")
    for name, counts in caught.items():
        per = ", ".join(f"{m} {counts[m]}/{children[m]}" for m in MOTIFS)
        print(f"  {name:18} {sum(counts.values())}/{n} ({sum(counts.values()) / n:.1%})  [{per}]")


if __name__ == "__main__":
    main()
