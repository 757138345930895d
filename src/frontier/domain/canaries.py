"""Overlap-hard canaries: tasks every verifier model finds hard.

A task below the threshold on every verifier is a canary for the next model
generation; the subset scoring 0 on all of them is reported separately, since
it may also hide a broken task. Canaries are grouped by root task and motif for
reading: the durable target is the failure pattern, not each near-identical prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from frontier.domain.tasks import Task


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


@dataclass(frozen=True)
class CanaryGroup:
    """Canaries sharing a root task and a mutation motif: one failure pattern, counted once.

    Near-identical variants of one task fail for one reason; listing each would make one
    pattern look like many. The representative is the hardest member.
    """

    root_id: str
    motif: str | None
    representative: str
    members: tuple[str, ...]
    """Every canary of the group, the representative first."""

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def others(self) -> tuple[str, ...]:
        return self.members[1:]


def group_by_pattern(
    task_ids: Iterable[str],
    tasks: Mapping[str, Task],
    means_by_model: Mapping[str, Mapping[str, float]],
) -> list[CanaryGroup]:
    """Canaries grouped by (root task, motif); the largest groups first.

    A task missing from `tasks` is a group of its own. The representative has the lowest
    mean on its best verifier (ties: task id), so it is hard for every model.
    """
    groups: dict[tuple[str, str | None], list[str]] = {}
    for task_id in task_ids:
        task = tasks.get(task_id)
        key = (task.root_id, task.lineage.motif) if task else (task_id, None)
        groups.setdefault(key, []).append(task_id)

    def hardness(task_id: str) -> tuple[float, str]:
        means = [m[task_id] for m in means_by_model.values() if task_id in m]
        return (max(means, default=0.0), task_id)

    found = []
    for (root, motif), members in groups.items():
        ordered = tuple(sorted(members, key=hardness))
        found.append(CanaryGroup(root, motif, ordered[0], ordered))
    return sorted(found, key=lambda g: (-g.count, hardness(g.representative), g.root_id))
