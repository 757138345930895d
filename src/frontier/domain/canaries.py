"""Overlap-hard canaries: tasks every verifier model finds hard.

A task below the threshold on every verifier is a canary for the next model
generation; the subset scoring 0 on all of them is reported separately, since
it may also hide a broken task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Canaries:
    task_ids: tuple[str, ...]
    zero_on_all: tuple[str, ...]
    evaluated: int

    @property
    def count(self) -> int:
        return len(self.task_ids)


def overlap_hard(means_by_model: Mapping[str, Mapping[str, float]], below: float) -> Canaries:
    """Tasks measured by every model whose mean reward is below `below` on each."""
    if not means_by_model:
        return Canaries((), (), 0)
    models = list(means_by_model.values())
    common = set(models[0])
    for means in models[1:]:
        common &= set(means)
    hard = sorted(t for t in common if all(m[t] < below for m in models))
    zero = tuple(t for t in hard if all(m[t] == 0.0 for m in models))
    return Canaries(tuple(hard), zero, len(common))
