"""Loading ShoppingBench task files into tasks (file:line errors, skip or fail)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from frontier.benchmarks.jsonlines import TaskFileError, read_records
from frontier.benchmarks.shoppingbench.models import parse_record
from frontier.domain.interfaces import LoadResult
from frontier.domain.tasks import LoadError, Task

BENCHMARK = "shoppingbench"


def load_tasks(paths: Sequence[str], *, on_error: str = "fail") -> LoadResult:
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    tasks: list[Task] = []
    errors: list[LoadError] = []
    seen: set[str] = set()
    for path in paths:
        for line, value in read_records(path):
            if not isinstance(value, LoadError):
                try:
                    record = parse_record(value, Path(path).name)
                except ValueError as exc:
                    value = LoadError(file=str(path), line=line, message=str(exc))
                else:
                    task = Task.create(BENCHMARK, record.family, record.query, value)
                    if task.id not in seen:
                        seen.add(task.id)
                        tasks.append(task)
                    continue
            if on_error == "fail":
                raise TaskFileError(value)
            errors.append(value)
    return LoadResult(tasks=tasks, errors=errors)
