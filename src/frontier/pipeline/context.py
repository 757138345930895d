"""What every stage needs: the store, the frontier's spec, and its prepared benchmark.

A stage may run in a short-lived Job that knows only the frontier's key: it
reads the spec from the store and rebuilds the benchmark's environment from
the frontier's tasks, deterministically, so every shard sees the same catalog.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontier.benchmarks.registry import load_benchmark
from frontier.domain.interfaces import Benchmark, SkilledPolicies
from frontier.domain.manifest import FieldError, SpecError
from frontier.domain.specs import FrontierSpec
from frontier.domain.tasks import LoadError, Task
from frontier.store import NotFoundError, Store, parse_frontier_key


class TaskSourceError(ValueError):
    """The task source could not be read: a path matched nothing, or a line was malformed."""


@dataclass
class Context:
    store: Store
    namespace: str
    name: str
    spec: FrontierSpec
    generation: int = 1
    base_dir: Path = field(default_factory=Path.cwd)
    _benchmark: Benchmark | None = None
    _prepared: frozenset[str] = frozenset()

    @property
    def frontier(self) -> str:
        """The store key of the frontier (`namespace/name`)."""
        return f"{self.namespace}/{self.name}"

    def run_key(self, run_name: str) -> str:
        """The store key of a child run: Kubernetes names are unique per namespace only.

        Kubernetes names never contain '/', so a key passed in again is returned as is.
        """
        return run_name if "/" in run_name else f"{self.namespace}/{run_name}"

    @property
    def benchmark(self) -> Benchmark:
        if self._benchmark is None:
            self._benchmark = load_benchmark(self.spec.benchmark.name, self.spec.benchmark.options)
        return self._benchmark

    def prepared_benchmark(self) -> Benchmark:
        """The benchmark with every task of the frontier in its environment (catalog)."""
        tasks = self.store.get_tasks(self.frontier)
        ids = frozenset(t.id for t in tasks)
        if ids != self._prepared:
            prepare_by_round(self.benchmark, [t for t in tasks if t.id not in self._prepared])
            self._prepared = ids
        return self.benchmark

    def screening_benchmark(self, tasks: Sequence[Task]) -> Benchmark:
        """A separate instance for the teacher and the grounding checks, built from `tasks`.

        Checking a candidate may add to the environment; rejected candidates must
        not leak into the environment rollouts are played in. The caller leaves out
        tasks that are about to be proposed again (a parent redone after a crash),
        so the teacher sees what it saw the first time.
        """
        bench = load_benchmark(self.spec.benchmark.name, self.spec.benchmark.options)
        prepare_by_round(bench, tasks)
        return bench

    def source_paths(self) -> list[str]:
        """The task source's globs resolved against the manifest's folder, each matching a file."""
        paths: list[str] = []
        for index, pattern in enumerate(self.spec.benchmark.source.paths):
            full = pattern if Path(pattern).is_absolute() else str(self.base_dir / pattern)
            matches = sorted(glob.glob(full))
            if not matches:
                raise TaskSourceError(
                    f"spec.benchmark.source.paths[{index}]: {pattern!r} matches no file "
                    f"(relative paths resolve against {self.base_dir})"
                )
            paths.extend(matches)
        return paths


def preparation_order(task: Task) -> tuple[int, str]:
    return (task.lineage.round, task.id)


def prepare_by_round(benchmark: Benchmark, tasks: Sequence[Task]) -> None:
    """Prepare tasks one round at a time (base tasks are round 0), as the loop created them.

    A benchmark may order the tasks of one `prepare` call its own way (ShoppingBench
    fixes voucher prices first), so an environment built from scratch in a worker
    matches the one the loop grew only if it is grown in the same calls: one per
    round, oldest first.
    """
    by_round: dict[int, list[Task]] = {}
    for task in sorted(tasks, key=preparation_order):
        by_round.setdefault(task.lineage.round, []).append(task)
    for number in sorted(by_round):
        benchmark.prepare(by_round[number])


def open_context(
    store: Store,
    name: str,
    spec: FrontierSpec,
    *,
    namespace: str = "default",
    base_dir: Path | None = None,
) -> Context:
    """Record the frontier and its spec in the store (idempotent) and return its context."""
    ctx = Context(
        store=store, namespace=namespace, name=name, spec=spec, base_dir=base_dir or Path.cwd()
    )
    record_frontier(ctx)
    return ctx


def record_frontier(ctx: Context) -> None:
    """Write the frontier's row (a changed spec raises its generation).

    The local runner calls this only once the task source has been read, so a run
    that fails before its first rollout leaves the store as it found it.
    """
    ctx.generation = ctx.store.upsert_frontier(ctx.frontier, ctx.spec).generation


def stored_context(store: Store, frontier: str, *, base_dir: Path | None = None) -> Context:
    """The context of a frontier already in the store (what a worker Job starts from)."""
    record = store.get_frontier(frontier)
    if record is None:
        raise NotFoundError(f"no frontier {frontier!r} in the store")
    namespace, name = parse_frontier_key(frontier)
    return Context(
        store=store,
        namespace=namespace,
        name=name,
        spec=FrontierSpec.model_validate(record.spec),
        generation=record.generation,
        base_dir=base_dir or Path.cwd(),
    )


def load_base_tasks(ctx: Context) -> tuple[list[Task], list[LoadError]]:
    """Read the task source and store its tasks (idempotent); honours limitPerFamily and onError."""
    tasks, errors = read_base_tasks(ctx)
    ctx.store.add_tasks(ctx.frontier, tasks)
    return tasks, errors


def read_base_tasks(ctx: Context) -> tuple[list[Task], list[LoadError]]:
    """The task source's tasks and the lines it skipped, read without touching the store."""
    source = ctx.spec.benchmark.source
    result = ctx.benchmark.load(ctx.source_paths(), on_error=source.on_error)
    tasks = result.tasks
    if source.limit_per_family is not None:
        kept: list[Task] = []
        per_family: dict[str, int] = {}
        for task in tasks:
            n = per_family.get(task.family, 0)
            if n < source.limit_per_family:
                kept.append(task)
                per_family[task.family] = n + 1
        tasks = kept
    if not tasks:
        raise TaskSourceError("spec.benchmark.source: no task could be loaded")
    return tasks, list(result.errors)


def check_spec(spec: FrontierSpec, source: str) -> Benchmark:
    """What only the benchmark plugin can judge about a spec, checked before any store is
    touched: that the benchmark exists, that each heuristic model names one of its
    profiles, and that the teacher's motifs are its own. A SpecError names each field.

    Returns the loaded benchmark.
    """
    try:
        benchmark = load_benchmark(spec.benchmark.name, spec.benchmark.options)
    except ValueError as exc:
        raise SpecError(source, [FieldError("spec.benchmark.name", str(exc))]) from None
    errors: list[FieldError] = []
    profiles = benchmark.profiles()
    models = [("spec.solver", spec.solver)]
    models += [(f"spec.verifiers[{i}]", m) for i, m in enumerate(spec.verifiers)]
    for path, model in models:
        if model.provider == "heuristic" and model.profile and model.profile not in profiles:
            errors.append(
                FieldError(
                    f"{path}.profile",
                    f"{model.profile!r} is not one of {benchmark.name}'s profiles "
                    f"({', '.join(profiles) or 'none'})",
                )
            )
        if (
            model.provider == "heuristic"
            and model.skill is not None
            and not isinstance(benchmark, SkilledPolicies)
        ):
            errors.append(FieldError(f"{path}.skill", f"{benchmark.name} offers no skill levels"))
    motifs = benchmark.motifs()
    unknown = [m for m in spec.teacher.motifs if m not in motifs]
    if unknown:
        errors.append(
            FieldError(
                "spec.teacher.motifs",
                f"{unknown} are not motifs of {benchmark.name} ({', '.join(motifs)})",
            )
        )
    if errors:
        raise SpecError(source, errors)
    return benchmark
