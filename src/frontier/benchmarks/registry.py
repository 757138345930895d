"""Finding benchmark plugins through the `frontier.benchmarks` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from frontier.domain.interfaces import Benchmark

GROUP = "frontier.benchmarks"


def available_benchmarks() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_benchmark(name: str, options: dict[str, Any] | None = None) -> Benchmark:
    """Instantiate the plugin registered under `name` with its options."""
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not matches:
        names = ", ".join(available_benchmarks()) or "(none installed)"
        raise ValueError(f"unknown benchmark {name!r}; available: {names}")
    cls = matches[0].load()
    bench: Benchmark = cls(dict(options or {}))
    return bench
