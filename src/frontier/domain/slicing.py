"""Choosing the frontier slice: up to N tasks spread across families and mutation motifs.

A slice that is all one family or one motif measures one skill. Selection is a
round-robin over families, and within a family over motifs, so every stratum
gets a fair share until it runs out. The order is a function of the task ids
and the seed alone, never of the order the pool arrived in.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SliceCandidate:
    task_id: str
    family: str
    motif: str | None
    priority: float = 0.0
    """Higher is kept first within its stratum (e.g. already in the slice, or nearer the middle)."""


def _key(seed: int, text: str) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def _rank(c: SliceCandidate) -> tuple[float, str, str]:
    return (c.priority, c.family, c.motif or "")


def select_slice(pool: Iterable[SliceCandidate], size: int, seed: int = 0) -> list[str]:
    """Task ids of the retained slice, in a stable, stratified order."""
    if size < 0:
        raise ValueError("slice size must not be negative")
    unique: dict[str, SliceCandidate] = {}
    for c in pool:
        prev = unique.get(c.task_id)
        if prev is None or _rank(c) > _rank(prev):
            unique[c.task_id] = c
    strata: dict[str, dict[str, list[SliceCandidate]]] = defaultdict(lambda: defaultdict(list))
    for c in unique.values():
        strata[c.family][c.motif or ""].append(c)
    queues: dict[str, list[list[SliceCandidate]]] = {}
    for family, motifs in strata.items():
        ordered_motifs = sorted(motifs, key=lambda m: _key(seed, f"{family}/{m}"))
        queues[family] = [
            sorted(motifs[m], key=lambda c: (-c.priority, _key(seed, c.task_id)))
            for m in ordered_motifs
        ]
    families = sorted(queues, key=lambda f: _key(seed, f))
    chosen: list[str] = []
    cursor = {f: 0 for f in families}
    while len(chosen) < size:
        progressed = False
        for family in families:
            if len(chosen) >= size:
                break
            lanes = queues[family]
            for _ in range(len(lanes)):
                lane = lanes[cursor[family] % len(lanes)]
                cursor[family] += 1
                if lane:
                    chosen.append(lane.pop(0).task_id)
                    progressed = True
                    break
        if not progressed:
            break
    return chosen


def family_spread(selected: Sequence[str], families: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for task_id in selected:
        counts[families[task_id]] += 1
    return dict(counts)
